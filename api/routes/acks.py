"""Acknowledgements to callers (docs/acknowledgements.md): per team settings and templates for admins
(/v1/teams/{team}/acknowledgements), the messages sent (/v1/acknowledgements), and Twilio's message status
callback (/v1/integrations/twilio/message-status/{id}), authenticated by X-Twilio-Signature."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.auth import as_admin
from api.deps import get_session, get_settings
from api.routes.twilio import _verified, signed_form
from api.schemas import errors
from voice.acks import templates
from voice.core.config import Settings
from voice.integrations import acks as sender
from voice.storage import ack_mailboxes, acks, opt_outs
from voice.storage.ack_models import AckMailboxSettings, AckSettings
from voice.storage.keys import Principal
from voice.storage.models import AckMessage, AckOptOut, AckTemplate
from voice.storage.teams import find_team

log = logging.getLogger(__name__)

router = APIRouter(tags=["acknowledgements"], responses=errors(401, 403, 413, 422, 429, 503))
callbacks = APIRouter(prefix="/v1/integrations/twilio", tags=["integrations"])

TeamName = Annotated[str, Path(max_length=60, description="the team's name", examples=["billing"])]
MailboxName = Annotated[
    str, Path(max_length=100, description="one of the team's mailboxes", examples=["sales"])
]
SENDER = "a number (+447700900000), a messaging service SID (MG...) or a WhatsApp sender (whatsapp:+...)"


class AckSettingsIn(BaseModel):
    """Only the fields sent change; the first write needs a sender."""

    enabled: bool | None = Field(None, examples=[True])
    channel: str | None = Field(None, description="sms or whatsapp", examples=["sms"])
    sender: str | None = Field(None, max_length=64, description=SENDER, examples=["+447700900000"])
    account_sid: str | None = Field(None, max_length=64, description="one of VOICE_TWILIO__ACCOUNTS")
    repeat_hours: float | None = Field(None, description="one message per caller per team this often")
    max_wait_hours: float | None = Field(None, description="dropped when it could not go sooner")
    allowed_from: str | None = Field(None, description="caller's local time, HH:MM", examples=["08:00"])
    allowed_until: str | None = Field(None, description="caller's local time, HH:MM", examples=["21:00"])
    business_name: str | None = Field(None, max_length=100, examples=["Acme Energy"])


class TemplateIn(BaseModel):
    intent: str = Field("*", max_length=40, description="a triage intent, or * for any", examples=["billing"])
    language: str = Field("*", max_length=10, description="a language code, or * for any", examples=["en"])
    hours: str = Field("any", description="business, after or any", examples=["business"])
    body: str = Field(
        ...,
        max_length=templates.MAX_BODY,
        description=f"a Jinja2 template; variables: {', '.join(templates.VARIABLES)}",
        examples=["Thanks {{ caller_name }}, we got your message about {{ topic }} and will call you back "
                  "{{ callback_by }}. Reply STOP to opt out."],
    )  # fmt: skip


class TemplateOut(TemplateIn):
    pass


class MailboxAckIn(BaseModel):
    """A mailbox's override of its team's settings: only the fields sent change; a field sent as null
    follows the team's again."""

    model_config = ConfigDict(extra="forbid")  # a team-only setting sent here is refused, not ignored

    enabled: bool | None = Field(
        None, description="on or off for this mailbox; null: the team's", examples=[False]
    )
    channel: str | None = Field(
        None, max_length=20, description="sms or whatsapp; null: the team's", examples=["sms"]
    )
    sender: str | None = Field(None, max_length=64, description=SENDER + "; null: the team's",
                               examples=["+447700900001"])  # fmt: skip
    account_sid: str | None = Field(None, max_length=64, description="with a sender of the mailbox's own")
    repeat_hours: float | None = Field(
        None, description="one message per caller this often; null: the team's"
    )


class EffectiveOut(BaseModel):
    """What a voicemail of the mailbox is acknowledged with: the override, else the team's."""

    enabled: bool
    channel: str
    sender: str | None
    account_sid: str | None
    repeat_hours: float


class MailboxAckOut(BaseModel):
    mailbox: str = Field(examples=["sales"])
    enabled: bool | None
    channel: str | None
    sender: str | None
    account_sid: str | None
    repeat_hours: float | None
    effective: EffectiveOut


class AckSettingsOut(BaseModel):
    team: str = Field(examples=["billing"])
    enabled: bool
    channel: str
    sender: str
    account_sid: str | None
    repeat_hours: float
    max_wait_hours: float
    allowed_from: str
    allowed_until: str
    business_name: str | None
    templates: list[TemplateOut]
    mailboxes: list[MailboxAckOut] = Field(description="the overrides of the team's mailboxes")


class AckOut(BaseModel):
    """A voicemail's acknowledgement: who it went to (the number is shown to admins and the voicemail's
    readers), its body, and its status."""

    id: str = Field(examples=["ack_4f1c2a9e8b7d4e0f9a1b2c3d4e5f6a7b"])
    voicemail_id: str
    to: str | None = Field(examples=["+447700900123"])
    channel: str | None = Field(examples=["sms"])
    sender: str | None
    body: str | None
    status: str = Field(examples=["delivered"], description="queued, waiting, sending, sent, delivered, "
                        "undelivered, failed, skipped or dropped")  # fmt: skip
    reason: str | None = Field(examples=[None])
    message_sid: str | None
    error_code: int | None
    created_at: datetime
    sent_at: datetime | None


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def ack_out(row: AckMessage) -> AckOut:
    created = _aware(row.created_at)
    assert created is not None
    return AckOut(
        id=row.id, voicemail_id=row.voicemail_id, to=row.to_number, channel=row.channel, sender=row.sender,
        body=row.body, status=row.status, reason=row.reason, message_sid=row.message_sid,
        error_code=row.error_code, created_at=created, sent_at=_aware(row.sent_at),
    )  # fmt: skip


def _template_out(t: AckTemplate) -> TemplateOut:
    return TemplateOut(intent=t.intent, language=t.language, hours=t.hours, body=t.body)


def _settings_out(session: Session, team: str) -> AckSettingsOut:
    row = acks.settings_of(session, find_team(session, team).id)
    if row is None:
        raise HTTPException(404, f"team {team!r} has no acknowledgement settings yet")
    fields = {c: getattr(row, c) for c in AckSettingsIn.model_fields}
    shown = [_template_out(t) for t in acks.templates_of(session, row.team_id)]
    boxes = [_mailbox_out(row.team_id, row, box) for box in ack_mailboxes.overrides_of(session, row.team_id)]
    return AckSettingsOut(team=team, templates=shown, mailboxes=boxes, **fields)


def _mailbox_out(team_id: str, team: AckSettings | None, box: AckMailboxSettings | None) -> MailboxAckOut:
    eff = ack_mailboxes.merge(team_id, team, box)
    shown = EffectiveOut(
        enabled=eff.enabled if eff else False,
        channel=eff.channel if eff else AckSettings.SMS,
        sender=eff.sender if eff else None,
        account_sid=eff.account_sid if eff else None,
        repeat_hours=eff.repeat_hours if eff else 24.0,
    )
    given = {f: getattr(box, f) if box is not None else None for f in ack_mailboxes.FIELDS}
    return MailboxAckOut(mailbox=box.mailbox if box else "", effective=shown, **given)


def _mailbox_shown(session: Session, team: str, mailbox: str) -> MailboxAckOut:
    team_id = ack_mailboxes.owned(session, team, mailbox).id
    out = _mailbox_out(
        team_id, acks.settings_of(session, team_id), ack_mailboxes.override_of(session, team_id, mailbox)
    )
    return out.model_copy(update={"mailbox": mailbox})


@router.get("/v1/teams/{team}/acknowledgements", responses=errors(404))
def get_ack_settings(
    team: TeamName, session: Session = Depends(get_session), _: Principal = Depends(as_admin)
) -> AckSettingsOut:
    """A team's acknowledgement settings and templates (admins)."""
    return _settings_out(session, team)


@router.put("/v1/teams/{team}/acknowledgements", responses=errors(404))
def put_ack_settings(
    team: TeamName,
    body: AckSettingsIn,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
    _: Principal = Depends(as_admin),
) -> AckSettingsOut:
    """Switch acknowledgements on or off for a team and set the sender, channel and limits (admins)."""
    row = acks.configure(session, team, acks.SettingsIn(**body.model_dump()))
    problem = sender.account_problem(settings, row)
    if problem:
        session.rollback()
        raise HTTPException(422, problem)
    session.commit()
    return _settings_out(session, team)


@router.get("/v1/teams/{team}/acknowledgements/mailboxes/{mailbox}", responses=errors(404))
def get_mailbox_acks(
    team: TeamName,
    mailbox: MailboxName,
    session: Session = Depends(get_session),
    _: Principal = Depends(as_admin),
) -> MailboxAckOut:
    """A mailbox's override of its team's acknowledgement settings, and what is in effect (admins); 404 for a
    mailbox the team does not own."""
    return _mailbox_shown(session, team, mailbox)


@router.put("/v1/teams/{team}/acknowledgements/mailboxes/{mailbox}", responses=errors(404))
def put_mailbox_acks(
    team: TeamName,
    mailbox: MailboxName,
    body: MailboxAckIn,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
    _: Principal = Depends(as_admin),
) -> MailboxAckOut:
    """Switch acknowledgements on or off for one of the team's mailboxes, or give it its own sender, channel,
    account or repeat window (admins). A mailbox switched on whose team has no settings needs a sender."""
    change = {name: getattr(body, name) for name in body.model_fields_set}
    eff = ack_mailboxes.configure_mailbox(session, team, mailbox, change)
    problem = sender.account_problem(settings, AckSettings(enabled=eff.enabled, account_sid=eff.account_sid))
    if problem:
        session.rollback()
        raise HTTPException(422, f"mailbox {mailbox!r}: {problem}")
    session.commit()
    return _mailbox_shown(session, team, mailbox)


@router.delete(
    "/v1/teams/{team}/acknowledgements/mailboxes/{mailbox}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(404),
)
def delete_mailbox_acks(
    team: TeamName,
    mailbox: MailboxName,
    session: Session = Depends(get_session),
    _: Principal = Depends(as_admin),
) -> Response:
    """Remove a mailbox's override: it follows the team's settings again (404: it has none)."""
    if not ack_mailboxes.clear_mailbox(session, team, mailbox):
        raise HTTPException(404, f"mailbox {mailbox!r} has no acknowledgement settings of its own")
    session.commit()
    return Response(status_code=204)


@router.put("/v1/teams/{team}/acknowledgements/templates", responses=errors(404))
def put_template(
    team: TeamName,
    body: TemplateIn,
    session: Session = Depends(get_session),
    _: Principal = Depends(as_admin),
) -> TemplateOut:
    """Write the template for an intent, language and hours (``*``/any match all); checked now: its syntax,
    and that it uses only the known variables."""
    try:
        templates.check(body.body)
    except templates.TemplateInvalid as exc:
        raise HTTPException(422, str(exc)) from exc
    row = acks.set_template(session, team, body.body, body.intent, body.language, body.hours)
    session.commit()
    return _template_out(row)


@router.delete(
    "/v1/teams/{team}/acknowledgements/templates",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(404),
)
def delete_template(
    team: TeamName,
    intent: Annotated[str, Query(max_length=40, examples=["billing"])] = "*",
    language: Annotated[str, Query(max_length=10, examples=["en"])] = "*",
    hours: Annotated[str, Query(max_length=10, examples=["any"])] = "any",
    session: Session = Depends(get_session),
    _: Principal = Depends(as_admin),
) -> Response:
    """Remove one template."""
    if not acks.delete_template(session, team, intent, language, hours):
        raise HTTPException(404, "no such template")
    session.commit()
    return Response(status_code=204)


@router.get("/v1/acknowledgements", responses=errors(404))  # 404: no such team
def list_acks(
    team: Annotated[str | None, Query(max_length=60, examples=["billing"])] = None,
    limit: Annotated[int, Query(ge=1, le=500, examples=[50])] = 50,
    session: Session = Depends(get_session),
    _: Principal = Depends(as_admin),
) -> list[AckOut]:
    """The latest acknowledgements, newest first (admins)."""
    team_id = find_team(session, team).id if team else None
    return [ack_out(r) for r in acks.recent(session, team_id, limit)]


class StatusAccepted(BaseModel):
    status: str = Field(examples=["delivered"])


@callbacks.post(
    "/message-status/{ack_id}",
    responses={
        403: {
            "description": "unknown account, X-Twilio-Signature does not match, or the callback is not for "
            "this acknowledgement's message from the account it went from"
        },
        # 404: an id no route takes (a / in it); 422: a missing field, a control character.
        **errors(404, 422),
    },
    openapi_extra=signed_form(
        {
            "AccountSid": "AC00000000000000000000000000000000",
            "MessageSid": "SM11111111111111111111111111111111",
            "MessageStatus": "delivered",
        }
    ),
)
async def message_status(
    ack_id: Annotated[str, Path(max_length=40, examples=["ack_4f1c2a9e8b7d4e0f9a1b2c3d4e5f6a7b"])],
    request: Request,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
) -> StatusAccepted:
    """Twilio's status callback of an acknowledgement (the StatusCallback Voice gives each message): its
    status moves on; error 21610 (the caller unsubscribed at the carrier) puts them on the opt-out list."""
    account, form = await _verified(request, settings)
    sid, state = (
        form.get("MessageSid") or form.get("SmsSid"),
        form.get("MessageStatus") or form.get("SmsStatus"),
    )
    if not sid or not state:
        raise HTTPException(422, "MessageSid and MessageStatus are required")
    code = _code(form.get("ErrorCode"))
    # Bound to its path id and to the account the message went from: another configured account, or a
    # callback naming another row's message, changes nothing.
    row = acks.status_target(session, ack_id, sid)
    sent_by = sender.account_for(settings, row.account_sid) if row is not None else None
    if row is None or sent_by is None or sent_by.account_sid != account.account_sid:
        log.warning(
            "twilio message status %s for %s ignored: not that acknowledgement's message", sid, ack_id
        )
        # 403, as for a bad signature: this signer may not change that row (whether it exists is not said).
        raise HTTPException(403, "not this acknowledgement's message, or not the account it went from")
    acks.record_status(session, row, sid, state.lower(), code)
    if code == 21610 and row.to_number and row.sender:
        opt_outs.add(session, row.to_number, [row.sender], AckOptOut.CARRIER)
    session.commit()
    return StatusAccepted(status=row.status)


def _code(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
