"""What a notification says (docs/notifications.md): who called (the name triage heard, else the number),
the one-line summary, the callback number as a tel: link, urgency, the team, and a link to the voicemail in
the inbox. The transcript and the audio only when the voicemail's team allows it (``teams.notify_transcript``,
``notify_audio``; off by default: voicemails are personal data), the transcript masked when redaction applies
to its mailbox. One model of the message; each channel's format is made from it (notify_senders.py)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from voice.core.config import Settings
from voice.core.phone import to_e164
from voice.storage.models import Team, TeamMailbox, TranscriptRevision, Voicemail, as_utc
from voice.triage.redact import redact

URGENT = "urgent"


@dataclass(frozen=True)
class Item:
    voicemail_id: str
    caller: str  # the caller's name when triage found one, else their number, else "Unknown caller"
    summary: str
    callback: str | None  # E.164 when dialable, else as given
    urgency: str | None
    intent: str | None
    team: str | None
    mailbox: str | None
    link: str
    assignee: str | None
    received_at: datetime
    transcript: str | None = None  # only when the team allows it
    audio_path: Path | None = None  # only when the team allows it (e-mail attaches it)

    @property
    def tel(self) -> str | None:
        return f"tel:{self.callback}" if self.callback else None

    @property
    def urgent(self) -> bool:
        return self.urgency == URGENT


@dataclass(frozen=True)
class Message:
    channel: str
    items: tuple[Item, ...]
    digest: bool = False
    test: bool = False
    # voicemail.new (routed), voicemail.reassigned.N (voice/usecases/reassign.py: no callback in time), or
    # voicemail.assigned.N (to the assignee alone: 0 from routing, N from the N-th reassignment)
    event: str = "voicemail.new"

    @property
    def title(self) -> str:
        if self.test:
            return f"Voice: test message for channel {self.channel}"
        if len(self.items) == 1 and not self.digest:
            item = self.items[0]
            if self.event == "voicemail.assigned.0" or self.event.startswith("voicemail.assigned.0."):
                # to the assignee (voice/storage/assignee_notices.py), from routing
                return f"Assigned to you: voicemail from {item.caller}"
            if self.event.startswith("voicemail.assigned."):
                return f"Reassigned to you: voicemail from {item.caller}"
            if self.event.startswith("voicemail.reassigned"):
                return f"Reassigned to {item.assignee or 'nobody'}: voicemail from {item.caller}"
            flag = "Urgent voicemail" if item.urgent else "Voicemail"
            return f"{flag} from {item.caller}" + (f" for {item.team}" if item.team else "")
        return f"{len(self.items)} new voicemails" + (f" for {self.items[0].team}" if self._one_team else "")

    @property
    def _one_team(self) -> bool:
        teams = {i.team for i in self.items}
        return len(teams) == 1 and None not in teams

    def text(self) -> str:
        """Plain text: the e-mail's text part, and the fallback text of chat messages."""
        if self.test:
            return f"This is a test message from Voice for the channel {self.channel}. It works."
        return "\n\n".join(item_text(i) for i in self.items)

    def html(self) -> str:
        if self.test:
            return f"<p>{html.escape(self.text())}</p>"
        return "\n<hr>\n".join(item_html(i) for i in self.items)


def facts(item: Item) -> list[tuple[str, str]]:
    """(label, value) pairs every format shows, in this order."""
    out = [("Caller", item.caller), ("Call back", item.callback or "no number")]
    out += [("Urgency", item.urgency or "unknown"), ("Team", item.team or "none")]
    if item.assignee:
        out.append(("Assigned to", item.assignee))
    if item.intent:
        out.append(("Intent", item.intent))
    if item.mailbox:
        out.append(("Mailbox", item.mailbox))
    return out


def item_text(item: Item) -> str:
    lines = [f"{item.caller}: {item.summary}"]
    lines += [f"{label}: {value}" for label, value in facts(item)[1:]]
    if item.tel:
        lines.append(f"Call: {item.tel}")
    lines.append(f"Open: {item.link}")
    if item.transcript is not None:
        lines.append(f"Transcript: {item.transcript}")
    return "\n".join(lines)


def item_html(item: Item) -> str:
    e = html.escape
    rows = "".join(f"<tr><th align='left'>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in facts(item))
    call = f"<a href='{e(item.tel)}'>{e(item.callback or '')}</a>" if item.tel else "no number"
    out = [
        f"<p><strong>{e(item.caller)}</strong>: {e(item.summary)}</p>",
        f"<table>{rows}</table>",
        f"<p>Call back: {call} &middot; <a href='{e(item.link)}'>Open in the inbox</a></p>",
    ]
    if item.transcript is not None:
        out.append(f"<blockquote>{e(item.transcript)}</blockquote>")
    return "\n".join(out)


def base_url(settings: Settings) -> str:
    return (settings.public_url or f"http://{settings.api.host}:{settings.api.port}").rstrip("/")


def _team(session: Session, vm: Voicemail) -> Team | None:
    """The voicemail's team: the one it was routed to, else its mailbox's (whose privacy settings apply)."""
    if vm.team is not None:
        return vm.team
    mailbox = vm.call.mailbox
    if not mailbox:
        return None
    return session.scalar(select(Team).join(TeamMailbox).where(TeamMailbox.mailbox == mailbox))


def _transcript(settings: Settings, vm: Voicemail) -> str | None:
    rev = vm.current_revision
    if rev is None:
        return None
    text = rev.text or ""
    # Stored text is masked already when redaction was on as it was processed; masking again changes
    # nothing then, and masks it when redaction was turned on since.
    if settings.redaction.applies(vm.call.mailbox):
        text, _ = redact(text, rev.language or "en", settings.redaction.callback_numbers)
    return text


def item(session: Session, settings: Settings, vm_id: str) -> Item | None:
    """The voicemail as a notification shows it; None when it is gone."""
    vm = session.scalar(
        select(Voicemail)
        .where(Voicemail.id == vm_id)
        .options(
            selectinload(Voicemail.call),
            selectinload(Voicemail.current_revision).selectinload(TranscriptRevision.summary),
        )
    )
    if vm is None:
        return None
    rev = vm.current_revision
    summary = rev.summary if rev is not None else None
    call = vm.call
    number = (summary.callback_number if summary is not None else None) or call.from_number
    name = summary.caller_name if summary is not None else None
    team = _team(session, vm)
    audio = Path(vm.audio_path) if vm.audio_path and vm.audio_deleted_at is None else None
    return Item(
        voicemail_id=vm.id,
        caller=name or call.from_number or "Unknown caller",
        summary=(summary.text if summary is not None else None) or _no_summary(vm.status),
        callback=to_e164(number, settings.summary.default_region) or number,
        urgency=summary.urgency if summary is not None else None,
        intent=summary.intent if summary is not None else None,
        team=team.name if team is not None else None,
        mailbox=call.mailbox,
        link=f"{base_url(settings)}/voicemails/{vm.id}",
        assignee=vm.assignee,
        received_at=as_utc(vm.created_at),
        transcript=_transcript(settings, vm) if team is not None and team.notify_transcript else None,
        audio_path=audio if team is not None and team.notify_audio else None,
    )


def _no_summary(status: str) -> str:
    return "No speech was heard." if status == "no_speech" else "No summary."


def message(
    session: Session,
    settings: Settings,
    channel: str,
    vm_ids: list[str],
    digest: bool = False,
    event: str = "voicemail.new",
) -> Message:
    items = [found for vm_id in vm_ids if (found := item(session, settings, vm_id)) is not None]
    return Message(channel, tuple(items), digest=digest or len(items) > 1, event=event)
