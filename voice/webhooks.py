"""Completion webhooks, signed by the Standard Webhooks scheme and delivered at least once.

When a voicemail ends (done, no_speech, failed) the transaction that ends it also writes a delivery
row (an outbox), so a crash between "finished" and "told the receiver" loses nothing. A dispatcher
thread in every serving process claims due deliveries with a compare-and-set, POSTs them with the
webhook-id / webhook-timestamp / webhook-signature headers, records each attempt, and retries
failures with exponential backoff and jitter until the delivery is older than ``max_age_s``.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker
from standardwebhooks import Webhook

from voice import urlguard
from voice.config import Settings
from voice.errors import FetchError
from voice.models import ApiKey, TranscriptRevision, Voicemail, WebhookAttempt, WebhookDelivery, utcnow

log = logging.getLogger(__name__)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # SQLite gives back naive UTC
    return value.isoformat().replace("+00:00", "Z")


def payload_for(vm: Voicemail, event: str) -> dict[str, Any]:
    """What a receiver gets: enough to act without calling back (status, text, summary, call ids)."""
    rev = vm.current_revision
    summary = rev.summary if rev is not None else None
    call = vm.call
    return {
        "type": event,
        "timestamp": _iso(utcnow()),
        "data": {
            "id": vm.id,
            "status": vm.status,
            "status_reason": vm.status_reason,
            "recording_id": vm.recording_id,
            "duration_s": vm.duration_s,
            "finished_at": _iso(vm.finished_at),
            "overdue_at": _iso(vm.overdue_at),
            "agent_state": vm.agent_state,
            "assignee": vm.assignee,
            "call": {
                "id": call.id,
                "external_id": call.external_id,
                "source": call.source,
                "from": call.from_number,
                "to": call.to_number,
                "mailbox": call.mailbox,
            },
            "transcript": None
            if rev is None
            else {
                "revision": rev.number,
                "language": rev.language,
                "text": rev.text,
                "confidence": rev.confidence,
                "engine": rev.engine,
                "model": rev.model,
            },
            "summary": None
            if summary is None
            else {
                "text": summary.text,
                "caller_name": summary.caller_name,
                "organisation": summary.organisation,
                "callback_number": summary.callback_number,
                "callback_time_text": summary.callback_time_text,
                "callback_time": _iso(summary.callback_time),
                "email": summary.email,
                "references": summary.references or [],
                "request": summary.request,
                "intent": summary.intent,
                "urgency": summary.urgency,
                "urgency_reasons": summary.urgency_reasons or [],
                "sentiment": summary.sentiment,
                "flags": summary.flags or [],
                "priority": summary.priority,
            },
        },
    }


def enqueue_completion(session: Session, vm_id: str, event: str | None = None) -> WebhookDelivery | None:
    """Write the delivery for a voicemail that just ended (or another event, such as
    ``voicemail.overdue``), in the caller's transaction.

    The receiver is the voicemail's own callback_url, else its API key's default; the secret is the
    key's. A voicemail with neither (or no key to sign with) sends nothing.
    """
    vm = session.scalar(
        select(Voicemail)
        .where(Voicemail.id == vm_id)
        .options(
            selectinload(Voicemail.call),
            selectinload(Voicemail.current_revision).selectinload(TranscriptRevision.summary),
        )
        .execution_options(populate_existing=True)
    )
    if vm is None or vm.api_key_id is None:
        return None
    key = session.get(ApiKey, vm.api_key_id)
    url = vm.callback_url or (key.webhook_url if key is not None else None)
    if key is None or not url:
        return None
    event = event or f"voicemail.{vm.status}"
    delivery = WebhookDelivery(
        voicemail_id=vm.id,
        api_key_id=key.id,
        event=event,
        url=url,
        payload=json.dumps(payload_for(vm, event), ensure_ascii=False, separators=(",", ":")),
        next_attempt_at=utcnow(),
    )
    session.add(delivery)
    return delivery


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


def send(delivery: WebhookDelivery, secret: str, settings: Settings) -> AttemptResult:
    started = time.perf_counter()
    code: int | None = None
    error: str | None = None
    try:
        with urlguard.safe_client(
            settings.fetch.allow_networks,
            httpx.Timeout(settings.webhooks.timeout_s),
            follow_redirects=False,  # Standard Webhooks: a redirect is a failed delivery
        ) as client:
            response = client.post(
                delivery.url,
                content=delivery.payload.encode(),
                headers=signed_headers(secret, delivery.id, delivery.payload),
            )
            code = response.status_code
            if not 200 <= code < 300:
                error = f"the receiver answered HTTP {code}"
    except FetchError as exc:  # refused address, unresolvable host
        error = str(exc)
    except httpx.HTTPError as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:500]
    return AttemptResult(code, error, int((time.perf_counter() - started) * 1000))


def claim_due(sm: sessionmaker[Session], lease_s: float) -> str | None:
    """Take one due delivery: move its next_attempt_at past the lease, if nobody else did first."""
    with sm() as session:
        now = utcnow()
        row = session.execute(
            select(WebhookDelivery.id, WebhookDelivery.next_attempt_at)
            .where(WebhookDelivery.state == WebhookDelivery.PENDING, WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(1)
        ).first()
        if row is None:
            return None
        result = session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == row.id, WebhookDelivery.next_attempt_at == row.next_attempt_at)
            .values(next_attempt_at=now + timedelta(seconds=lease_s))
        )
        session.commit()
        return row.id if result.rowcount == 1 else None  # type: ignore[attr-defined]


def deliver_one(sm: sessionmaker[Session], delivery_id: str, settings: Settings) -> AttemptResult | None:
    """Attempt one claimed delivery and record the outcome."""
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
    result = send(delivery, secret, settings)
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
            delay = next_delay(
                delivery.attempts, settings.webhooks.backoff_s, settings.webhooks.max_backoff_s
            )
            retry_at = now + timedelta(seconds=delay)
            if (
                result.status_code == 410
                or (retry_at - created).total_seconds() > settings.webhooks.max_age_s
            ):
                delivery.state = WebhookDelivery.GAVE_UP  # 410 Gone: the receiver asked us to stop
            else:
                delivery.next_attempt_at = retry_at
        session.commit()
    return result


class Dispatcher:
    """A thread that delivers due webhooks; every serving process may run one."""

    def __init__(self, settings: Settings, sm: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sm = sm
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="voice-webhooks", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        lease = self.settings.webhooks.timeout_s * 3 + 5
        while not self._stop.is_set():
            try:
                delivery_id = claim_due(self.sm, lease)
                if delivery_id is None:
                    self._wake.wait(self.settings.webhooks.poll_interval_s)
                    self._wake.clear()
                    continue
                result = deliver_one(self.sm, delivery_id, self.settings)
                if result is not None:
                    log.info("webhook %s: %s", delivery_id, result.status_code or result.error)
            except Exception:  # the database went away for a moment; keep going
                log.exception("webhook dispatcher error")
                self._stop.wait(self.settings.webhooks.poll_interval_s)
