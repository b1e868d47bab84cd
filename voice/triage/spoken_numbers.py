"""Numbers as callers say them: spoken digits ("five five five, oh one") and number words ("two hundred
twelve") rewritten as digits, so phone, reference and card numbers can be read."""

from __future__ import annotations

import re

# Spoken digits, so "five five five, oh one three four" becomes a number phonenumbers can read.
DIGIT_WORDS = {
    "en": {
        "zero": "0",
        "nought": "0",  # British
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
    "it": {
        "zero": "0",
        "uno": "1",
        "due": "2",
        "tre": "3",
        "quattro": "4",
        "cinque": "5",
        "sei": "6",
        "sette": "7",
        "otto": "8",
        "nove": "9",
    },
    "pt": {
        "zero": "0",
        "um": "1",
        "dois": "2",
        "duas": "2",
        "três": "3",
        "tres": "3",
        "quatro": "4",
        "cinco": "5",
        "seis": "6",
        "meia": "6",  # Brazilian, "meia dúzia": "nove meia" is 96
        "sete": "7",
        "oito": "8",
        "nove": "9",
    },
}
MULTIPLIERS = {"double": 2, "triple": 3}


_SEPARATORS = {",", "-", "."}


def _digit_table(language: str) -> dict[str, str]:
    lang = language[:2]
    if lang == "en":
        return DIGIT_WORDS["en"]
    # "o" is "or" in es/pt/it ("seis o siete"), never a zero there.
    english = {k: v for k, v in DIGIT_WORDS["en"].items() if k not in {"o", "oh"}}
    return {**english, **DIGIT_WORDS.get(lang, {})}


# Chinese digits said one by one ("一三八零零一三八零零零"; 幺 is 1 on the phone); three or more in a row.
ZH_DIGITS = dict(zip("零〇一二三四五六七八九幺", "001234567891", strict=True))
_ZH_DIGITS = re.compile(rf"[{''.join(ZH_DIGITS)}]{{3,}}")
_ZH_TABLE = str.maketrans(ZH_DIGITS)


def spoken_digits_to_numbers(
    text: str, language: str = "en", join_written: bool = True, short_runs: bool = True
) -> str:
    """Rewrite runs of spoken digits ("five five five oh one") as digit strings ("55501"). Only used to
    find numbers: a run of fewer than three digits ("one more thing") keeps its spaces. With
    ``join_written`` false, a run written in digits only stays as written ("invoices 4410, 4411"); with
    ``short_runs`` false, one or two digit words stay words ("forty three" is left for text2num, not
    made "forty 3")."""
    if language.startswith("zh"):
        text = _ZH_DIGITS.sub(lambda m: m.group(0).translate(_ZH_TABLE), text)
    table = _digit_table(language)
    out: list[str] = []
    run = _Run(join_written, short_runs)
    mult = 1
    for tok in re.findall(r"[\w'’]+|[^\w\s]+|\s+", text):
        low = tok.lower()
        digit = low if low.isdigit() else table.get(low)
        if digit is not None:
            run.add(tok, digit * mult, spoken=not low.isdigit())
            mult = 1
        elif low in MULTIPLIERS:
            mult = MULTIPLIERS[low]
            run.gap.append(tok)
        elif (run.digits or mult > 1) and (tok.isspace() or tok in _SEPARATORS):
            run.gap.append(tok)  # digits grouped with pauses still belong together
        else:
            run.flush(out)
            run, mult = _Run(join_written, short_runs), 1
            out.append(tok)
    run.flush(out)
    return "".join(out)


class _Run:
    """Digits said in a row, with what was said between them and after the last one."""

    def __init__(self, join_written: bool, short_runs: bool) -> None:
        self.join_written = join_written
        self.short_runs = short_runs
        self.digits: list[str] = []
        self.said: list[str] = []  # the run as written, up to its last digit
        self.gap: list[str] = []  # after the last digit: kept if the run ends there
        self.spoken = False

    def add(self, tok: str, digits: str, spoken: bool) -> None:
        self.digits.append(digits)
        self.said += [*self.gap, tok]
        self.gap = []
        self.spoken = self.spoken or spoken

    def flush(self, out: list[str]) -> None:
        if (not self.spoken and not self.join_written) or (len(self.digits) < 3 and not self.short_runs):
            out.extend(self.said)  # digits already written as digits stay as written ("2025-118")
        elif len(self.digits) >= 3:
            out.append("".join(self.digits))
        else:
            out.append(" ".join(self.digits))
        out.extend(self.gap)


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
