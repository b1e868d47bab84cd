"""Who gets no acknowledgement, and why: a pure function of what is known about the voicemail and its caller
(no database, no clock), so each rule is tested on its own. The reasons are stored on the ack row."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType

# Intents whose caller gets nothing: a machine, someone who meant another number, or nothing said.
NO_ACK_INTENTS = {
    "spam_robocall": "spam or a robocall",
    "wrong_number": "a wrong number",
    "no_message": "no message was left",
}
# Flags triage sets (voice/triage) that say the same.
NO_ACK_FLAGS = {"spam": "spam or a robocall", "no_speech": "no message was left"}

# Types a text can reach. FIXED_LINE_OR_MOBILE is how libphonenumber reads numbers of countries that do not
# tell the two apart (the US, Canada): refusing them would refuse a whole country. UNKNOWN is a valid number
# phonenumbers cannot classify: the issue asks to refuse only "when phonenumbers can tell".
TEXTABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.UNKNOWN}
# The rest are refused, with these words. VOIP and PERSONAL_NUMBER too: most cannot take texts (UK 056,
# 070 numbers forward calls, not messages), and a text that cannot arrive is charged all the same.
_TYPE_WORDS = {
    PhoneNumberType.FIXED_LINE: "a landline",
    PhoneNumberType.TOLL_FREE: "a toll-free number",
    PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    PhoneNumberType.SHARED_COST: "a shared-cost number",
    PhoneNumberType.VOIP: "a VoIP number",
    PhoneNumberType.PERSONAL_NUMBER: "a personal (forwarding) number",
    PhoneNumberType.PAGER: "a pager",
    PhoneNumberType.UAN: "a company's universal access number",
    PhoneNumberType.VOICEMAIL: "a voicemail access number",
}
# Ranges reserved for drama that libphonenumber marks invalid (voice/core/phone.py _FICTION): their type by
# the range they copy (Ofcom 07700 900: mobile, 01632 960: landline; ARCEP 06 39 98: mobile).
_FICTION_TYPES = {
    (44, "7700900"): PhoneNumberType.MOBILE,
    (44, "1632960"): PhoneNumberType.FIXED_LINE,
    (33, "63998"): PhoneNumberType.MOBILE,
}


def number_type(number: phonenumbers.PhoneNumber) -> int | None:
    """libphonenumber's type of a valid number (or a fictional one); None for an invalid number."""
    national = str(number.national_number)
    for (code, prefix), kind in _FICTION_TYPES.items():
        if number.country_code == code and national.startswith(prefix):
            return kind
    if not phonenumbers.is_valid_number(number):
        return None
    return int(phonenumbers.number_type(number))


def number_refusal(e164: str | None) -> str | None:
    """Why this number gets no text, or None when it may (see TEXTABLE)."""
    if not e164:
        return "the caller's number is unknown or withheld"
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "the caller's number is not a phone number"
    kind = number_type(number)
    if kind is None:
        return "the caller's number is not a valid number"
    if kind in TEXTABLE:
        return None
    return f"the caller's number is {_TYPE_WORDS.get(kind, 'not a mobile number')}"


@dataclass(frozen=True)
class Case:
    """What is known about one voicemail when its acknowledgement is decided."""

    status: str  # the voicemail's: done, no_speech, failed
    intent: str | None
    flags: tuple[str, ...]
    number: str | None  # the caller's number in E.164
    opted_out: bool  # on the opt-out list for this sender (or every sender)
    acknowledged_recently: bool  # by this team, within its repeat window


def skip_reason(case: Case) -> str | None:
    """Why the caller gets nothing, in words; None when they get an acknowledgement. The first rule that
    applies is the one given, the caller's choice first."""
    if case.status != "done":
        return "no message was left" if case.status == "no_speech" else f"the voicemail is {case.status}"
    if case.intent in NO_ACK_INTENTS:
        return NO_ACK_INTENTS[case.intent]
    for flag in case.flags:
        if flag in NO_ACK_FLAGS:
            return NO_ACK_FLAGS[flag]
    refused = number_refusal(case.number)
    if refused:
        return refused
    if case.opted_out:
        return "the caller opted out of messages from this sender"
    if case.acknowledged_recently:
        return "the caller was acknowledged within the team's repeat window"
    return None
