"""E-mail addresses in a message: written ("dana@example.com"), half-spoken ("dana at example.com") or spoken
("ramos eighty one at gmail dot com", "carlos punto garcia arroba gmail punto com", "wangli艾特qq点com").

A spoken address is read around each word for "at": backwards, the local part (spelled letters, a word and
digits, pieces joined by the words for dot, dash and underscore); forwards, the domain (up to three words,
then labels joined by "dot" ending in a known top-level domain). Without that ending nothing is an address,
so "reach me at five five five" and "I'm at the office" give none. A plain one-word local part before "at"
counts only after a word for e-mail, a copula or a sentence break, so "I paid at PayPal dot com" gives none.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from text_to_num import alpha2digit, text2num

from voice.triage.spoken_numbers import DIGIT_WORDS, ZH_DIGITS

_CJK = "\u2e80-\u9fff\uf900-\ufaff"
_LATIN = rf"[^\W_{_CJK}]"
_EMAIL = re.compile(r"(?<![\w.%+-])[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?![\w-])", re.I)


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\S+", text))


_AT = _words("at @ ät arroba arobase arrobase chiocciola chiocciolina klammeraffe")
_AT_CJK = ("艾特",)
_JOIN_WORDS = {
    **dict.fromkeys(("dot", "punto", "point", "punkt", "ponto", "点", "點"), "."),
    **dict.fromkeys(
        (
            "dash", "hyphen", "guion", "guión", "guion medio", "guión medio", "trait d'union", "tiret",
            "bindestrich", "hífen", "hifen", "traço", "trattino", "横杠", "横线", "中划线", "减号",
        ),
        "-",
    ),
    **dict.fromkeys(
        (
            "underscore", "underline", "guion bajo", "guión bajo", "barra baja", "tiret bas", "tiret du bas",
            "unterstrich", "sublinhado", "traço baixo", "trattino basso", "下划线", "下劃線",
        ),
        "_",
    ),
}  # fmt: skip
_PHRASES = sorted((w for w in _JOIN_WORDS if " " in w or "'" in w), key=len, reverse=True)
_CJK_WORDS = sorted((w for w in (*_JOIN_WORDS, *_AT_CJK) if re.match(rf"[{_CJK}]", w)), key=len, reverse=True)
_TOKEN = re.compile(
    "(?:"
    + "|".join(re.escape(p).replace(r"\ ", r"\s+").replace("'", "['’]") for p in _PHRASES)
    + rf")(?!{_LATIN})"
    "|" + "|".join(_CJK_WORDS) + rf"|{_LATIN}+(?:['’]{_LATIN}+)*|\S",
    re.I,
)
_TLDS = _words(
    "com net org edu gov mil int info biz io co ai app dev me tv eu email online site shop store tech cloud "
    "us uk ca au nz ie in za ng ke de at ch fr be lu es it pt br mx ar cl pe ve uy cn hk tw jp kr sg my ph "
    "nl se no dk fi pl cz sk hu ro gr ru ua tr il ae"
)
# Words that end a local part or a domain when read: they are the sentence around the address.
_STOP = _words(
    """me us you him her them it its is was are be am to at and or the a an my your our his their email mail
    address reach contact write send sent on in by from via of for this that here there with just please call
    es mi mis su correo electrónico electronico dirección direccion escribe escribir escríbeme envía envíe al
    y en de el la los las del por est c mon ma mes adresse courriel mél ou et le les du par sur écrivez écris
    envoyez ist meine mein mir mich an oder und unter bei die der das eine sie schreiben schreib adresse von
    é meu minha os as para em do da no na escreva envie è il mio mia scrivi scrivete oppure di della indirizzo
    posta"""
)
# A domain's name is never one of these: "I'm at the office", "at my place".
_DOMAIN_STOP = _words(
    "the a an my your our his her their this that me us you him them it is was and or to on in of for "
    "el la los las mi su le les mon ma du des der die das dem den mein meine il lo o os as meu minha mio mia"
)
_CONNECTORS = _words("and y e et und")  # inside a number: "ochenta y uno", "two thousand and five"
_SINGLE_DIGITS = {
    # "o" is a spelled letter here ("j o h n"), not zero
    **{w: d for table in DIGIT_WORDS.values() for w, d in table.items() if w != "o"},
    **ZH_DIGITS,
    "两": "2",  # "two" before a measure word; in an address it is a digit
}
_LANGS = tuple(DIGIT_WORDS)  # the languages with number words (not zh: its digits are characters)
_VOWELS = frozenset("aeiouy")  # a lone "a", "y", "e", "o" is a word ("escribe a juan"), not a spelled letter


class _Tok(NamedTuple):
    start: int
    end: int
    low: str


def _tokens(text: str) -> list[_Tok]:
    return [_Tok(m.start(), m.end(), " ".join(m.group(0).lower().split())) for m in _TOKEN.finditer(text)]


def _joiner(toks: list[_Tok], i: int) -> str | None:
    """The character a token stands for between two parts of an address: "dot", "punto", or a "." written
    between two words with no space ("example.com", not the full stop of "dot com. Thanks")."""
    if not 0 <= i < len(toks):
        return None
    low = toks[i].low
    if low in _JOIN_WORDS:
        return _JOIN_WORDS[low]
    glued = 0 < i < len(toks) - 1 and toks[i - 1].end == toks[i].start and toks[i].end == toks[i + 1].start
    return low if low in ".-_" and glued else None


def _is_word(low: str) -> bool:
    return bool(re.fullmatch(rf"{_LATIN}+", low)) and low not in _JOIN_WORDS and low not in _AT


@lru_cache(maxsize=4096)
def _number_word(low: str) -> bool:
    if low in _SINGLE_DIGITS or low.isdigit():
        return True
    if low == "o" or not re.fullmatch(r"[^\W\d_]+(?:-[^\W\d_]+)*", low):
        return False
    for lang in _LANGS:
        try:
            text2num(low, lang)
            return True
        except ValueError:
            continue
    return False


def _as_digits(said: list[str], text: str, lang: str | None) -> str | None:
    """ "eight one", "eighty one" -> "81"; "nineteen eighty five" -> "1985"; "zweiundvierzig" -> "42"."""
    if all(w in _SINGLE_DIGITS or w.isdigit() for w in said):
        return "".join(_SINGLE_DIGITS.get(w, w) for w in said)
    for candidate in dict.fromkeys(((lang or "en")[:2], *_LANGS)):
        if candidate not in _LANGS:
            continue  # a language with no number words here (zh: its digits are characters)
        read = str(alpha2digit(text, candidate)).replace(" ", "")
        if read.isdigit():
            return read
    return None


def _number_run(toks: list[_Tok], i: int, text: str, lang: str | None) -> tuple[str, int]:
    """Digits said up to token ``i``, read backwards, and the index before them; ("", i) when none."""
    j = i
    while j >= 0 and (
        _number_word(toks[j].low)
        or (j < i and toks[j].low in _CONNECTORS | {"-"} and j > 0 and _number_word(toks[j - 1].low))
    ):
        j -= 1
    if j == i:
        return "", i
    said = [t.low for t in toks[j + 1 : i + 1] if t.low not in _CONNECTORS and t.low != "-"]
    digits = _as_digits(said, text[toks[j + 1].start : toks[i].end], lang)
    return (digits, j) if digits else ("", i)


def _letters(toks: list[_Tok], j: int) -> tuple[str, int]:
    """Spelled letters up to token ``j``, read backwards ("r a m o s", "J."), and the index before them.
    A lone "a", "y" or "e" is a word ("escribe a juan"), not a letter."""
    found: list[tuple[str, int]] = []  # (letter, index of its token), right to left
    k = j
    while k >= 0:
        initial = (
            toks[k].low == "." and k > 0 and toks[k - 1].end == toks[k].start and _joiner(toks, k) is None
        )
        # "R-A-M-O-S": letters spelled with dashes
        dashed = found and toks[k].low == "-" and k > 0 and _joiner(toks, k) == "-"
        at = k - 1 if initial or dashed else k  # "J. Smith": the initial's full stop
        if not re.fullmatch(r"[a-z]", toks[at].low):
            break
        found.append((toks[at].low, at))
        k = at - 1
    letters = found[::-1]
    while letters and len(letters) < 3 and letters[0][0] in _VOWELS:
        letters.pop(0)
    if not letters:
        return "", j
    return "".join(c for c, _ in letters), letters[0][1] - 1


def _segment(toks: list[_Tok], i: int, text: str, lang: str | None) -> tuple[str, int] | None:
    """One piece of a local part ending at token ``i``: spelled letters, a word, digits ("j smith 2000")."""
    digits, j = _number_run(toks, i, text, lang)
    word = ""
    low = re.sub(r"^([od])['’](?=[a-z]{2})", r"\1", toks[j].low) if j >= 0 else ""  # o'brien, d'angelo
    # After "dot" or "underscore" a word such as "na" or "de" is part of the address ("li dot na").
    if len(low) > 1 and _is_word(low) and (low not in _STOP or (j > 1 and _joiner(toks, j - 1))):
        word, j = low, j - 1
    letters, j = _letters(toks, j)
    piece = letters + word + digits
    return (piece, j) if piece else None


def _local_part(toks: list[_Tok], at: int, text: str, lang: str | None) -> tuple[int, str] | None:
    """The words before the "at" token as (start offset, local part)."""
    pieces: list[str] = []
    i, first = at - 1, -1
    while (segment := _segment(toks, i, text, lang)) is not None:
        piece, j = segment
        pieces[:0], first = [piece], j + 1
        if (join := _joiner(toks, j)) is None:
            break
        pieces[:0], i = [join], j - 1
    if pieces and pieces[0] in ".-_":
        pieces.pop(0)  # "... dot john at": the dot belongs to the sentence
    return (toks[first].start, "".join(pieces)) if pieces else None


def _label(toks: list[_Tok], i: int, first: bool) -> tuple[str, int]:
    """One label of a domain from token ``i``, and the index after it."""
    parts: list[str] = []
    while i < len(toks) and _label_goes_on(parts, toks, i, first):
        parts.append("-" if _joiner(toks, i) == "-" else toks[i].low)
        i += 1
    if parts and parts[-1] == "-":
        parts.pop()
        i -= 1
    return "".join(parts), i


def _label_goes_on(parts: list[str], toks: list[_Tok], i: int, first: bool) -> bool:
    """The name takes up to three words ("northwind traders", joined by dashes too); the labels after it one
    word or a few spelled letters ("co", "u k")."""
    low = toks[i].low
    if first:
        if _joiner(toks, i) == "-":
            return bool(parts) and parts[-1] != "-"
        return len(parts) < 5 and _is_word(low) and low not in _DOMAIN_STOP
    if not re.fullmatch(r"[a-z0-9]+", low) or low in _JOIN_WORDS or (low in _AT and low not in _TLDS):
        return False
    if len(parts) >= 3:
        return False
    return not parts or len(parts[-1]) == 1 == len(low)


def _domain(toks: list[_Tok], at: int) -> tuple[int, str] | None:
    """The words after the "at" token as (end offset, domain); None unless it ends in a known TLD."""
    labels: list[tuple[str, int]] = []
    i = at + 1
    while True:
        label, i = _label(toks, i, first=not labels)
        if not label:
            break
        labels.append((label, toks[i - 1].end))
        if _joiner(toks, i) != ".":
            break
        i += 1
    for n in range(len(labels), 1, -1):
        if labels[n - 1][0] in _TLDS:
            return labels[n - 1][1], ".".join(label for label, _ in labels[:n])
    return None


# Before a plain one-word local part, one of these says an address follows ("my email is dana at ..."): else
# "I placed an order at Amazon dot com" is a website, not order@amazon.com.
_CUES = _words(
    """email e-mail mail emails address addresses reach write send contact correo dirección direccion
    escribe escríbeme escribir envía envíe courriel adresse mél écrivez écris envoyez schreiben schreib
    schicken endereço escreva envie indirizzo scrivi scrivete posta"""
)
_CUES_CJK = re.compile("邮箱|郵箱|电邮|電郵|邮件|郵件")
# Said right before the local part, these introduce it too ("it is office at ...", "c'est jean at ...").
_COPULAS = _words("is it's that's es est c'est ist é è : -")


def _a_word_at_a_website(toks: list[_Tok], at: int, local: tuple[int, str], text: str) -> bool:
    """True when the local part is one plain word ("order", "room", "paid") with nothing before it that
    says an address follows: "I paid at PayPal dot com" names a website."""
    first = next(i for i, tok in enumerate(toks) if tok.start == local[0])
    if first != at - 1 or not re.fullmatch(r"[^\W\d_]{2,}", local[1]) or toks[at].low != "at":
        return False  # spelled, dotted, with digits, or said with "arroba", "chiocciola": an address
    if first == 0 or toks[first - 1].low in _COPULAS | _words(". , ; ! ?"):
        return False  # it opens the message or the sentence: "dana at example.com"
    before = {tok.low for tok in toks[max(0, first - 6) : first]}  # "send the contract over to tom at"
    return not (before & _CUES or _CUES_CJK.search(text[max(0, local[0] - 8) : local[0]]))


def email_spans(text: str, language: str | None = None) -> list[tuple[int, int, str]]:
    """Every email address in ``text`` as (start, end, address): written ones, then spoken ones."""
    found = [(m.start(), m.end(), m.group(0).lower()) for m in _EMAIL.finditer(text)]
    if not re.search(r"\bat\b|@|ät|arr?ob|chiocciol|klammeraffe|艾特", text, re.I):
        return found  # most messages: no word for "at", nothing to read
    toks = _tokens(text)
    for at, tok in enumerate(toks):
        if (tok.low not in _AT and tok.low not in _AT_CJK) or any(s <= tok.start < e for s, e, _ in found):
            continue
        local, domain = _local_part(toks, at, text, language), _domain(toks, at)
        if local and domain and not _a_word_at_a_website(toks, at, local, text):
            found.append((local[0], domain[0], _ascii(f"{local[1]}@{domain[1]}")))
    return found


def _ascii(address: str) -> str:
    """Addresses are written without accents: "maría.lópez" -> "maria.lopez", "müller" -> "mueller"."""
    address = address.translate(_UMLAUTS)
    return "".join(c for c in unicodedata.normalize("NFKD", address) if not unicodedata.combining(c))


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def find_email(text: str, language: str | None = None) -> str | None:
    spans = email_spans(text, language)
    return spans[0][2] if spans else None
