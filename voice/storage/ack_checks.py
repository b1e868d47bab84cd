"""What an acknowledgement setting must be, shared by a team's (voice/storage/acks.py) and a mailbox's
(voice/storage/ack_mailboxes.py): the refusal and the sender's check."""

from __future__ import annotations

import re

from voice.storage.ack_models import AckSettings
from voice.storage.teams import TeamError

_SENDER = re.compile(r"^(?:\+[1-9]\d{6,14}|MG[0-9a-fA-F]{32}|whatsapp:\+[1-9]\d{6,14})$")


class AckError(TeamError):
    """Settings or a template that cannot be stored; the message says why (a 422, exit 2)."""


def check_sender(sender: str, channel: str) -> str:
    sender = sender.strip()
    if not _SENDER.match(sender):
        raise AckError(
            "a sender is a number in E.164 (+447700900000), a messaging service SID (MG + 32 hex digits) "
            "or a WhatsApp sender (whatsapp:+447700900000)"
        )
    # A messaging service can hold SMS numbers and WhatsApp senders alike; a number says its channel.
    if not sender.startswith("MG") and (channel == AckSettings.WHATSAPP) != sender.startswith("whatsapp:"):
        wanted = "a whatsapp:+... sender" if channel == AckSettings.WHATSAPP else "a number, not whatsapp:"
        raise AckError(f"channel {channel} needs {wanted} (or a messaging service)")
    return sender
