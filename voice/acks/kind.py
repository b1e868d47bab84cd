"""The job kind of acknowledgement messages (voice/jobs): a row is work while queued, waiting for the
caller's allowed hours, or ``sending`` with its sender gone (a crash, a network error): that one is looked up
at Twilio before anything is sent again (voice/integrations/acks.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from voice.core.config import AckSendSettings
from voice.jobs.kinds import JobKind
from voice.jobs.policy import RetryPolicy
from voice.storage.models import AckMessage

OPEN = (AckMessage.QUEUED, AckMessage.WAITING, AckMessage.SENDING)


def _failed(session: Session, job_id: Any, reason: str | None) -> None:
    values: dict[str, Any] = {"status": AckMessage.FAILED, "next_attempt_at": None}
    if reason is not None:
        values["reason"] = reason[:500]
    session.execute(update(AckMessage).where(AckMessage.id == job_id).values(**values))


def ack_kind(settings: AckSendSettings) -> JobKind:
    """Retried with backoff and jitter on network errors and 5xx, at most ``max_attempts`` sends; a waiting
    row handed back for its hours does not count (voice/integrations/acks.py refunds the claim)."""
    return JobKind(
        name="acknowledgement",
        model=AckMessage,
        open=lambda t: t.status.in_(OPEN),
        order=lambda t: (t.next_attempt_at,),
        policy=RetryPolicy(
            max_attempts=settings.max_attempts,
            backoff_s=settings.backoff_s,
            max_backoff_s=settings.max_backoff_s,
            jitter=0.2,
        ),
        give_up=_failed,
        interrupted=lambda n: f"sending was interrupted {n - 1} times; giving up on this acknowledgement",
        created_at="created_at",
    )
