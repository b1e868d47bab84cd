"""Voice notes (WhatsApp audio messages) in: stored as voicemails through ``ingest``, one per message.

A voice note's call record is its conversation, which without a ConversationSid is keyed by the day (see
voice.integrations.twilio_messages.conversation_key). A retry of the webhook just after midnight would name
the next day's record, so the day before's is looked up first: one message is one voicemail.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from voice.storage.models import Voicemail
from voice.storage.voicemails import Accepted, CallInfo, dedupe_key
from voice.usecases import ingest


def ingest_voice_note(
    session: Session, arrival: ingest.Arrival, notify: ingest.Notify, earlier: CallInfo | None = None
) -> Accepted:
    """Store the voice note, or find the voicemail this message made already (under ``arrival.call``'s
    conversation or the ``earlier`` one's)."""
    if earlier is not None:
        key = dedupe_key(earlier, arrival.recording_id, arrival.api_key_id)
        found = session.execute(
            select(Voicemail.id, Voicemail.status).where(Voicemail.dedupe_key == key)
        ).first()
        if key is not None and found is not None:
            return Accepted(found.id, found.status, False)
    return ingest.ingest(session, arrival, notify)
