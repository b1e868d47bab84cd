"""Completion webhooks, signed by the Standard Webhooks scheme and delivered at least once.

When a voicemail ends (done, no_speech, failed) the transaction that ends it also writes a delivery
row (an outbox), so a crash between "finished" and "told the receiver" loses nothing. A dispatcher
in every serving process claims due deliveries with a compare-and-set, POSTs them with the
webhook-id / webhook-timestamp / webhook-signature headers, records each attempt, and retries
failures with exponential backoff and jitter until the delivery is older than ``max_age_s``.

Receivers are outside parties. Each attempt has a total deadline (``timeout_s``, connect to last byte)
that ends well inside the claim's lease, so no other process posts the same delivery while it runs;
only the status and a small prefix of the answer are read; and attempts run side by side, a few per
API key at most, so one slow receiver delays its own deliveries and nobody else's.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks import Webhook

from voice.audio import urlguard
from voice.core.config import Settings
from voice.core.errors import FetchError
from voice.storage.models import (
    ApiKey,
    WebhookAttempt,
    WebhookDelivery,
    utcnow,
)

log = logging.getLogger(__name__)

# What is read of a receiver's answer: its status, and this much of the body for the attempt's error.
ANSWER_PREFIX_BYTES = 4096
# An attempt ends at least this long before its claim's lease does: time to record the outcome.
LEASE_MARGIN_S = 5.0


def signed_headers(secret: str, msg_id: str, body: str, at: datetime | None = None) -> dict[str, str]:
    at = at or datetime.now(UTC)
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body),
        "user-agent": "Voice-Webhooks/1",
    }


def next_delay(attempts: int, settings_backoff: float, max_backoff: float) -> float:
    """Seconds before attempt ``attempts + 1``: exponential, capped, with +-20% jitter."""
    base = min(settings_backoff * (2 ** max(attempts - 1, 0)), max_backoff)
    return base * (0.8 + 0.4 * random.random())


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _answer_prefix(response: httpx.Response) -> str:
    """The start of the answer, printable, for the attempt's error; never the whole of it."""
    data = b""
    try:
        for chunk in response.iter_raw():  # raw: a compressed answer is not inflated
            data += chunk[: ANSWER_PREFIX_BYTES - len(data)]
            if len(data) >= ANSWER_PREFIX_BYTES:
                break
    except httpx.HTTPError:  # the status is what counts; the rest is a courtesy
        pass
    if response.headers.get("content-encoding", "identity") != "identity":
        return ""
    text = "".join(c if c.isprintable() else " " for c in data.decode("utf-8", "replace"))
    return " ".join(text.split())[:200]


def send(
    delivery: WebhookDelivery, secret: str, settings: Settings, seconds: float | None = None
) -> AttemptResult:
    """One POST, over in ``seconds`` (``timeout_s`` by default) from connecting to the last byte read."""
    limit = settings.webhooks.timeout_s if seconds is None else seconds
    started = time.perf_counter()
    code: int | None = None
    error: str | None = None
    headers = signed_headers(secret, delivery.id, delivery.payload) | {"accept-encoding": "identity"}
    try:
        with (
            urlguard.Deadline(limit) as deadline,
            urlguard.safe_client(
                settings.fetch.allow_networks,
                httpx.Timeout(limit),
                follow_redirects=False,  # Standard Webhooks: a redirect is a failed delivery
            ) as client,
            client.stream(
                "POST",
                delivery.url,
                content=delivery.payload.encode(),
                headers=headers,
                extensions={urlguard.DEADLINE: deadline},
            ) as response,
        ):
            code = response.status_code
            if not 200 <= code < 300:
                prefix = _answer_prefix(response)
                error = f"the receiver answered HTTP {code}" + (f": {prefix}" if prefix else "")
    except urlguard.DeadlineExceeded:
        error = f"the receiver took longer than the {limit:g} s deadline of an attempt"
    except FetchError as exc:  # refused address, unresolvable host
        error = str(exc)
    except httpx.HTTPError as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:500]
    return AttemptResult(code, error, int((time.perf_counter() - started) * 1000))


def claim_due(
    sm: sessionmaker[Session], lease_s: float, busy_keys: frozenset[str] = frozenset()
) -> tuple[str, str | None] | None:
    """Take one due delivery, not of ``busy_keys``: move its next_attempt_at past the lease, if nobody
    else did first; returns (its id, its API key's id)."""
    with sm() as session:
        now = utcnow()
        d = WebhookDelivery
        query = select(d.id, d.next_attempt_at, d.api_key_id).where(
            d.state == d.PENDING, d.next_attempt_at <= now
        )
        if busy_keys:
            query = query.where(or_(d.api_key_id.is_(None), d.api_key_id.not_in(busy_keys)))
        row = session.execute(query.order_by(d.next_attempt_at).limit(1)).first()
        if row is None:
            return None
        result = session.execute(
            update(d)
            .where(d.id == row.id, d.next_attempt_at == row.next_attempt_at)
            .values(next_attempt_at=now + timedelta(seconds=lease_s))
        )
        session.commit()
        return (row.id, row.api_key_id) if result.rowcount == 1 else None  # type: ignore[attr-defined]


def deliver_one(
    sm: sessionmaker[Session], delivery_id: str, settings: Settings, claimed_at: float | None = None
) -> AttemptResult | None:
    """Attempt one claimed delivery and record the outcome. ``claimed_at`` (time.monotonic()) is when
    its lease began: the attempt ends ``LEASE_MARGIN_S`` before the lease does."""
    claimed_at = time.monotonic() if claimed_at is None else claimed_at
    w = settings.webhooks
    with sm() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.state != WebhookDelivery.PENDING:
            return None
        key = session.get(ApiKey, delivery.api_key_id) if delivery.api_key_id else None
        if key is None:
            delivery.state = WebhookDelivery.GAVE_UP
            delivery.last_error = "the API key that signs this delivery was deleted"
            session.commit()
            return None
        secret = key.webhook_secret
    # Past the lease another process may claim this delivery and post it again, so the attempt ends
    # before: at timeout_s, or sooner when the database was slow to answer until now.
    seconds = min(w.timeout_s, w.lease_s - LEASE_MARGIN_S - (time.monotonic() - claimed_at))
    if seconds < min(1.0, w.timeout_s):
        log.warning("webhook %s: too little of its lease left to post it; it is taken up again", delivery_id)
        return None
    result = send(delivery, secret, settings, seconds)
    with sm() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:  # the voicemail was deleted meanwhile
            return result
        now = utcnow()
        delivery.attempts += 1
        delivery.last_status_code = result.status_code
        delivery.last_error = result.error
        session.add(
            WebhookAttempt(
                delivery_id=delivery.id,
                at=now,
                status_code=result.status_code,
                error=result.error,
                duration_ms=result.duration_ms,
            )
        )
        created = (
            delivery.created_at if delivery.created_at.tzinfo else delivery.created_at.replace(tzinfo=UTC)
        )
        if result.ok:
            delivery.state = WebhookDelivery.DELIVERED
            delivery.delivered_at = now
        else:
            delay = next_delay(delivery.attempts, w.backoff_s, w.max_backoff_s)
            retry_at = now + timedelta(seconds=delay)
            if result.status_code == 410 or (retry_at - created).total_seconds() > w.max_age_s:
                delivery.state = WebhookDelivery.GAVE_UP  # 410 Gone: the receiver asked us to stop
            else:
                delivery.next_attempt_at = retry_at
        session.commit()
    return result


class Dispatcher:
    """Delivers due webhooks; every serving process may run one. A claiming thread hands deliveries to
    a pool of ``concurrency`` threads, at most ``concurrency_per_key`` at once for one API key's
    receivers, so a slow receiver holds back its own deliveries only."""

    def __init__(self, settings: Settings, sm: sessionmaker[Session]) -> None:
        w = settings.webhooks
        if not w.timeout_s + LEASE_MARGIN_S < w.lease_s:  # else an attempt could outlive its lease
            raise ValueError("webhooks.lease_s must exceed timeout_s by more than the recording margin")
        self.settings = settings
        self.sm = sm
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._running = 0
        self._per_key: Counter[str | None] = Counter()

    def start(self) -> None:
        w = self.settings.webhooks
        self._pool = ThreadPoolExecutor(w.concurrency, thread_name_prefix="voice-webhook")
        self._thread = threading.Thread(target=self._run, name="voice-webhooks", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._pool is not None:  # attempts in flight end by their deadline, and are recorded
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self) -> None:
        w = self.settings.webhooks
        while not self._stop.is_set():
            try:
                with self._lock:
                    full = self._running >= w.concurrency
                    busy = frozenset(k for k, n in self._per_key.items() if k and n >= w.concurrency_per_key)
                claimed_at = time.monotonic()  # the lease starts no earlier than this
                claimed = None if full else claim_due(self.sm, w.lease_s, busy)
                if claimed is None:
                    self._wake.wait(w.poll_interval_s)  # woken early when an attempt ends
                    self._wake.clear()
                    continue
                delivery_id, key_id = claimed
                with self._lock:
                    self._running += 1
                    self._per_key[key_id] += 1
                assert self._pool is not None
                self._pool.submit(self._attempt, delivery_id, key_id, claimed_at)
            except Exception:  # the database went away for a moment; keep going
                log.exception("webhook dispatcher error")
                self._stop.wait(w.poll_interval_s)

    def _attempt(self, delivery_id: str, key_id: str | None, claimed_at: float) -> None:
        try:
            result = deliver_one(self.sm, delivery_id, self.settings, claimed_at)
            if result is not None:
                log.info("webhook %s: %s", delivery_id, result.status_code or result.error)
        except Exception:  # the database went away for a moment; the lease gives it back later
            log.exception("webhook %s: could not record the attempt", delivery_id)
        finally:
            with self._lock:
                self._running -= 1
                self._per_key[key_id] -= 1
                if self._per_key[key_id] <= 0:
                    del self._per_key[key_id]
            self._wake.set()
