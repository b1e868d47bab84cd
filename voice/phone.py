"""Phone numbers as E.164, so the same caller matches however a system wrote the number."""

from __future__ import annotations

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
