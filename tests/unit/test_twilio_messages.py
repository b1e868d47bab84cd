"""Twilio's inbound message webhook, the parts without a server: opt-out and opt-in keywords in the
languages triage knows, and how a message's fields become a voice note's call record."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from voice.core.config import TwilioSettings
from voice.core.inputs import InputError
from voice.integrations.twilio_messages import (
    Keyword,
    bare_number,
    conversation_key,
    keyword,
    parse_message,
    voice_note_call,
)

SETTINGS = TwilioSettings(media_prefixes=["https://api.twilio.com/"])
MEDIA = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"


@pytest.mark.parametrize(
    "body",
    [
        "STOP", "stop", " Stop ", "STOP.", "Stop!", "STOPALL", "unsubscribe", "Cancel", "END", "quit",
        "Opt out", "STOPP", "Abmelden",  # de
        "ARRÊT", "arret", "Arrêt !",  # fr
        "BAJA", "Parar", "¡Baja!",  # es
        "SAIR", "parar",  # pt
        "Disiscriviti",  # it
        "退订", "退订。",  # zh
    ],
)  # fmt: skip
def test_opt_out_keywords(body: str) -> None:
    assert keyword(body) is Keyword.STOP


@pytest.mark.parametrize("body", ["START", "start", "Unstop", "YES", "yes.", "Alta", "démarrer"])
def test_opt_in_keywords(body: str) -> None:
    assert keyword(body) is Keyword.START


@pytest.mark.parametrize(
    "body",
    [
        None, "", "   ", "please stop calling me about the invoice", "stop it", "STOPPED", "the end",
        "don't stop", "bajar", "startup", "yes please call me", "STOP" * 20,
    ],
)  # fmt: skip
def test_messages_that_are_not_keywords(body: str | None) -> None:
    assert keyword(body) is None


def test_bare_number_strips_the_channel() -> None:
    assert bare_number("whatsapp:+447700900123", "US") == "+447700900123"
    assert bare_number("WhatsApp:+44 7700 900123", "US") == "+447700900123"
    assert bare_number("+12125550134", "GB") == "+12125550134"
    assert bare_number(None, "US") is None


def _form(**extra: str) -> dict[str, str]:
    return {
        "AccountSid": "AC1",
        "MessageSid": "MM1",
        "From": "whatsapp:+447700900123",
        "To": "whatsapp:+442079460000",
        "Body": "",
        "NumMedia": "1",
        "MediaUrl0": MEDIA,
        "MediaContentType0": "audio/ogg",
        **extra,
    }


def test_a_voice_note_becomes_a_call_of_its_conversation() -> None:
    form = _form(ProfileName="Maria")
    message = parse_message(form, SETTINGS)
    assert message.audio == (MEDIA, "audio/ogg") and message.other_media == ()
    assert message.sender == "+447700900123" and message.receiver == "+442079460000" and message.whatsapp
    day = datetime(2026, 12, 3, 23, 59, tzinfo=UTC)
    call = voice_note_call(form, message, day)
    assert call.source == "whatsapp" and call.from_number == "+447700900123"
    assert call.mailbox == call.to_number == "+442079460000"
    assert call.external_id == "wa:+447700900123>+442079460000:2026-12-03"
    assert "Maria" not in str(call.metadata)  # the display name is not stored
    # The same two people the next day: another record; with Twilio's ConversationSid: that one.
    assert conversation_key(form, message, datetime(2026, 12, 4, 0, 1, tzinfo=UTC)).endswith("2026-12-04")
    assert conversation_key(_form(ConversationSid="CH9"), message, day) == "CH9"


def test_images_are_never_fetched_and_other_hosts_are_refused() -> None:
    photo = parse_message(_form(MediaContentType0="image/jpeg"), SETTINGS)
    assert photo.audio is None and photo.other_media == ("image/jpeg",)
    mixed = parse_message(
        _form(
            NumMedia="2", MediaContentType0="image/png", MediaUrl1=MEDIA + "b", MediaContentType1="audio/ogg"
        ),
        SETTINGS,
    )
    assert mixed.audio == (MEDIA + "b", "audio/ogg") and mixed.other_media == ("image/png",)
    with pytest.raises(ValueError, match="media host"):
        parse_message(_form(MediaUrl0="https://attacker.example/ME1"), SETTINGS)
    # An image's URL on another host does not matter: it is never fetched.
    parse_message(_form(MediaUrl0="https://attacker.example/ME1", MediaContentType0="image/png"), SETTINGS)
    with pytest.raises(ValueError, match="MessageSid"):
        parse_message({k: v for k, v in _form().items() if k != "MessageSid"}, SETTINGS)
    with pytest.raises(InputError):
        parse_message(_form(From="whatsapp:+44\x007700900123"), SETTINGS)
