"""/v1/integrations/twilio/messages: Twilio's inbound message webhook ("A message comes in").

A WhatsApp voice note becomes a voicemail; an opt-out or opt-in keyword changes the opt-out list; anything
else is answered and dropped. Authenticated by X-Twilio-Signature, like the recording callback. The answer
is always empty TwiML: Voice never replies in the chat (Twilio's own opt-out handling may).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from sqlalchemy.orm import Session

from api.deps import get_session, get_settings
from api.routes.twilio import _account_key, _verified, check_owner, signed_form
from voice.core.config import Settings, TwilioAccount
from voice.integrations import twilio_messages as messages
from voice.storage import opt_outs
from voice.storage.ack_models import AckOptOut
from voice.usecases import ingest, voice_notes

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/integrations/twilio", tags=["integrations"])

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

_FORM_EXAMPLE = {
    "AccountSid": "AC00000000000000000000000000000000",
    "MessageSid": "MM44444444444444444444444444444444",
    "From": "whatsapp:+447700900123",
    "To": "whatsapp:+442079460000",
    "Body": "",
    "NumMedia": "1",
    "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC0000/Messages/MM4444/Media/ME5555",
    "MediaContentType0": "audio/ogg",
}


def _twiml() -> Response:
    return Response(EMPTY_TWIML, media_type="text/xml")


def _store_voice_note(
    request: Request,
    session: Session,
    account: TwilioAccount,
    fields: dict[str, str],
    message: messages.InboundMessage,
    media_url: str,
) -> str:
    now = datetime.now(UTC)
    key = _account_key(session, account)
    arrival = ingest.Arrival(
        messages.voice_note_call(fields, message, now),
        api_key_id=key.id if key is not None else None,
        audio_url=media_url,
        fetch_auth=f"twilio:{account.account_sid}",
        recording_id=message.message_sid,
    )
    earlier = (
        None
        if fields.get("ConversationSid")
        else messages.voice_note_call(fields, message, now - timedelta(days=1))
    )
    stored = voice_notes.ingest_voice_note(session, arrival, request.app.state.dispatch.voicemail, earlier)
    return stored.id


def _opt_out_or_in(
    session: Session, fields: dict[str, str], message: messages.InboundMessage, region: str
) -> None:
    """STOP puts the sender on the opt-out list of the number(s) it wrote to; START takes them off."""
    word = messages.keyword(message.body)
    if word is None or not message.sender or not message.sender.startswith("+"):
        return
    senders = messages.our_senders(fields, region)
    if word is messages.Keyword.STOP:
        opt_outs.add(session, message.sender, senders, AckOptOut.STOP)
    else:
        opt_outs.remove(session, message.sender, senders)
    session.commit()
    # Neither the number nor its hash in the log: the message's id is enough to find it at Twilio.
    log.info("twilio message %s: %s for %d sender(s)", message.message_sid, word.value, len(senders))


@router.post(
    "/messages",
    response_class=Response,
    responses={
        200: {"content": {"text/xml": {"example": EMPTY_TWIML}}, "description": "empty TwiML"},
        403: {
            "description": "unknown account, X-Twilio-Signature does not match, or the number written to is "
            "another configured Twilio account's"
        },
        422: {
            "description": "MessageSid or From missing, an audio MediaUrl not on a Twilio media host or over "
            "4000 characters, or a control character in a field"
        },
    },
    openapi_extra=signed_form(_FORM_EXAMPLE),
)
async def inbound_message(
    request: Request,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Point a Twilio number's or WhatsApp sender's "A message comes in" webhook here (POST). A message
    with an audio attachment (a WhatsApp voice note) becomes a voicemail, once per `MessageSid`; images and
    other media are not fetched or stored; a message that is only an opt-out or opt-in keyword (STOP,
    START, ...) changes the opt-out list. Answers empty TwiML."""
    account, fields = await _verified(request, settings)
    try:
        message = messages.parse_message(fields, settings.twilio, settings.summary.default_region)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    if message.other_media:
        # Not fetched, not stored: a photo of a passport sent to a voicemail line is not Voice's to keep.
        log.info(
            "twilio message %s: ignored %d attachment(s) that are not audio (%s)",
            message.message_sid,
            len(message.other_media),
            ", ".join(message.other_media),
        )
    check_owner(session, settings, account, fields, message.receiver)
    _opt_out_or_in(session, fields, message, settings.summary.default_region)
    if message.audio is not None:
        vm_id = _store_voice_note(request, session, account, fields, message, message.audio[0])
        log.info("twilio message %s: voice note stored as voicemail %s", message.message_sid, vm_id)
    return _twiml()
