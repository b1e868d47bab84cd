"""A caller's history, as triage's signals: calling again, and the same words from many numbers."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voice.storage.models import CallRecord, TranscriptRevision, Voicemail, utcnow


def earlier_calls_from(session: Session, number: str | None, vm_id: str, before: datetime) -> int:
    """Other voicemails from ``number`` in the 24 h before ``before``: a caller trying again."""
    if not number:
        return 0
    try:
        since, until = before - timedelta(hours=24), before + timedelta(minutes=5)
    except OverflowError:  # a start at the ends of the calendar (year 1, 9999): no window to look in
        return 0
    return int(
        session.scalar(
            select(func.count())
            .select_from(Voicemail)
            .join(CallRecord, Voicemail.call_id == CallRecord.id)
            .where(
                CallRecord.from_number == number,
                Voicemail.id != vm_id,
                Voicemail.created_at >= since,
                Voicemail.created_at <= until,
            )
        )
        or 0
    )


def callers_with_fingerprint(session: Session, print_: str, number: str | None, before: datetime) -> int:
    """How many other numbers left the same words in the week before: a recorded robocall."""
    try:
        since = before - timedelta(days=7)
    except OverflowError:  # a start in year 1: look back from now instead
        since = utcnow() - timedelta(days=7)
    query = (
        select(func.count(func.distinct(CallRecord.from_number)))
        .select_from(TranscriptRevision)
        .join(Voicemail, TranscriptRevision.voicemail_id == Voicemail.id)
        .join(CallRecord, Voicemail.call_id == CallRecord.id)
        .where(TranscriptRevision.fingerprint == print_, TranscriptRevision.created_at >= since)
    )
    if number:
        query = query.where(CallRecord.from_number != number)
    return int(session.scalar(query) or 0)
