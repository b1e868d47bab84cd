"""Who to call back, on what number and when: the caller's name, the callback number (E.164) and the
callback time as said and as a timestamp."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import phonenumbers

from voice.core.phone import region_for
from voice.triage.spoken_numbers import numbers_as_digits, spoken_digits_to_numbers

_NAME = r"((?:[A-ZÀ-Ý][\w'’-]+)(?:\s+(?:O'|Mc)?[A-ZÀ-Ý][\w'’-]+)?)"
_TITLES = r"(?:(?:Mister|Mr\.?|Mrs\.?|Ms\.?|Miss|Dr\.?|Doctor|Officer|Reverend|Father|Professor|Pastor)\s+)?"
# The cue words are matched in any case, the name only when capitalised (Whisper capitalises names).
_NAME_PATTERNS = [
    rf"(?i:\bmy name is|\bmy name's|\bthe name is|\bname's) {_TITLES}{_NAME}",
    rf"(?i:\bthis is) {_TITLES}{_NAME}",
    rf"(?i:\bit'?s|\bit is) {_TITLES}{_NAME}(?=\s*(?:[,.!]|(?i:here|from|calling|again|speaking)\b))",
    rf"(?i:\bI'?m|\bI am) {_TITLES}{_NAME}(?=\s*(?:[,.!]|(?i:from|and|calling|here)\b|$))",
    rf"\b{_TITLES}{_NAME} (?i:here|calling|speaking)\b",
    rf"(?i:\bunder the name) {_NAME}",
    rf"(?i:\bplease call|\bcall|\bask for) {_TITLES}{_NAME} (?i:at|on)\s+\d",
    rf"(?i:\bje m'appelle|\bc'est|\bici) {_NAME}",
    rf"(?i:\bme llamo|\bmi nombre es|\bsoy|\bhabla) {_NAME}",
    rf"(?i:\bmein name ist|\bhier (?:ist|spricht)|\bich bin) {_NAME}",
    rf"(?i:\bmeu nome é|\baqui é(?: o| a)?|\bsou (?:o |a )?) {_NAME}",
    rf"(?i:\bmi chiamo|\bsono) {_NAME}",
    # a sign-off: "..., Lisa Tran, 714 555 0118." or "It's Natalie." at the end
    rf"[,.]\s+{_NAME},?\s+(?:(?i:at|on)\s+)?\(?\d{{3}}",
]
# Capitalised words that start a sentence or a call but are nobody's name.
_NOT_NAMES = frozenset(
    re.findall(
        r"\S+",
        """
    I I'm It It's This The Your My We A An Just Calling Regarding
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday Here Hi Hello Hey Yes Yeah Please
    Thanks Thank Sorry Call Good Dear Dad Mom Mum Mama Grandma Honey Sweetie Darling
    Auntie Uncle Buddy Mate Oh Okay So And Social Security Medicare Congratulations Attention Officer
    Doctor Professor Hola Bonjour Hallo Olá Oi Ciao Buongiorno Guten Buenos Buenas
    """,
    )
)

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


def find_caller_name(text: str) -> str | None:
    for pattern in _NAME_PATTERNS:
        for m in re.finditer(pattern, text):
            words = m.group(1).split()
            if words and words[0] in _NOT_NAMES:
                continue
            while words and words[-1] in _NOT_NAMES:
                words.pop()
            if words and not words[-1].endswith(("'s", "’s")):
                return " ".join(words)
    return None


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
