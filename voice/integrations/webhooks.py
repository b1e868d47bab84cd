"""Completion webhooks, signed by the Standard Webhooks scheme and delivered at least once.

When a voicemail ends (done, no_speech, failed) the transaction that ends it also writes a delivery
row (an outbox), so a crash between "finished" and "told the receiver" loses nothing. A dispatcher
in every serving process claims due deliveries (a lease, voice/jobs), POSTs them with the
webhook-id / webhook-timestamp / webhook-signature headers, records each attempt, and retries
failures with exponential backoff and jitter until the delivery is older than ``max_age_s`` (the
job mechanism's retry policy); a 410 Gone stops them.

Receivers are outside parties. Each attempt has a total deadline (``timeout_s``, connect to last byte)
that ends well inside the claim's lease, so no other process posts the same delivery while it runs;
only the status and a small prefix of the answer are read; and attempts run side by side, a few per
API key at most, so one slow receiver delays its own deliveries and nobody else's.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks import Webhook

from voice.audio import urlguard
from voice.core.config import Settings
from voice.core.errors import FetchError
from voice.jobs import claiming
from voice.jobs.claiming import Claimed
from voice.jobs.kinds import JobKind, webhook_kind
from voice.jobs.leases import owner_token
from voice.jobs.pool import Pool
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


def _deliveries(settings: Settings) -> JobKind:
    return webhook_kind(settings.webhooks)


def claim_due(
    sm: sessionmaker[Session], settings: Settings, busy_keys: frozenset[str] = frozenset()
) -> Claimed | None:
    """Take the delivery due first, not of ``busy_keys`` (their receivers have their share of posts)."""
    kind = _deliveries(settings)
    return claiming.claim_next(sm, kind, owner_token(), settings.webhooks.lease_s, skip_groups=busy_keys)


def deliver_one(
    sm: sessionmaker[Session], claimed: Claimed, settings: Settings, claimed_at: float | None = None
) -> AttemptResult | None:
    """Attempt one claimed delivery and record the outcome. ``claimed_at`` (time.monotonic()) is when
    its lease began: the attempt ends ``LEASE_MARGIN_S`` before the lease does."""
    claimed_at = time.monotonic() if claimed_at is None else claimed_at
    w = settings.webhooks
    kind = _deliveries(settings)
    with sm() as session:
        delivery = session.get(WebhookDelivery, claimed.id)
        if delivery is None or delivery.state != WebhookDelivery.PENDING:
            return None
        key = session.get(ApiKey, delivery.api_key_id) if delivery.api_key_id else None
        if key is None:
            if claiming.end(session, kind, claimed.id, claimed.owner):
                kind.give_up(session, claimed.id, "the API key that signs this delivery was deleted")
            session.commit()
            return None
        secret = key.webhook_secret
        session.expunge(delivery)
    # Past the lease another process may claim this delivery and post it again, so the attempt ends
    # before: at timeout_s, or sooner when the database was slow to answer until now.
    seconds = min(w.timeout_s, w.lease_s - LEASE_MARGIN_S - (time.monotonic() - claimed_at))
    if seconds < min(1.0, w.timeout_s):
        log.warning("webhook %s: too little of its lease left to post it; it is taken up again", claimed.id)
        return None
    result = send(delivery, secret, settings, seconds)
    with sm() as session:
        if session.get(WebhookDelivery, claimed.id) is None:  # the voicemail was deleted meanwhile
            return result
        _record(session, kind, claimed, result)
        session.commit()
    return result


def _record(session: Session, kind: JobKind, claimed: Claimed, result: AttemptResult) -> None:
    """The attempt (always: it happened), and what comes next: delivered, a retry after the policy's delay,
    or given up (410 Gone asks us to stop; a retry past max_age_s is news no more)."""
    now = utcnow()
    session.add(
        WebhookAttempt(
            delivery_id=claimed.id,
            at=now,
            status_code=result.status_code,
            error=result.error,
            duration_ms=result.duration_ms,
        )
    )
    last = {"last_status_code": result.status_code, "last_error": result.error}
    if result.ok:
        claiming.end(
            session,
            kind,
            claimed.id,
            claimed.owner,
            state=WebhookDelivery.DELIVERED,
            delivered_at=now,
            **last,
        )
        return
    if not claiming.write_held(session, kind, claimed.id, claimed.owner, **last):
        log.warning("webhook %s: its lease ran out while it was posted; the attempt is recorded", claimed.id)
        return
    claiming.fail(session, kind, claimed.id, claimed.owner, permanent=result.status_code == 410, now=now)


class WebhookSender(Pool):
    """Delivers due webhooks; every serving process may run one. A claiming thread hands deliveries to
    a pool of ``concurrency`` threads, at most ``concurrency_per_key`` at once for one API key's
    receivers, so a slow receiver holds back its own deliveries only; on stop, attempts in flight end by
    their deadline, and are recorded."""

    def __init__(self, settings: Settings, sm: sessionmaker[Session]) -> None:
        w = settings.webhooks
        if not w.timeout_s + LEASE_MARGIN_S < w.lease_s:  # else an attempt could outlive its lease
            raise ValueError("webhooks.lease_s must exceed timeout_s by more than the recording margin")
        self.settings = settings
        self.sm = sm
        super().__init__(
            "voice-webhooks",
            lambda busy: claim_due(sm, settings, busy),
            self._attempt,
            w.concurrency,
            w.concurrency_per_key,
            w.poll_interval_s,
        )

    def _attempt(self, claimed: Claimed, claimed_at: float) -> None:
        result = deliver_one(self.sm, claimed, self.settings, claimed_at)
        if result is not None:
            log.info("webhook %s: %s", claimed.id, result.status_code or result.error)
