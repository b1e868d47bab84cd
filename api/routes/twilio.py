"""/v1/integrations/twilio/recording: Twilio's recording status callback.

Authenticated by X-Twilio-Signature (Twilio cannot send our API keys), not by a Bearer key.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import get_session, get_settings
from api.ingest import answer
from api.schemas import Accepted
from voice.core.config import Settings
from voice.integrations import twilio
from voice.storage.models import ApiKey, Status
from voice.usecases import ingest

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


def _signed_url(request: Request, settings: Settings) -> str:
    """The URL Twilio requested, which its signature covers (public_url when behind a proxy)."""
    if settings.twilio.public_url:
        query = f"?{request.url.query}" if request.url.query else ""
        return settings.twilio.public_url.rstrip("/") + request.url.path + query
    return str(request.url)


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
        403: {"description": "unknown account or X-Twilio-Signature does not match"},
        422: {
            "description": "fields missing, CallSid or RecordingSid over 200 characters, RecordingUrl over "
            "4000 or not on a Twilio media host, or a control character in a field"
        },
    },
    openapi_extra={
        "parameters": [
            {"name": "X-Twilio-Signature", "in": "header", "required": True, "schema": {"type": "string"}}
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "additionalProperties": {"type": "string"}},
                    "example": _FORM_EXAMPLE,
                }
            },
        },
    },
)
async def recording_callback(
    request: Request,
    response: Response,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
) -> Accepted:
    """Point a recording's `recordingStatusCallback` here (method POST). A completed recording is
    fetched with the account's credentials and processed; a repeated callback changes nothing."""
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
    fields = {k: str(v) for k, v in form.items()}
    try:
        rec = twilio.parse_callback(fields, settings.twilio, settings.summary.default_region)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    key_id = None
    if account.api_key_name:
        # The newest active key of that name: with two, every retry of a callback must land on the same one
        # (duplicates are detected per key).
        key_id = session.scalar(
            select(ApiKey.id)
            .where(ApiKey.name == account.api_key_name, ApiKey.revoked_at.is_(None))
            .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
            .limit(1)
        )
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
