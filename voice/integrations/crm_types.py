"""What the CRM connectors (zendesk.py, hubspot.py) are given and how they fail: one model of the voicemail as
a CRM sees it, cut to the connector's data minimisation, and one error that says whether asking again can
help (voice/integrations/crm.py retries those and fails the rest at once)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime


class CrmFailure(Exception):
    """A CRM refused or could not be reached. ``permanent``: asking again cannot help (a 4xx other than 408
    and 429); the message is the CRM's answer, never a secret."""

    def __init__(self, message: str, status_code: int | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.status_code, self.permanent = status_code, permanent


def refused(what: str, code: int, body: str) -> CrmFailure:
    """A CRM's HTTP answer that is not a success: 408, 429 and 5xx are tried again, other codes are not."""
    text = " ".join(body.split())[:300]
    message = f"{what}: HTTP {code}" + (f": {text}" if text else "")
    return CrmFailure(message, code, permanent=400 <= code < 500 and code not in (408, 429))


@dataclass(frozen=True)
class Voicemail:
    """The voicemail as a CRM sees it. ``transcript`` and ``recording_link`` are set only when the
    connector's minimisation allows them."""

    id: str
    caller_name: str | None
    caller_number: str | None  # E.164 when dialable: what contacts are found and made by
    callback: str | None
    summary: str
    urgency: str | None
    intent: str | None
    team: str | None
    assignee: str | None
    assignee_email: str | None
    link: str  # the voicemail in Voice's inbox (sign-in needed)
    received_at: datetime
    transcript: str | None = None
    recording_link: str | None = None


@dataclass(frozen=True)
class Event:
    """One sync: ``created`` (a ticket, a call log), ``handled`` or ``retranscribed`` (a comment)."""

    name: str
    voicemail: Voicemail
    settings: Mapping[str, object]
    secrets: Mapping[str, str]
    timeout_s: float
    # The ids this voicemail has in the CRM so far (ticket_id, requester_id, contact_id, call_id, task_id).
    ids: Mapping[str, str] = field(default_factory=dict)
    # A retry: the CRM may hold what an earlier attempt made before its id was stored.
    retry: bool = False
    # Stores ids the moment the CRM answers with them, before anything else is sent.
    save: Callable[..., None] = lambda **ids: None
    # The sync's own id (crm_syncs): marks what this event wrote, so a retry can tell it already went.
    sync_id: str = ""


def comment(event: Event) -> str:
    """The text of a later event's comment or note."""
    vm = event.voicemail
    if event.name == "handled":
        who = f" by {vm.assignee}" if vm.assignee else ""
        return f"Handled in Voice{who}. {vm.link}"
    lines = [f"Re-transcribed in Voice. New summary: {vm.summary}"]
    if vm.transcript is not None:
        lines.append(f"Transcript: {vm.transcript}")
    return "\n\n".join(lines)


def first_comment(vm: Voicemail) -> str:
    """The summary and callback number first, then what minimisation lets through."""
    lines = [vm.summary, f"Call back: {vm.callback or 'no number'}"]
    if vm.caller_name:
        lines.append(f"Caller: {vm.caller_name}")
    lines += [f"Urgency: {vm.urgency or 'unknown'}", f"Team: {vm.team or 'none'}", f"In Voice: {vm.link}"]
    if vm.transcript is not None:
        lines.append(f"Transcript: {vm.transcript}")
    if vm.recording_link is not None:
        lines.append(f"Recording: {vm.recording_link}")
    return "\n".join(lines)
