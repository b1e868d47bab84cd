"""/v1/integrations/twilio/recording: Twilio's recording status callback; /v1/integrations/twilio/call-status:
the status callback of outbound calls, recorded as callback attempts (docs/callbacks.md).

Authenticated by X-Twilio-Signature (Twilio cannot send our API keys), not by a Bearer key.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.callback_schemas import OutboundOut
from api.deps import get_session, get_settings
from api.ingest import answer
from api.routes.callbacks import attempt_out, report_call
from api.schemas import Accepted
from voice.core.config import Settings, TwilioAccount
from voice.integrations import acks as sender
from voice.integrations import twilio, twilio_messages
from voice.storage import access, acks
from voice.storage.callback_models import Source
from voice.storage.keys import Principal
from voice.storage.models import ApiKey, Status
from voice.usecases import callbacks, ingest

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/integrations/twilio", tags=["integrations"])

_FORM_EXAMPLE = {
    "AccountSid": "AC00000000000000000000000000000000",
    "CallSid": "CA11111111111111111111111111111111",
    "RecordingSid": "RE22222222222222222222222222222222",
    "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC0000/Recordings/RE2222",
    "RecordingStatus": "completed",
    "RecordingDuration": "14",
    "RecordingChannels": "1",
    "RecordingSource": "RecordVerb",
    "From": "+12125550134",
    "To": "+12125550100",
}


def signed_form(example: dict[str, str]) -> dict[str, Any]:
    """The OpenAPI of a webhook Twilio posts: a form of string fields, signed in X-Twilio-Signature."""
    return {
        "parameters": [
            {"name": "X-Twilio-Signature", "in": "header", "required": True, "schema": {"type": "string"}}
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "additionalProperties": {"type": "string"}},
                    "example": example,
                }
            },
        },
    }


def _account_key(session: Session, account: TwilioAccount) -> ApiKey | None:
    """The account's API key (``api_key_name``): the newest active key of that name, so every retry of a
    callback lands on the same one (duplicates are detected per key)."""
    if not account.api_key_name:
        return None
    return session.scalar(
        select(ApiKey)
        .where(ApiKey.name == account.api_key_name, ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
        .limit(1)
    )


async def _verified(request: Request, settings: Settings) -> tuple[TwilioAccount, dict[str, str]]:
    """The account that signed the request (403 otherwise) and the form's fields."""
    form = await request.form()
    try:
        account = twilio.verify(
            _signed_url(request, settings),
            form,
            request.headers.get("X-Twilio-Signature"),
            str(form.get("AccountSid") or ""),
            settings.twilio,
            request.headers.get("X-Twilio-Webhooks-Signature-Settings"),
        )
    except twilio.TwilioRejected as exc:
        raise HTTPException(403, str(exc)) from exc
    return account, {k: str(v) for k, v in form.items()}


def check_owner(
    session: Session, settings: Settings, account: TwilioAccount, fields: dict[str, str], receiver: str | None
) -> None:
    """403 unless the signing account is the one each team that sends from the number called or written to
    (or owns it as a mailbox) sends with: another configured account (another client) signs its own
    requests, and must not change this one's opt-out list or put voicemails in its mailboxes. A number no
    team names binds no account."""
    senders = twilio_messages.our_senders(fields, settings.summary.default_region)
    # A team's SMS sender is the bare number, its WhatsApp sender the whatsapp: one: either claims the number.
    numbers = {s.removeprefix("whatsapp:") for s in senders if not s.startswith("MG")}
    claims = [*senders, *numbers, *(f"whatsapp:{n}" for n in numbers)]
    for sid in acks.owning_accounts(session, claims, receiver):
        owner = sender.account_for(settings, sid)
        if owner is None or owner.account_sid != account.account_sid:
            what = fields.get("MessageSid") or fields.get("CallSid")
            log.warning("twilio %s refused: the number it went to is another Twilio account's", what)
            raise HTTPException(403, "the number this was sent to belongs to another Twilio account")


def _signed_url(request: Request, settings: Settings) -> str:
    """The URL Twilio requested, which its signature covers: the one Voice gives Twilio (a public URL, when
    behind a proxy), else the request's own."""
    return twilio.given_url(settings, request.url.path, request.url.query) or str(request.url)


@router.post(
    "/recording",
    response_model=Accepted,
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {"id": "4f1c2a9e8b7d4e0f9a1b2c3d4e5f6a7b", "status": "queued"}
                }
            }
        },
        403: {
            "description": "unknown account, X-Twilio-Signature does not match, or the number called is "
            "another configured Twilio account's"
        },
        422: {
            "description": "fields missing, CallSid or RecordingSid over 200 characters, RecordingUrl over "
            "4000 or not on a Twilio media host, or a control character in a field"
        },
    },
    openapi_extra=signed_form(_FORM_EXAMPLE),
)
async def recording_callback(
    request: Request,
    response: Response,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
) -> Accepted:
    """Point a recording's `recordingStatusCallback` here (method POST). A completed recording is
    fetched with the account's credentials and processed; a repeated callback changes nothing."""
    account, fields = await _verified(request, settings)
    try:
        rec = twilio.parse_callback(fields, settings.twilio, settings.summary.default_region)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    check_owner(session, settings, account, fields, rec.call.mailbox)
    key = _account_key(session, account)
    key_id = key.id if key is not None else None
    status, reason = Status.QUEUED, None
    if rec.status == "absent":
        status, reason = (
            Status.NO_SPEECH,
            "Twilio reported the recording as absent (the caller left no message)",
        )
    elif rec.status == "failed":
        status, reason = (
            Status.FAILED,
            f"Twilio could not record the call (error {fields.get('ErrorCode', '?')})",
        )
    arrival = ingest.Arrival(
        rec.call,
        api_key_id=key_id,
        audio_url=rec.media_url if status == Status.QUEUED else None,
        fetch_auth=f"twilio:{account.account_sid}",
        recording_id=rec.recording_id,
        status=status,
        status_reason=reason,
    )
    stored = ingest.ingest(session, arrival, request.app.state.dispatch.voicemail)
    return answer(response, stored, location=False)


@router.post(
    "/call-status",
    response_model=OutboundOut,
    responses={
        403: {"description": "unknown account or X-Twilio-Signature does not match"},
        422: {"description": "fields missing or too long, or a control character in a field"},
    },
    openapi_extra=signed_form(
        {
            "AccountSid": _FORM_EXAMPLE["AccountSid"],
            "CallSid": "CA33333333333333333333333333333333",
            "CallStatus": "completed",
            "CallDuration": "95",
            "Direction": "outbound-api",
            "From": "+12125550100",
            "To": "+12125550134",
        }
    ),
)
async def call_status_callback(
    request: Request,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
) -> OutboundOut:
    """Point an outbound call's `statusCallback` here (method POST). When the call is over (completed,
    busy, no-answer, failed, canceled), it is recorded as a callback attempt on every open voicemail from
    the number called (`To`); a completed call of at least `VOICE_SLA__REACHED_AFTER_S` reached the caller.
    Inbound calls and calls not over yet record nothing; a repeated CallSid records nothing new."""
    account, fields = await _verified(request, settings)
    try:
        call = twilio.parse_call_status(fields)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    if call is None:
        return OutboundOut(recorded=[], replayed=False, final=False)
    key = _account_key(session, account)
    # The account's key sees what it would see through the API; an account without one, everything.
    scope = access.EVERYTHING
    if key is not None:
        scope = access.for_key(session, Principal(key.id, key.name, key.role))
    outbound = callbacks.OutboundCall(Source.TWILIO, call.call_sid, call.to, call.status, call.duration_s)
    matched = report_call(session, outbound, scope, settings)
    session.commit()
    return OutboundOut(
        recorded=[attempt_out(a) for a in matched.attempts], replayed=matched.replayed, final=matched.final
    )
