"""What triage knows of a call besides its words, built from the call record by one function for the service
(voice.pipeline.process), `voice transcribe` and `voice eval triage`, so the three read a call alike."""

from __future__ import annotations

from datetime import UTC, datetime

from voice.core.config import SummarySettings
from voice.core.phone import caller_region, to_e164
from voice.storage.voicemails import start_in_range
from voice.triage.model import CallContext

__all__ = ["call_context", "parse_start", "region_of"]


def parse_start(value: str | datetime | None) -> datetime | None:
    """A call start as given in a call record ("2026-11-23T09:15:00Z", "2026-11-23T10:15:00+01:00"), aware;
    one without an offset is UTC, as the API reads it. ValueError for text that is not ISO 8601."""
    if value is None or value == "":
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(value.strip())
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def call_context(
    caller_id: str | None,
    mailbox: str | None,
    started_at: datetime | None,
    settings: SummarySettings,
    *,
    received_at: datetime | None = None,
    repeat_calls: int = 0,
) -> CallContext:
    """The CallContext for a call from ``caller_id`` to ``mailbox`` that started at ``started_at``.

    Numbers said without a country code are read in the mailbox's configured region, else the caller id's
    country, else the default region (``region_of`` says which). A start Voice cannot reason about (year 1,
    9999) gives way to ``received_at``, as the service does with the time the voicemail arrived.
    """
    start = started_at if started_at is not None and start_in_range(started_at) else received_at
    mailbox_region = settings.mailbox_regions.get(mailbox or "")
    # The API stores caller ids in E.164 read in the default region; a call record read here gets the same.
    caller = (to_e164(caller_id, settings.default_region) or caller_id.strip()) if caller_id else None
    return CallContext(
        started_at=(start if start.tzinfo else start.replace(tzinfo=UTC)).astimezone(UTC) if start else None,
        caller_id=caller or None,
        region=mailbox_region or settings.default_region,
        region_fixed=mailbox_region is not None,
        repeat_calls=repeat_calls,
    )


def region_of(context: CallContext) -> str:
    """The region triage reads numbers said without a country code in (as voice.triage.callback does)."""
    return context.region if context.region_fixed else caller_region(context.caller_id, context.region)
