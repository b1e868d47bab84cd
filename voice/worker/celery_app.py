"""The Celery side of scale-out: one task, ``voice.process_voicemail(id)``, running the same pipeline.

The database stays the source of truth: a task first claims its voicemail with the same compare-and-set
lease as the embedded worker, so a task delivered twice (a worker killed mid-job, a re-dispatch by the
sweeper) processes the voicemail once. Workers ack late and take one task at a time per process; the
Whisper model is loaded once per worker process, before the first task.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
from typing import Any

from celery import Celery, signals
from kombu import Exchange, Queue
from sqlalchemy.exc import DBAPIError

from voice.core.config import Settings, get_settings

log = logging.getLogger(__name__)

TASK = "voice.process_voicemail"
REPROCESS_TASK = "voice.reprocess_item"
_lock = threading.Lock()


def make_app(settings: Settings) -> Celery:
    c = settings.celery
    app = Celery("voice", broker=c.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,  # a task is acknowledged after it ran: a killed worker's task is redelivered
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # one transcription at a time per process
        task_ignore_result=True,  # state lives in the database
        task_default_queue=c.queue,
        task_queues=[
            # Each queue its own exchange and routing key: with Celery's defaults both would be bound to the
            # default exchange by the fresh queue's key, and RabbitMQ would deliver every message to both.
            Queue(name, Exchange(name, "direct"), routing_key=name, queue_arguments={"x-max-priority": 10})
            for name in (c.queue, c.reprocess_queue)
        ],
        broker_transport_options={
            "visibility_timeout": int(c.visibility_timeout_s),
            "queue_order_strategy": "priority",
            "priority_steps": list(range(10)),
            "sep": ":",
        },
        # Publishing gives up fast: an HTTP request must not wait on a broker that is down (the sweeper
        # sends the voicemail again later).
        broker_connection_timeout=2,
        task_publish_retry_policy={
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.3,
        },
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    app.task(name=TASK, ignore_result=True, bind=True, max_retries=None)(process_voicemail_task)
    app.task(name=REPROCESS_TASK, ignore_result=True, bind=True, max_retries=None)(reprocess_item_task)
    return app


_apps: dict[str, Celery] = {}


def app_for(settings: Settings) -> Celery:
    """One Celery app per broker URL in this process."""
    with _lock:
        if settings.celery.broker_url not in _apps:
            _apps[settings.celery.broker_url] = make_app(settings)
        return _apps[settings.celery.broker_url]


def celery_priority(settings: Settings, triage_priority: float | None) -> int:
    """0-9 from a triage priority (0-100): Redis serves 0 first, RabbitMQ serves 9 first."""
    level = 4 if triage_priority is None else max(0, min(9, int(triage_priority // 10)))
    return 9 - level if settings.celery.broker_url.startswith(("redis", "rediss")) else level


def _publish(settings: Settings, task: str, arg: object, queue: str, what: str, **options: Any) -> bool:
    """Publish one task; False (logged) when the broker cannot be reached: it is sent again later."""
    try:
        app_for(settings).send_task(task, args=[arg], queue=queue, **options)
        return True
    except Exception as exc:  # kombu raises several kinds; all mean "not sent now"
        log.warning("could not dispatch %s (%s); it will be sent again later", what, exc)
        return False


def send(settings: Settings, vm_id: str, reprocess: bool = False, priority: float | None = None) -> bool:
    """Publish one voicemail id; False (logged) when the broker cannot be reached."""
    c = settings.celery
    queue = c.reprocess_queue if reprocess else c.queue
    return _publish(
        settings, TASK, vm_id, queue, f"voicemail {vm_id}", priority=celery_priority(settings, priority)
    )


def send_item(settings: Settings, item_id: int) -> bool:
    """Publish one reprocess-run item to the reprocessing queue; False (logged) when the broker is down."""
    queue = settings.celery.reprocess_queue
    return _publish(settings, REPROCESS_TASK, item_id, queue, f"reprocess item {item_id}")


def queue_depth(settings: Settings) -> int | None:
    """Messages waiting in the broker's fresh and reprocess queues; None if it cannot be reached."""
    c = settings.celery
    app = app_for(settings)
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            channel = conn.default_channel
            # The same declaration as the workers' (idempotent): it also answers for a queue no worker
            # has declared yet, where a passive declare would fail on RabbitMQ.
            return sum(
                int(app.amqp.queues[name].bind(channel).queue_declare().message_count)
                for name in (c.queue, c.reprocess_queue)
            )
    except Exception as exc:  # kombu raises several kinds; all mean "cannot tell now"
        log.warning("could not read the broker's queue depth (%s)", exc)
        return None


# --- in the worker -------------------------------------------------------------------------------

_context: dict[str, Any] = {}


def _worker_context() -> tuple[Settings, Any]:
    with _lock:
        if not _context:
            from voice.storage import db

            settings = get_settings()
            db.require_head(settings.db_url)  # `voice worker` checked too; only `voice db upgrade` migrates
            _context["settings"] = settings
            _context["sm"] = db.make_sessionmaker(db.make_engine(settings.db_url))
        return _context["settings"], _context["sm"]


@signals.worker_process_init.connect
def _load_model(**_: Any) -> None:
    """Each worker process loads the Whisper model once, before its first task."""
    from voice.transcription.engines import get_engine

    settings, _sm = _worker_context()
    try:
        get_engine(settings.transcription)
    except Exception:  # the task will fail the voicemail with a readable reason
        log.exception("could not load the transcription model")


def process_voicemail_task(task: Any, vm_id: str, owner: str | None = None) -> str:
    """``owner``: set on a retry after a database fault, the token whose lease it takes back at once."""
    from voice.jobs.leases import owner_token
    from voice.worker.local import HeldElsewhere, work_on

    settings, sm = _worker_context()
    mine = owner or owner_token()
    try:
        return work_on(settings, sm, vm_id, mine, reenter=owner is not None)
    except HeldElsewhere as held:
        # A redelivery while the lease of a worker that died is still running: come back when it ends.
        raise task.retry(countdown=held.seconds + 0.5) from held
    except DBAPIError as exc:
        raise _retry_later(task, f"voicemail {vm_id}", exc, {"owner": mine}) from exc


def _retry_later(task: Any, what: str, exc: DBAPIError, kwargs: dict[str, Any] | None = None) -> Exception:
    """The database is restarting or out of reach: not the job's fault. Try again with exponential
    backoff and jitter (capped at a minute) until it answers; ``kwargs`` carry the owner token, so the retry
    takes its own lease back instead of waiting it out."""
    delay = min(60.0, 2.0 ** min(task.request.retries, 6)) * (0.5 + random.random())
    log.warning("%s: database unavailable (%s); retrying in %.1f s", what, exc.orig, delay)
    return task.retry(countdown=delay, kwargs=kwargs)  # raises Retry itself


def reprocess_item_task(task: Any, item_id: int, owner: str | None = None) -> str:
    """``owner``: set on a retry after a database fault, the token whose lease it takes back at once."""
    from voice.jobs import run_items as item_jobs
    from voice.jobs.leases import owner_token
    from voice.storage.models import ItemState
    from voice.usecases import reprocess

    settings, sm = _worker_context()
    mine = owner or owner_token()
    lease = settings.worker.lease_s
    try:
        if item_jobs.claim(sm, mine, lease, item_id=item_id, reenter=owner is not None) is None:
            return "skipped"  # ended, cancelled, held by a live worker, or its voicemail is busy (re-sent)
        return reprocess.reprocess_item(settings, sm, item_id, mine)
    except DBAPIError as exc:
        with contextlib.suppress(DBAPIError):  # hand it back to any worker, if the database answers
            item_jobs.give_back(sm, item_id, mine, ItemState.QUEUED, refund=True)
        raise _retry_later(task, f"reprocess item {item_id}", exc, {"owner": mine}) from exc
