"""Twilio recording status callbacks: verify the signature, map the call, fetch the media.

Twilio signs each callback with the account's auth token over the exact URL it requested plus the
sorted form parameters (X-Twilio-Signature); the official library's RequestValidator checks it.
Recordings are fetched from RecordingUrl with the media suffix (.wav or .mp3) and HTTP basic auth
as AccountSid:AuthToken. The token is looked up in config at fetch time and never stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

import httpx
from twilio.request_validator import RequestValidator, get_signature_algorithm

from voice.config import TwilioAccount, TwilioSettings
from voice.errors import FetchError
from voice.store import CallInfo


class TwilioRejected(ValueError):
    """The callback is not from a configured Twilio account or its signature does not match."""


def account_for(sid: str, settings: TwilioSettings) -> TwilioAccount | None:
    return next((a for a in settings.accounts if a.account_sid == sid), None)


def verify(
    url: str,
    params: Mapping[str, str] | object,
    signature: str | None,
    account_sid: str,
    settings: TwilioSettings,
    signature_settings: str | None = None,
) -> TwilioAccount:
    """The configured account that signed this request, or TwilioRejected."""
    account = account_for(account_sid, settings)
    if account is None:
        raise TwilioRejected("the AccountSid is not a configured Twilio account")
    if not signature:
        raise TwilioRejected("the X-Twilio-Signature header is missing")
    validator = RequestValidator(account.auth_token.get_secret_value())
    algorithm = get_signature_algorithm(signature_settings)
    if not validator.validate(url, params, signature, algorithm):
        raise TwilioRejected("the X-Twilio-Signature does not match this request")
    return account


def recording_auth(account_sid: str, settings: TwilioSettings) -> httpx.BasicAuth:
    account = account_for(account_sid, settings)
    if account is None:
        raise FetchError(f"Twilio account {account_sid} is no longer configured; cannot fetch its recording")
    return httpx.BasicAuth(account.account_sid, account.auth_token.get_secret_value())


@dataclass(frozen=True)
class Recording:
    """What Voice keeps from one recording status callback."""

    call: CallInfo
    recording_id: str
    media_url: str
    status: str  # completed | absent | failed


def _started_at(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)  # RFC 2822, as Twilio sends RecordingStartTime
    except (TypeError, ValueError):
        return None


def parse_callback(form: Mapping[str, str], settings: TwilioSettings) -> Recording:
    """Map a callback's form fields to a call record and the recording's media URL."""
    missing = [f for f in ("RecordingSid", "RecordingUrl", "CallSid", "AccountSid") if not form.get(f)]
    if missing:
        raise ValueError(f"the callback lacks {', '.join(missing)}")
    url = form["RecordingUrl"]
    if not any(url.startswith(prefix) for prefix in settings.media_prefixes):
        # The account's credentials go with the request: only to Twilio's own media hosts.
        raise ValueError("RecordingUrl is not on a Twilio media host (VOICE_TWILIO__MEDIA_PREFIXES)")
    duration = form.get("RecordingDuration")
    metadata = {
        k: form[k]
        for k in ("AccountSid", "RecordingChannels", "RecordingSource", "RecordingTrack", "ErrorCode")
        if form.get(k)
    }
    call = CallInfo(
        external_id=form["CallSid"],
        source="twilio",
        from_number=form.get("From") or form.get("Caller") or None,
        to_number=form.get("To") or form.get("Called") or None,
        mailbox=form.get("To") or form.get("Called") or None,
        started_at=_started_at(form.get("RecordingStartTime")),
        duration_s=float(duration) if duration and duration.replace(".", "", 1).isdigit() else None,
        metadata=metadata,
    )
    media = url if url.endswith((".wav", ".mp3")) else f"{url}.{settings.media_format}"
    return Recording(call, form["RecordingSid"], media, form.get("RecordingStatus") or "completed")
