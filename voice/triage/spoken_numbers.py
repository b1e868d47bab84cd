"""Numbers as callers say them: spoken digits ("five five five, oh one") and number words ("two hundred
twelve") rewritten as digits, so phone, reference and card numbers can be read."""

from __future__ import annotations

import re

# Spoken digits, so "five five five, oh one three four" becomes a number phonenumbers can read.
DIGIT_WORDS = {
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
MULTIPLIERS = {"double": 2, "triple": 3}


def spoken_digits_to_numbers(text: str, language: str = "en") -> str:
    """Rewrite runs of spoken digits ("five five five oh one") as digit strings ("55501")."""
    table = {**DIGIT_WORDS["en"], **DIGIT_WORDS.get(language[:2], {})}
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
        if low in MULTIPLIERS:
            pending_mult = MULTIPLIERS[low]
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
