"""Who to call back, on what number and when: the caller's name, the callback number (E.164) and the
callback time as said and as a timestamp."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import phonenumbers

from voice.core.phone import region_for
from voice.triage.spoken_numbers import numbers_as_digits, spoken_digits_to_numbers

_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_TIME_WORDS = re.compile(
    rf"\b((?:after|before|by|around|about|until|between)\s+)?"
    rf"((?:(?:today|tonight|tomorrow|this|next|on)\s+)?(?:(?:{_WEEKDAYS}|morning|afternoon|evening|week)\s*)?"
    rf"(?:(?:after|before|by|around|at|until|between)\s+)?"
    rf"(?:\d{{1,2}}(?::\d{{2}})?\s*(?:a\.?m\.?|p\.?m\.?|o'clock)|noon|midday)"
    rf"|(?:today|tonight|tomorrow)(?:\s+(?:morning|afternoon|evening|night))?"
    rf"|this (?:morning|afternoon|evening)|(?:on\s+)?(?:{_WEEKDAYS})(?:\s+(?:morning|afternoon|evening))?"
    rf"|(?:the\s+)?end of (?:the\s+)?(?:day|week)|next week)",
    re.I,
)


def find_callback_number(text: str, language: str, region: str, caller_id: str | None) -> str | None:
    """The first phone number said in the message, as E.164 (region from the caller id, else config)."""
    region = region_for(caller_id, region)
    possible: list[str] = []
    candidates = (
        text,
        _area_code_first(spoken_digits_to_numbers(text, language)),
        _area_code_first(spoken_digits_to_numbers(numbers_as_digits(text, language), language)),
    )
    for candidate in candidates:
        for match in phonenumbers.PhoneNumberMatcher(
            candidate, region, leniency=phonenumbers.Leniency.POSSIBLE
        ):
            before = candidate[max(0, match.start - 25) : match.start].lower()
            if _REFERENCE_BEFORE.search(before):
                continue  # "order number 55390" is not a phone number
            e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            national = str(match.number.national_number)
            # A whole number wins over a merely "possible" short one.
            if phonenumbers.is_valid_number(match.number) or len(national) >= 9:
                return e164
            possible.append(e164)
    return possible[0] if possible else None


_REFERENCE_BEFORE = re.compile(
    r"(?:order|invoice|account|case|ticket|claim|policy|reference|confirmation|tracking|member|customer)"
    r"(?:\s+(?:number|no\.?|#|id))?[\s:#]*(?:is\s+)?$|订单号是?\s*$",
)


def _area_code_first(text: str) -> str:
    """ "555 0161, area code 312" -> "312 555 0161": callers often give the area code last."""
    m = re.search(r"(\d{3}[\s,.-]*\d{4})[\s,.]*(?:and the |with |in )?area code[\s,]*(\d{3})", text, re.I)
    if m:
        return text[: m.start()] + f"{m.group(2)} {m.group(1)}" + text[m.end() :]
    return text


_CALLBACK_CUE = re.compile(r"\b(?:call|ring|reach|return|contact|available|free|try me|get back)\b", re.I)


def find_callback_time(
    text: str, language: str, started_at: datetime | None
) -> tuple[str | None, datetime | None]:
    """When to call back, as said and, where dateparser resolves it against the call's start, as a
    timestamp. A time in a sentence that asks for a call wins over other times (an appointment day)."""
    if not language.startswith("en"):
        return None, None
    sentences = re.split(r"(?<=[.!?])\s+", text)
    ordered = [x for x in sentences if _CALLBACK_CUE.search(x)] + [
        x for x in sentences if not _CALLBACK_CUE.search(x)
    ]
    for sentence in ordered:
        for m in _TIME_WORDS.finditer(sentence):
            phrase = m.group(0).strip(" ,.")
            if phrase:
                return phrase, resolve_time(m.group(2), started_at)
    return None, None


def resolve_time(phrase: str, started_at: datetime | None) -> datetime | None:
    import dateparser

    base = (started_at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    cleaned = re.sub(r"\b(?:on|at|by|after|before|around|until|between)\b", " ", phrase, flags=re.I)
    cleaned = re.sub(r"\bend of (?:the )?day\b", "17:00", cleaned, flags=re.I)
    cleaned = re.sub(r"\bo'clock\b", ":00", cleaned, flags=re.I).strip()
    parsed = dateparser.parse(
        cleaned,
        languages=["en"],
        settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False},
    )
    return parsed.replace(tzinfo=UTC) if parsed else None
