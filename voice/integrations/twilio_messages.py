"""Twilio's inbound message webhook ("A message comes in"): WhatsApp voice notes in, opt-out keywords.

The webhook is signed like the recording callback (``twilio.verify``). A message with an audio attachment
(WhatsApp voice notes are audio/ogg Opus) becomes a voicemail: the sender is the caller, the number the
message was sent to is the mailbox, and the media is fetched from ``MediaUrl{i}`` with the account's
credentials at fetch time, as recordings are. Other media (images, video, documents) is never fetched or
stored. A message whose whole body is an opt-out or opt-in keyword changes the opt-out list.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from voice.core.config import TwilioSettings
from voice.core.inputs import InputError, check_text
from voice.core.phone import fit_number
from voice.integrations.twilio import ID_MAX, META_VALUE_MAX, NUMBER_MAX, URL_MAX
from voice.storage.voicemails import CallInfo

SOURCE = "whatsapp"
MAX_MEDIA = 10  # Twilio sends at most 10 attachments per message


class Keyword(StrEnum):
    STOP = "stop"
    START = "start"


# Matched against the whole message body, case- and accent-insensitive, surrounding spaces and punctuation
# ignored (as carriers and Twilio's Advanced Opt-Out match them): "stop please" is a message, not a keyword.
# English: Twilio's standard set. Others: the words carriers and senders document in the languages triage
# knows (es, pt, fr, de, it, zh); "ARRÊT" is written without its accent because matching folds accents.
OPT_OUT = frozenset(
    {
        # en (Twilio's defaults, and its newer OPTOUT/REVOKE)
        "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "OPT OUT", "REVOKE",
        "STOPP", "ABMELDEN", "ABBESTELLEN",  # de
        "ARRET", "DESABONNER", "DESINSCRIRE",  # fr
        "BAJA", "PARAR", "DETENER", "CANCELAR",  # es (PARAR, CANCELAR: pt too)
        "SAIR", "DESCADASTRAR",  # pt
        "DISISCRIVITI", "ANNULLA",  # it
        "退订",  # zh ("unsubscribe", as Chinese SMS senders ask for it)
    }
)  # fmt: skip
OPT_IN = frozenset({"START", "UNSTOP", "YES", "ALTA", "INICIAR", "DEMARRER", "订阅"})
_TRIM = " \t\r\n.!?¡¿,;:\"'()[]«»“”。！"


def _fold(text: str) -> str:
    """Upper case without accents or repeated spaces: "  Arrêt ! " -> "ARRET"."""
    decomposed = unicodedata.normalize("NFKD", text.strip(_TRIM))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.upper().split())


def keyword(body: str | None) -> Keyword | None:
    """STOP when the whole body is an opt-out keyword, START when it is an opt-in one, else None."""
    if not body or len(body) > 40:
        return None
    word = _fold(body)
    if word in OPT_OUT:
        return Keyword.STOP
    if word in OPT_IN:
        return Keyword.START
    return None


def bare_number(address: str | None, region: str) -> str | None:
    """``whatsapp:+447700900123`` -> ``+447700900123``: the number without the channel prefix, in E.164."""
    if not address:
        return None
    raw = address.strip()
    if raw.lower().startswith("whatsapp:"):
        raw = raw.split(":", 1)[1]
    return fit_number(raw, region, NUMBER_MAX)


def our_senders(form: Mapping[str, str], region: str) -> list[str]:
    """The senders a STOP in this message is about, written as acknowledgements name them: the number it
    was sent to ("+44...", or "whatsapp:+44..." on WhatsApp) and its messaging service (MG...), if any."""
    to = bare_number(form.get("To"), region)
    senders = []
    if to:
        senders.append(f"whatsapp:{to}" if (form.get("To") or "").lower().startswith("whatsapp:") else to)
    if form.get("MessagingServiceSid"):
        senders.append(form["MessagingServiceSid"][:64])
    return senders


@dataclass(frozen=True)
class InboundMessage:
    """What Voice uses of one inbound message."""

    message_sid: str
    sender: str | None  # the person who wrote, E.164
    receiver: str | None  # our number or WhatsApp sender, E.164
    whatsapp: bool
    body: str
    audio: tuple[str, str] | None  # (media URL, content type) of the first audio attachment
    other_media: tuple[str, ...]  # content types of attachments that are not audio (never fetched)


_USED = (
    "AccountSid", "MessageSid", "SmsMessageSid", "From", "To", "NumMedia", "ConversationSid",
    "MessagingServiceSid",
)  # fmt: skip


def _media(form: Mapping[str, str], settings: TwilioSettings) -> tuple[tuple[str, str] | None, list[str]]:
    """The first audio attachment and the types of the others; InputError/ValueError for one Voice cannot
    fetch safely."""
    try:
        count = min(max(int(form.get("NumMedia") or "0"), 0), MAX_MEDIA)
    except ValueError:
        raise InputError("NumMedia is not a number") from None
    audio, others = None, []
    for i in range(count):
        url, kind = form.get(f"MediaUrl{i}") or "", (form.get(f"MediaContentType{i}") or "").strip().lower()
        if not kind.startswith("audio/") or audio is not None:
            others.append(kind[:100] or "unknown")
            continue
        check_text(url, f"MediaUrl{i}", one_line=True)
        if not url or len(url) > URL_MAX:
            raise InputError(f"MediaUrl{i} is missing or longer than {URL_MAX} characters")
        if not any(url.startswith(prefix) for prefix in settings.media_prefixes):
            # The account's credentials go with the request: only to Twilio's own media hosts.
            raise ValueError(f"MediaUrl{i} is not on a Twilio media host (VOICE_TWILIO__MEDIA_PREFIXES)")
        audio = (url, kind[:100])
    return audio, others


def parse_message(form: Mapping[str, str], settings: TwilioSettings, region: str = "US") -> InboundMessage:
    """An inbound message's fields; ValueError/InputError (a 422) for one Voice cannot use."""
    sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
    missing = [name for name, value in (("MessageSid", sid), ("From", form.get("From"))) if not value]
    if missing:
        raise ValueError(f"the message lacks {', '.join(missing)}")
    for name in _USED:
        if form.get(name):
            check_text(form[name], name, one_line=True)
    if len(sid) > ID_MAX or len(form.get("ConversationSid") or "") > ID_MAX:
        raise InputError(f"MessageSid or ConversationSid is longer than {ID_MAX} characters")
    audio, others = _media(form, settings)
    return InboundMessage(
        message_sid=sid,
        sender=bare_number(form.get("From"), region),
        receiver=bare_number(form.get("To"), region),
        whatsapp=(form.get("From") or "").lower().startswith("whatsapp:"),
        body=form.get("Body") or "",
        audio=audio,
        other_media=tuple(others),
    )


def conversation_key(form: Mapping[str, str], message: InboundMessage, today: datetime | None = None) -> str:
    """The call record a voice note belongs to: Twilio's ConversationSid when the message has one (the
    Conversations API), else the sender, the receiver and the UTC day, so a day's notes from one person to
    one number are one "call" and the next day's start another."""
    if form.get("ConversationSid"):
        return form["ConversationSid"]
    day = (today or datetime.now(UTC)).date().isoformat()
    prefix = "wa" if message.whatsapp else "mms"
    return f"{prefix}:{message.sender or ''}>{message.receiver or ''}:{day}"[:ID_MAX]


def voice_note_call(
    form: Mapping[str, str], message: InboundMessage, today: datetime | None = None
) -> CallInfo:
    """The call record of a voice note: the sender is the caller, the receiver the mailbox."""
    # Not ProfileName: the caller's WhatsApp display name is theirs to give, not a field Voice needs.
    metadata = {k: form[k][:META_VALUE_MAX] for k in ("AccountSid", "MessageSid") if form.get(k)}
    if message.audio is not None:
        metadata["media_content_type"] = message.audio[1]
    return CallInfo(
        external_id=conversation_key(form, message, today),
        source=SOURCE if message.whatsapp else "mms",
        from_number=message.sender,
        to_number=message.receiver,
        mailbox=message.receiver,
        started_at=today or datetime.now(UTC),
        metadata=metadata,
    )
