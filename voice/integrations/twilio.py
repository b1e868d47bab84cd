"""Twilio recording status callbacks: verify the signature, map the call, fetch the media.

Twilio signs each callback with the account's auth token over the exact URL it requested plus the
sorted form parameters (X-Twilio-Signature); the official library's RequestValidator checks it.
Recordings are fetched from RecordingUrl with the media suffix (.wav or .mp3) and HTTP basic auth
as AccountSid:AuthToken. The token is looked up in config at fetch time and never stored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

from twilio.request_validator import RequestValidator, get_signature_algorithm

from voice.core.config import Settings, TwilioAccount, TwilioSettings
from voice.core.inputs import InputError, check_text
from voice.core.phone import fit_number
from voice.storage.voicemails import CallInfo, start_in_range

# The columns these fields go into (voice.storage.models): an id Voice cannot store is refused (422),
# because a cut id could name another call; a number or a time only describes the call, so it is fitted
# and the raw value kept in metadata, and the recording is never lost over it.
ID_MAX = 200  # CallSid -> CallRecord.external_id, RecordingSid -> Voicemail.recording_id
URL_MAX = 4000  # RecordingUrl, as the JSON API's audio_url
NUMBER_MAX = 64  # From/To -> CallRecord.from_number/to_number (the mailbox, 100, is To)
META_VALUE_MAX = 200
MAX_DURATION_S = 24 * 3600.0


class TwilioRejected(ValueError):
    """The callback is not from a configured Twilio account or its signature does not match."""


def given_url(settings: Settings, path: str, query: str = "") -> str | None:
    """The URL Twilio was given for ``path`` (a status callback) and so signs: VOICE_TWILIO__PUBLIC_URL,
    else VOICE_PUBLIC_URL, + path; None without either. The signature check and every URL Voice hands
    Twilio use this one function, so behind a proxy they cannot disagree."""
    base = settings.twilio.public_url or settings.public_url
    if not base:
        return None
    return base.rstrip("/") + path + (f"?{query}" if query else "")


def verify(
    url: str,
    params: Mapping[str, str] | object,
    signature: str | None,
    account_sid: str,
    settings: TwilioSettings,
    signature_settings: str | None = None,
) -> TwilioAccount:
    """The configured account that signed this request, or TwilioRejected."""
    account = settings.account(account_sid)
    if account is None:
        raise TwilioRejected("the AccountSid is not a configured Twilio account")
    if not signature:
        raise TwilioRejected("the X-Twilio-Signature header is missing")
    validator = RequestValidator(account.auth_token.get_secret_value())
    algorithm = get_signature_algorithm(signature_settings)
    if not validator.validate(url, params, signature, algorithm):
        raise TwilioRejected("the X-Twilio-Signature does not match this request")
    return account


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
        started = parsedate_to_datetime(value)  # RFC 2822, as Twilio sends RecordingStartTime
    except (TypeError, ValueError, OverflowError):
        return None
    return started if started.tzinfo is not None and start_in_range(started) else None


def _duration(value: str | None) -> float | None:
    try:
        duration = float(value or "")
    except ValueError:
        return None
    return duration if math.isfinite(duration) and 0 <= duration <= MAX_DURATION_S else None


# Fields stored or kept in metadata: refused with a control character, as everywhere in Voice.
_USED = (
    "AccountSid", "CallSid", "RecordingSid", "RecordingUrl", "RecordingStatus", "RecordingDuration",
    "RecordingStartTime", "RecordingChannels", "RecordingSource", "RecordingTrack", "ErrorCode",
    "From", "Caller", "To", "Called",
)  # fmt: skip


def _check_fields(form: Mapping[str, str], settings: TwilioSettings) -> None:
    """ValueError/InputError (a 422) for a callback Voice cannot store."""
    missing = [f for f in ("RecordingSid", "RecordingUrl", "CallSid", "AccountSid") if not form.get(f)]
    if missing:
        raise ValueError(f"the callback lacks {', '.join(missing)}")
    for name in _USED:
        if form.get(name):
            check_text(form[name], name, one_line=True)
    for name, limit in (("CallSid", ID_MAX), ("RecordingSid", ID_MAX), ("RecordingUrl", URL_MAX)):
        if len(form[name]) > limit:
            raise InputError(f"{name} is longer than {limit} characters")
    if not any(form["RecordingUrl"].startswith(prefix) for prefix in settings.media_prefixes):
        # The account's credentials go with the request: only to Twilio's own media hosts.
        raise ValueError("RecordingUrl is not on a Twilio media host (VOICE_TWILIO__MEDIA_PREFIXES)")


def _numbers(form: Mapping[str, str], region: str, metadata: dict[str, str]) -> dict[str, str | None]:
    """The caller's and the called numbers, fitted; a raw value that differs is kept in ``metadata``."""
    numbers: dict[str, str | None] = {}
    for side, names in (("from", ("From", "Caller")), ("to", ("To", "Called"))):
        raw = next((form[n] for n in names if form.get(n)), None)
        numbers[side] = fit_number(raw, region, NUMBER_MAX)
        if raw is not None and numbers[side] != raw:  # a SIP URI, or a number in another form
            metadata[f"{side}_as_received"] = raw[: META_VALUE_MAX * 5]
    return numbers


def parse_callback(form: Mapping[str, str], settings: TwilioSettings, region: str = "US") -> Recording:
    """Map a callback's form fields to a call record and the recording's media URL; ValueError (a 422)
    for a callback Voice cannot store. ``region`` is for numbers without a country code."""
    _check_fields(form, settings)
    url = form["RecordingUrl"]
    metadata = {
        k: form[k][:META_VALUE_MAX]
        for k in ("AccountSid", "RecordingChannels", "RecordingSource", "RecordingTrack", "ErrorCode")
        if form.get(k)
    }
    numbers = _numbers(form, region, metadata)
    started, duration = _started_at(form.get("RecordingStartTime")), _duration(form.get("RecordingDuration"))
    if started is None and form.get("RecordingStartTime"):
        metadata["RecordingStartTime"] = form["RecordingStartTime"][:META_VALUE_MAX]
    if duration is None and form.get("RecordingDuration"):
        metadata["RecordingDuration"] = form["RecordingDuration"][:META_VALUE_MAX]
    call = CallInfo(
        external_id=form["CallSid"],
        source="twilio",
        from_number=numbers["from"],
        to_number=numbers["to"],
        mailbox=numbers["to"],
        started_at=started,
        duration_s=duration,
        metadata=metadata,
    )
    media = url if url.endswith((".wav", ".mp3")) else f"{url}.{settings.media_format}"
    return Recording(call, form["RecordingSid"], media, form.get("RecordingStatus") or "completed")


@dataclass(frozen=True)
class CallStatus:
    """What Voice keeps from an outbound call's status callback."""

    call_sid: str
    to: str  # the number called: the caller of the voicemails it answers
    status: str
    duration_s: float | None


def parse_call_status(form: Mapping[str, str]) -> CallStatus | None:
    """An outbound call's status callback; None for an inbound call (not a call back). ValueError (a 422)
    for one Voice cannot use."""
    missing = [f for f in ("CallSid", "CallStatus", "To") if not form.get(f)]
    if missing:
        raise ValueError(f"the callback lacks {', '.join(missing)}")
    for name in ("CallSid", "CallStatus", "To", "Direction", "CallDuration", "Timestamp"):
        if form.get(name):
            check_text(form[name], name, one_line=True)
    if len(form["CallSid"]) > ID_MAX or len(form["To"]) > NUMBER_MAX:
        raise InputError(f"CallSid is longer than {ID_MAX} characters or To than {NUMBER_MAX}")
    if not (form.get("Direction") or "outbound").startswith("outbound"):
        return None
    return CallStatus(
        form["CallSid"],
        form["To"],
        form["CallStatus"][:20],
        _duration(form.get("CallDuration")),
    )
