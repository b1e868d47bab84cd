"""Phone numbers as E.164, so the same caller matches however a system wrote the number."""

from __future__ import annotations

import re

import phonenumbers


def region_for(caller_id: str | None, default: str) -> str:
    """The region numbers said without a country code belong to: the caller id's country, else ``default``.
    By country code, since numbers outside allocated ranges (test and drama numbers) have no region."""
    if not caller_id:
        return default
    try:
        parsed = phonenumbers.parse(caller_id, default)
    except phonenumbers.NumberParseException:
        return default
    region = phonenumbers.region_code_for_country_code(parsed.country_code or 0)
    return default if region in (None, "ZZ", "001") else region  # 001: non-geographic (+800 ...)


def to_e164(number: str | None, region: str = "US") -> str | None:
    """``number`` in E.164 when it is a dialable number, else None (extensions, "anonymous")."""
    if not number or not number.strip():
        return None
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    # Only IS_POSSIBLE: a PBX extension such as "1001" is "possible local only" or too short.
    if phonenumbers.is_possible_number_with_reason(parsed) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# sip:+12125550134@example.sip.twilio.com;transport=udp, tel:+1-212-555-0134;ext=1 -> the user part
_URI = re.compile(r"^(?:sips?|tel):(?P<user>[^@;]+)", re.IGNORECASE)


def fit_number(raw: str | None, region: str, limit: int) -> str | None:
    """A caller or called party as Voice stores it (at most ``limit`` characters): E.164 when ``raw`` or the
    user part of its SIP/tel URI is a dialable number, else ``raw`` cut to ``limit``. The caller keeps
    ``raw`` (in metadata) when this differs, so nothing a carrier sent is lost."""
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    uri = _URI.match(raw)
    e164 = to_e164(uri.group("user") if uri else raw, region)
    if e164:
        return e164
    return raw[:limit]


# Ranges regulators reserve for drama and examples that libphonenumber marks invalid on purpose (Ofcom:
# 07700 900xxx, 01632 960xxx; ARCEP: 06 39 98 xx xx). Callers, test sets and demos use them as real-looking
# numbers; no real line has one, so reading them as numbers costs nothing. (US 555-01xx is valid already.)
_FICTION = {44: ("7700900", "1632960"), 33: ("63998",)}


def is_fictional(number: phonenumbers.PhoneNumber) -> bool:
    """True for a whole number in a range reserved for fiction (see _FICTION)."""
    national = str(number.national_number)
    prefixes = _FICTION.get(number.country_code or 0, ())
    return any(national.startswith(p) for p in prefixes) and phonenumbers.is_possible_number(number)


def is_callable(number: phonenumbers.PhoneNumber) -> bool:
    """A number worth calling back: valid for its region (libphonenumber), or reserved for fiction."""
    return phonenumbers.is_valid_number(number) or is_fictional(number)


def caller_number(caller_id: str | None, default: str) -> phonenumbers.PhoneNumber | None:
    """The caller id as a callable number, however the carrier wrote it: E.164, national for ``default``,
    a SIP/tel URI, or international digits without the "+" ("447700900123", "0044 7700 900123")."""
    if not caller_id or not caller_id.strip():
        return None
    uri = _URI.match(caller_id.strip())
    raw = uri.group("user") if uri else caller_id.strip()
    digits = re.sub(r"\D", "", raw)
    tries = [(raw, default), ("+" + (digits[2:] if digits.startswith("00") else digits), None)]
    for text, region in tries:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if is_callable(number):
            return number
    return None


def caller_region(caller_id: str | None, default: str) -> str:
    """Like region_for, but also for caller ids written without the "+" or as SIP URIs."""
    number = caller_number(caller_id, default)
    if number is None:
        return region_for(caller_id, default)
    region = phonenumbers.region_code_for_country_code(number.country_code or 0)
    return default if region in (None, "ZZ", "001") else region
