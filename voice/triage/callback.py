"""Who to call back, on what number and when: the caller's name, the callback number (E.164) and the
callback time as said and as a timestamp."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import phonenumbers

from voice.core.phone import caller_number, caller_region, is_callable
from voice.triage.references import reference_spans
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


def find_callback_number(
    text: str, language: str, region: str, caller_id: str | None, *, region_fixed: bool = False
) -> str | None:
    """The callback number said in the message, as E.164, or None. Only numbers valid for the region they
    are read in (or reserved for fiction, see phone.is_callable); never a reference ("customer number
    71 82 93"); a correction wins over what it corrects. Numbers without a country code are read in the
    caller id's region (the mailbox's when ``region_fixed``); a number said with a trunk prefix that is
    invalid there is read in the other of the two (a UK mobile "07700 900461" left in a US mailbox by a UK
    caller id). A country code said ("+44", "plus four four", "double oh four four") always wins.
    With no number said, "call me on this number" ("à ce numéro", "unter dieser Nummer" ...) gets the
    caller id, when that is a valid number."""
    home = region if region_fixed else caller_region(caller_id, region)
    other = caller_region(caller_id, region) if region_fixed else region
    best: list[_Found] = []
    best_text = ""
    for candidate in _candidates(text, language):
        found = _numbers_in(candidate, language, home)
        if not found and other != home and _TRUNK.search(candidate):
            found = _numbers_in(candidate, language, other, trunk_only=True)
        if len(found) > len(best):
            best, best_text = found, candidate
    if not best:
        return _calling_number(text, caller_id, region)
    chosen = _chosen(best, best_text)
    number = (
        _swapped(chosen, best_text, language) or _tail_corrected(chosen, best_text, language) or chosen.number
    )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    number: phonenumbers.PhoneNumber


_TRUNK = re.compile(r"(?<![\d+])0[1-9]")
# "plus four four ..." / "double oh four four ...": an international number, whatever the caller id.
# The word is the language's own: French "mais" is "but" ("pas 5300 mais 5400"), Portuguese "mais" is "+".
_PLUS_WORDS = {"es": "más|mas", "pt": "mais", "it": "più|piu"}
_PLUS = {
    lang: re.compile(rf"\b(?:plus|{word})\s*(?=\d)|(?<![\d+])(?<!\d[\s./-])00\s?(?=[1-9])", re.I)
    for lang, word in {**_PLUS_WORDS, "": "plus"}.items()
}


def _candidates(text: str, language: str) -> list[str]:
    """The message as said, then with spoken digits and number words as digits (each may read a
    number the other misses); the same text once."""
    # One or two digit words stay words here, so a correction "forty three" is not made "forty 3".
    spoken = spoken_digits_to_numbers(text, language, short_runs=False)
    worded = spoken_digits_to_numbers(numbers_as_digits(text, language), language, short_runs=False)
    out: list[str] = []
    for candidate in (text, spoken, worded):
        candidate = _PLUS.get(language[:2], _PLUS[""]).sub("+", _area_code_first(candidate))
        if candidate not in out:
            out.append(candidate)
    return out


def _numbers_in(text: str, language: str, region: str, trunk_only: bool = False) -> list[_Found]:
    """Callable numbers in ``text`` read in ``region``, skipping those inside a reference (and, with
    ``trunk_only``, those not said with a trunk prefix "0")."""
    if not _DIGITS.search(text):
        return []  # the matcher is the slow part: no run of digits, no number
    spans = reference_spans(text, language)
    found = []
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE):
        if any(match.start < end and start < match.end for start, end in spans):
            continue  # "order number 55390" is not a phone number
        if trunk_only and not match.raw_string.lstrip("(").startswith("0"):
            continue
        if is_callable(match.number):
            found.append(_Found(match.start, match.end, match.number))
    return found


_DIGITS = re.compile(r"\d(?:[\s().-]*\d){5}")

# Said between two numbers, these make the second replace the first ("... actually it's ...").
_CORRECTION = (
    r"no,?\s+sorry|sorry,?\s+no|actually|i\s+mean|i\s+meant|correction|scratch\s+that|let\s+me\s+correct|"
    r"wait,?\s+no|or\s+rather|my\s+mistake|my\s+bad|"
    r"perd[óo]n|perdona|mejor\s+dicho|quiero\s+decir|corrijo|correcci[óo]n|"
    r"non,?\s+pardon|pardon|je\s+veux\s+dire|plut[ôo]t|je\s+me\s+suis\s+tromp[ée]|"
    r"nein,?\s+entschuldigung|entschuldigung|verzeihung|korrektur|ich\s+meine|besser\s+gesagt|"
    r"desculp[ae]|perd[ãa]o|quer\s+dizer|ali[áa]s|ou\s+melhor|corre[çc][ãa]o|"
    r"scusi|scusa|anzi|cio[èe]|volevo\s+dire|correzione|"
    r"不对|不是|说错了|更正|应该是"
)
_CORRECTION_CUE = re.compile(rf"(?:\b|^)(?:{_CORRECTION})(?:\b|$)", re.I)
# Right after a number, a cue and a few digits correct its end ("... four two. No, sorry, four three").
_P = r"[\s.,;:!?—–，。；：！？、-]*"
_UM = r"(?:oh|uh|um|er|ah|eh|hmm|äh|euh)"
_TAIL_CUE = re.compile(
    rf"^{_P}(?:{_UM}\b{_P})*(?:{_CORRECTION}|sorry|no|wait|hang\s+on|oops|nein|non|não|nao)\b{_P}"
    rf"(?:(?:{_CORRECTION}|sorry|no|wait|oops|{_UM})\b{_P})*"
    r"(?:(?:it'?s|it\s+is|that'?s|es|son|c'est|ist|é|è|是|the\s+last\s+(?:digits?|numbers?|part)\s+(?:is|are))\s*)?",
    re.I,
)
_TAIL_DIGITS = re.compile(r"^(?P<digits>\d(?:[\s,.-]?\d){0,5})(?![\s,.-]?\d)(?=\s*(?:[.,;!?…，。；！？]|$))")


def _chosen(found: list[_Found], text: str) -> _Found:
    """The first number, unless a later one follows a correction cue ("... actually it's ...")."""
    chosen = found[0]
    for later in found[1:]:
        if _CORRECTION_CUE.search(text[chosen.end : later.start]):
            chosen = later
    return chosen


def _tail_corrected(found: _Found, text: str, language: str) -> phonenumbers.PhoneNumber | None:
    """``found`` with its last digits replaced by a correction said right after it, when that makes a
    callable number."""
    tail = text[found.end : found.end + 80]
    cue = _TAIL_CUE.match(tail)
    m = cue and _TAIL_DIGITS.match(
        spoken_digits_to_numbers(numbers_as_digits(tail[cue.end() :], language), language)
    )
    if not m:
        return None
    digits = re.sub(r"\D", "", m.group("digits"))
    national = str(found.number.national_number)
    if len(digits) >= len(national):
        return None
    corrected = phonenumbers.PhoneNumber(
        country_code=found.number.country_code,
        national_number=int(national[: -len(digits)] + digits),
        italian_leading_zero=found.number.italian_leading_zero,
        number_of_leading_zeros=found.number.number_of_leading_zeros,
    )
    return corrected if is_callable(corrected) else None


# Right after a number, one group replaced by another: "..., sorry, five five six, not five five five",
# "no es 345 sino 346", "nicht 345, sondern 346".
_NOT = r"(?:not|no|nicht|pas|non|não|nao|不是)"
_SWAP = re.compile(
    rf"(?P<new>\d{{3,4}})\s*,?\s*{_NOT}\s+(?P<old>\d{{3,4}})(?!\d)"
    rf"|{_NOT}\s+(?:es\s+|ist\s+|c'est\s+|é\s+|è\s+)?(?P<old2>\d{{3,4}})\s*,?\s*"
    r"(?:but|sino|sondern|mais|ma|mas|而是|是)\s+(?P<new2>\d{3,4})(?!\d)",
    re.I,
)


def _swapped(found: _Found, text: str, language: str) -> phonenumbers.PhoneNumber | None:
    """``found`` with one group replaced as corrected right after it, when that makes a callable number."""
    tail = spoken_digits_to_numbers(numbers_as_digits(text[found.end : found.end + 80], language), language)
    m = _SWAP.search(tail)
    if not m:
        return None
    old, new = m.group("old") or m.group("old2"), m.group("new") or m.group("new2")
    national = str(found.number.national_number)
    if len(old) != len(new) or national.count(old) != 1:
        return None
    corrected = phonenumbers.PhoneNumber(
        country_code=found.number.country_code,
        national_number=int(national.replace(old, new)),
        italian_leading_zero=found.number.italian_leading_zero,
        number_of_leading_zeros=found.number.number_of_leading_zeros,
    )
    return corrected if is_callable(corrected) else None


# "Call me back on this number": the number it called from, said in words. (A bare "ring me back" is not
# enough: the labelled sets leave those without a callback number.)
_THIS_NUMBER = re.compile(
    r"\b(?:this (?:same )?(?:number|phone|line)|the number I'?m calling (?:you )?(?:from|on)|"
    r"(?:este|esse|nesse|neste|deste|desse) (?:mismo |mesmo )?n[úu]mero|ce (?:m[êe]me )?num[ée]ro|"
    r"(?:dieser|diese|derselben) (?:Nummer|Rufnummer|Telefonnummer)|(?:questo|lo stesso) numero)\b"
    r"|这个(?:号码|电话|手机|号)|本机|来电号码",
    re.I,
)


def _calling_number(text: str, caller_id: str | None, region: str) -> str | None:
    number = caller_number(caller_id, region) if _THIS_NUMBER.search(text) else None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else None


_AREA_WORD = (
    r"(?:area\s+code|dialling\s+code|dialing\s+code|Vorwahl|prefijo|indicatif|indicativo|prefisso|DDD|区号)"
)
_AREA = r"\(?(?P<area>0?\d{1,4})\)?"
_LOCAL = r"(?P<local>\d[\d .-]{3,10}\d)"
_AREA_LAST = re.compile(
    rf"{_LOCAL}[\s,.;]*(?:(?:and|with|in|mit|con|com|avec)\s+(?:the\s+|la\s+|le\s+|o\s+|il\s+)?)?"
    rf"{_AREA_WORD}(?:\s+(?:is|ist|es|é|è|est|是))?[\s,:]*{_AREA}(?!\d)",
    re.I,
)
_AREA_FIRST = re.compile(
    rf"{_AREA_WORD}(?:\s+(?:is|ist|es|é|è|est|是))?[\s,:]*{_AREA}[\s,.;，、；：]+"
    r"(?:(?:and|und|y|e|et|then|dann|luego|depois|poi|puis)\s+)*"
    r"(?:(?:the|die|el|o|il|le|la)\s+)?"
    r"(?:(?:number|rest|Nummer|Rufnummer|número|numéro|numero|电话号码|电话|号码)\s*(?:(?:is|ist|es|é|è|est|c'est|是)\s*)?)?"
    r"[\s,:]*"
    rf"{_LOCAL}",
    re.I,
)


def _area_code_first(text: str) -> str:
    """ "555 0161, area code 312" -> "312 555 0161", "Vorwahl 030, dann 1234567" -> "030 1234567": callers
    often give the area code last, or apart (the joined number must still be valid to be read)."""
    for pattern in (_AREA_LAST, _AREA_FIRST):
        m = pattern.search(text)
        if m:
            return text[: m.start()] + f"{m.group('area')} {m.group('local')}" + text[m.end() :]
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
