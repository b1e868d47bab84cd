"""Extraction helpers for triage: spoken digits, callback numbers, caller names, the request sentence."""

from __future__ import annotations

import re

import phonenumbers

from voice.core.phone import region_for

# Spoken digits, so "five five five, oh one three four" becomes a number phonenumbers can read.
_DIGITS = {
    "en": {
        "zero": "0",
        "oh": "0",
        "o": "0",
        "one": "1",
        "two": "2",
        "three": "3",
        "four": "4",
        "five": "5",
        "six": "6",
        "seven": "7",
        "eight": "8",
        "nine": "9",
    },
    "es": {
        "cero": "0",
        "uno": "1",
        "dos": "2",
        "tres": "3",
        "cuatro": "4",
        "cinco": "5",
        "seis": "6",
        "siete": "7",
        "ocho": "8",
        "nueve": "9",
    },
    "fr": {
        "zéro": "0",
        "zero": "0",
        "un": "1",
        "deux": "2",
        "trois": "3",
        "quatre": "4",
        "cinq": "5",
        "six": "6",
        "sept": "7",
        "huit": "8",
        "neuf": "9",
    },
    "de": {
        "null": "0",
        "eins": "1",
        "zwei": "2",
        "zwo": "2",
        "drei": "3",
        "vier": "4",
        "fünf": "5",
        "sechs": "6",
        "sieben": "7",
        "acht": "8",
        "neun": "9",
    },
    "pt": {
        "zero": "0",
        "um": "1",
        "dois": "2",
        "três": "3",
        "tres": "3",
        "quatro": "4",
        "cinco": "5",
        "seis": "6",
        "sete": "7",
        "oito": "8",
        "nove": "9",
    },
}
_MULTIPLIERS = {"double": 2, "triple": 3}

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
_REQUEST_CUES = re.compile(
    r"call (me|us)? ?back|callback|call me|give me a call|get back to|please|need|want|would like|"
    r"calling (about|regarding|to|because)|question|appointment|reschedul|cancel|invoice|order|bill|"
    r"deliver|refund|problem|issue|urgent|asap|\?|llámame|llamar|rappel|zurückruf|rückruf|ligar|retorn",
    re.I,
)


def spoken_digits_to_numbers(text: str, language: str = "en") -> str:
    """Rewrite runs of spoken digits ("five five five oh one") as digit strings ("55501")."""
    table = {**_DIGITS["en"], **_DIGITS.get(language[:2], {})}
    tokens = re.findall(r"[\w'’]+|[^\w\s]+|\s+", text)
    out: list[str] = []
    run: list[str] = []
    pending_mult = 1

    def flush() -> None:
        nonlocal run
        if len(run) >= 3:
            out.append("".join(run))
        elif run:
            out.append(" ".join(run))
        run = []

    for tok in tokens:
        low = tok.lower()
        if low in _MULTIPLIERS:
            pending_mult = _MULTIPLIERS[low]
            continue
        digit = table.get(low) if not low.isdigit() else low
        # Only used to find numbers: a short run ("one more thing") is never read as a phone number.
        if digit is not None:
            run.append(digit * pending_mult)
            pending_mult = 1
            continue
        if (run or pending_mult > 1) and (tok.isspace() or tok in {",", "-", "."}):
            continue  # digits grouped with pauses still belong together
        flush()
        pending_mult = 1
        out.append(tok)
    flush()
    return "".join(out)


_TEXT2NUM = {"en", "fr", "es", "pt", "de", "nl", "it", "da"}


def numbers_as_digits(text: str, language: str = "en") -> str:
    """Number words as digits ("two hundred twelve five hundred fifty five" -> "212 555"), as Whisper
    often writes phone and card numbers; text2num leaves a lone "one more thing" alone."""
    lang = (language or "en")[:2]
    if lang not in _TEXT2NUM:
        return text
    from text_to_num import alpha2digit

    try:
        return str(alpha2digit(text, lang))
    except Exception:  # a parser quirk must never cost a voicemail its triage
        return text


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


def _sentences(text: str) -> list[str]:
    # Split after sentence punctuation, but not after titles ("Mr. Quilter").
    parts = re.split(r"(?<!\bMr\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bMrs\.)(?<=[.!?。？！])\s+", text)
    return [s.strip() for s in parts if s.strip()]


def find_request(text: str) -> str | None:
    """The sentence that says what the caller wants, shortened to about 25 words."""
    sentences = _sentences(text)
    if not sentences:
        return None
    scored = [(len(_REQUEST_CUES.findall(s)), -i, s) for i, s in enumerate(sentences)]
    best = max(scored)[2] if max(scored)[0] > 0 else sentences[0]
    words = best.split()
    return " ".join(words[:25]) + ("…" if len(words) > 25 else "")
