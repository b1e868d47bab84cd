"""Who is calling: the caller's name in en, es, fr, de, pt, it and zh, and the organisation they call from.

Rules, no model. A name follows a cue ("my name is", "me llamo", "je m'appelle", "hier spricht", "meu nome
é", "mi chiamo", "我是") or precedes one ("... speaking", "... am Apparat", "... falando"); it is the
capitalised words there (Whisper capitalises names), titles dropped ("Herr Schmidt" -> "Schmidt", "王先生"
-> "王"). After a strong cue ("my name is", "me llamo") a lower-case name is taken too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from voice.triage import name_words as w

_UP = "A-ZÀ-ÖØ-Þ"
_LOW = "a-zß-öø-ÿ"
_WORD = rf"[{_UP}][\w'’-]+"  # a capitalised word: O'Brien, Jean-Pierre, McDonald
_PARTICLE = (
    rf"(?:(?i:de\s+la|de\s+las|de\s+los|van\s+der|van\s+den|van)(?!\s+(?:{'|'.join(w.ORG_KINDS)})\b)"
    rf"|(?:d[aeiou]s?|del|della)(?=\s+(?:{'|'.join(w.PARTICLE_SURNAMES)})\b))"
)
_NAME = rf"(?P<name>{_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_WORD}){{0,3}})"
_TITLED = rf"(?:{w.ARTICLES}(?={w.TITLE}))?(?:{w.TITLE}\s+)*"
_END = r"(?=\s*(?:[,.!?;:]|$|(?i:here|from|calling|again|speaking|with|at|of|and)\b))"


def _after(cues: str, tail: str = "") -> re.Pattern[str]:
    """The name after a cue said in any case, titles skipped."""
    return re.compile(rf"(?i:\b(?:{cues}))\s+{_TITLED}{_NAME}{tail}")


def _before(cues: str) -> re.Pattern[str]:
    """The name before a cue ("Steve speaking", "Schmidt am Apparat")."""
    return re.compile(rf"(?<![\w'’])(?:{w.TITLE}\s+)*{_NAME}\s*,?\s+(?i:{cues})\b")


# Per language, most telling cues first. The language of the call is tried first, then the others (Whisper
# may label a short message in the wrong language), then the sign-off.
_CUES: dict[str, list[re.Pattern[str]]] = {
    "en": [
        _after(r"my name is|my name's|the name is|name's"),
        _after(r"this is"),
        _after(r"it'?s|it is", _END),
        _after(r"I'?m|I am", r"(?=\s*(?:[,.!?]|(?i:from|and|calling|here|with|at)\b|$))"),
        _before(r"here|calling|speaking"),
        _after(r"under the name"),
        re.compile(
            rf"(?i:\bplease call|\bcall|\bask for)\s+{_TITLED}{_NAME}"
            rf"(?:\s+[{_LOW}]+){{0,3}}\s+(?i:at|on)\s+\d"
        ),
    ],
    "es": [
        _after(r"me llamo|mi nombre es|le habla|te habla|les habla|de parte de|soy|habla"),
        _before(r"al habla"),
    ],
    "fr": [
        _after(r"je m'appelle|je m’appelle|mon nom est|de la part de|c'est|c’est|ici|je suis"),
        _before(r"à l'appareil|à l’appareil"),
    ],
    "de": [
        _after(r"mein Name ist|ich heiße|ich heisse|hier (?:ist|spricht)|ich bin"),
        _before(r"am Apparat|hier"),
    ],
    "pt": [
        _after(
            r"(?:o )?meu nome é|(?:eu )?me chamo|aqui (?:é|fala)(?: o| a)?|(?:eu )?sou(?: o| a)?|é (?:o|a)"
        ),
        _before(r"falando"),
    ],
    "it": [
        _after(r"mi chiamo|il mio nome è|qui (?:è|parla)|sono|parla"),
        _before(r"al telefono"),
    ],
}
_SIGN_OFF = re.compile(rf"[,.]\s+{_NAME},?\s+(?:(?i:at|on)\s+)?\(?\d{{3}}")  # "..., Lisa Tran, 714 555 0118."
_LANGUAGES = tuple(_CUES)

# After these a lower-case word is a name too: nothing else is said there.
_STRONG = re.compile(
    r"(?i:\b(?:my name is|my name's|the name is|me llamo|mi nombre es|je m'appelle|je m’appelle|mon nom est|"
    r"mein name ist|ich heiße|meu nome é|me chamo|mi chiamo|il mio nome è))\s+"
    rf"(?P<low>[{_LOW}][\w'’-]+(?:\s+[{_LOW}][\w'’-]+)?)(?P<after>\s*(?:[,.!?;:]|$)|\s+[\w'’-]+)"
)

# Chinese: a cue, maybe an organisation and 的, maybe 小/老, a surname, up to two more characters, a title.
_ZH_NAME_CUE = re.compile(
    r"我叫|我的名字是|我的名字叫|我名字叫|我姓|我是|这里是|這裡是|这边是|這邊是|我们是|我們是"
)
_ZH_ORG_CHAR = rf"(?:(?![{w.ZH_ORG_STOPS}]){w.ZH_ORG_CHARS})"
_ZH_KINDS = "|".join(kind for kind in w.ZH_ORG_KINDS if len(kind) > 1)
_ZH_KINDS_1 = "".join(kind for kind in w.ZH_ORG_KINDS if len(kind) == 1)  # 局, 店: two characters before
_ZH_ORG = rf"(?P<org>{_ZH_ORG_CHAR}{{1,14}}(?:{_ZH_KINDS})|{_ZH_ORG_CHAR}{{2,14}}[{_ZH_KINDS_1}])"
_ZH_ORG_THEN_DE = re.compile(rf"{_ZH_ORG}的")
_ZH_ORG_AT = [
    re.compile(rf"(?:我是|这里是|這裡是|这边是|這邊是|我们是|我們是|我在|从|從|来自|來自){_ZH_ORG}"),
    re.compile(rf"(?:^|[，,。.！!？?\s]){_ZH_ORG}(?=的)"),
]


def _title_case(word: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in word.split("-"))


def _tidy(words: list[str], language: str) -> str | None:
    """The name from the words matched, or None when they are not one."""
    if language[:2] in ("es", "pt", "it") and len(words) > 1 and words[0] in w.SPANISH_TITLES:
        words = words[1:]
    if not words or words[0] in w.NOT_NAMES:
        return None
    while words and words[-1] in w.NOT_NAMES:
        words.pop()
    if not words or words[-1].endswith(("'s", "’s")):
        return None  # "Marco's mom": whose, not who
    return " ".join(words)


def _ordered(language: str) -> Iterable[re.Pattern[str]]:
    lang = language[:2]
    first = _CUES.get(lang, [])
    yield from first
    for other in _LANGUAGES:
        if other != lang:
            yield from _CUES[other]
    yield _SIGN_OFF


def _lower_case_name(text: str) -> str | None:
    for m in _STRONG.finditer(text):
        words = m.group("low").split()
        if words[0].lower() in w.FUNCTION_WORDS:
            continue
        after = m.group("after").strip()
        if len(words) == 2 and words[1].lower() in w.FUNCTION_WORDS:
            after, words = words[1], words[:1]
        if after and after[0].isalnum() and after.lower() not in w.FUNCTION_WORDS:
            continue  # "my name is really long": more words follow, not a name
        return " ".join(_title_case(word) for word in words)
    return None


def _zh_person(rest: str) -> str | None:
    rest = rest.removeprefix("小").removeprefix("老") if rest[1:2] in w.ZH_SURNAMES else rest
    surname = next((s for s in w.ZH_COMPOUND_SURNAMES if rest.startswith(s)), rest[:1])
    if not surname or (len(surname) == 1 and surname not in w.ZH_SURNAMES):
        return None
    given = ""
    for char in rest[len(surname) : len(surname) + 2]:
        left = rest[len(surname) + len(given) :]
        if char in w.ZH_NAME_STOPS or left.startswith(w.ZH_TITLES) or left.startswith(w.ZH_NAME_STOP_WORDS):
            break
        given += char
    return surname + given


def _zh_name(text: str) -> str | None:
    for m in _ZH_NAME_CUE.finditer(text):
        rest = text[m.end() :].lstrip()
        org = _ZH_ORG_THEN_DE.match(rest)
        if org:
            rest = rest[org.end() :]
        elif re.match(_ZH_ORG, rest):
            continue  # "这里是北京协和医院": a place, no person
        name = _zh_person(rest)
        if name:
            return name
    return None


def find_caller_name(text: str, language: str | None = None) -> str | None:
    """The caller's name as said, titles dropped; None when none is said."""
    language = (language or "en").lower()
    if re.search(r"[\u4e00-\u9fff]", text):
        name = _zh_name(text)
        if name:
            return name
    for pattern in _ordered(language):
        for m in pattern.finditer(text):
            name = _tidy(m.group("name").split(), language)
            if name:
                return name
    return _lower_case_name(text)


_ORG = re.compile(
    r"\b(?:(?:calling |I'm |I am |this is \w+ )?from|with|at)\s+"
    r"((?:[A-Z][\w&'’.-]*|&)(?:\s+(?:[A-Z][\w&'’.-]*|&|of|and|the)){0,4})",
)
_ORG_STOP = {
    "I",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "The",
    "A",
    "An",
}
_ORG_SUFFIX = re.compile(r"\s+(?:of|and|the|&)$")


def find_organisation(text: str, caller_name: str | None) -> str | None:
    for m in _ORG.finditer(text):
        words = m.group(1).split()
        while words and (words[-1] in _ORG_STOP or words[-1].lower() in {"of", "and", "the", "&"}):
            words.pop()
        if not words or words[0] in _ORG_STOP:
            continue
        org = re.split(r"[.,!?;]\s|[,!?;]$|\.$", " ".join(words))[0]  # one sentence, one name
        org = _ORG_SUFFIX.sub("", org).strip(" .,'’")
        if org.split()[-1] in {"I'm", "I", "We", "We're"}:
            org = " ".join(org.split()[:-1])
        if caller_name and org in caller_name:
            continue
        if len(org) >= 2:
            return org
    return None
