"""Who is calling: the caller's name and the organisation they call from, in en, es, fr, de, pt, it and zh.

Rules, no model. A name follows a cue ("my name is", "me llamo", "je m'appelle", "hier spricht", "meu nome
é", "mi chiamo", "我是") or precedes one ("... speaking", "... am Apparat", "... falando"); it is the
capitalised words there (Whisper capitalises names), titles dropped ("Herr Schmidt" -> "Schmidt", "王先生"
-> "王"). After a strong cue ("my name is", "me llamo") a lower-case name is taken too. The organisation is
what follows the name ("Carlos Pérez de Telefónica", "Steve at Corner Cafe"), a word for a company ("de la
empresa X", "von der Firma X"), a call-from phrase ("calling from X", "le llamo de X", "ligando da X") or a
Chinese name ending in a kind of organisation ("顺丰快递的张伟"). Never a title with a name ("Doctor Lim"),
a possessive alone ("Marco's"), a weekday or month, or the caller's own name. A place said as "from
Chicago" cannot be told from a company by rules and is taken as one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from voice.triage import name_words as w
from voice.triage import phone_words, references
from voice.triage.text import has_han

_UP = "A-ZÀ-ÖØ-Þ"
_LOW = "a-zß-öø-ÿ"
_WORD = rf"[{_UP}][\w'’-]+"  # a capitalised word: O'Brien, Jean-Pierre, McDonald
_PARTICLE = (
    rf"(?:(?i:de\s+la|de\s+las|de\s+los|van\s+der|van\s+den|van)(?!\s+(?:{'|'.join(w.ORG_KINDS)})\b)"
    rf"|(?:d[aeiou]s?|del|della)(?=\s+(?:{'|'.join(w.PARTICLE_SURNAMES)})\b))"
)
_NAME = rf"(?P<name>{_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_WORD}){{0,3}})"
_TITLED = rf"(?:{w.ARTICLES}(?={w.TITLE}))?(?:{w.TITLE}\s+)*"
_END = rf"(?=\s*(?:[,.!?;:]|$|[{_LOW}]))"  # "it's Rob Kessler returning your call", "it's Rob."
_ARTICLE = r"(?:(?i:der|die|el|la|il|lo|o|a)\s+)?"  # "hier ist der Felix", "aqui é o Paulo"


# Said between a cue and the name: "this is, um, Derek Olsen".
_FILLERS = r"(?:,?\s*(?i:uh|um|umm|er|erm|ah|eh|euh|äh|ähm|ehm|hmm)\b[,.]?)*"


def _after(cues: str, tail: str = "", article: str = "") -> re.Pattern[str]:
    """The name after a cue said in any case, titles skipped."""
    return re.compile(rf"(?i:\b(?:{cues})){_FILLERS}\s+{_TITLED}{article}{_NAME}{tail}")


def _before(cues: str) -> re.Pattern[str]:
    """The name right before a cue ("Steve speaking", "Schmidt am Apparat"); "Hi Lisa, calling about..."
    greets the person called."""
    return re.compile(rf"(?<![\w'’])(?:{w.TITLE}\s+)*{_NAME}\s+(?i:{cues})\b")


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
        _after(
            r"me llamo|mi nombre es|(?:le|te|les) (?:habla|saluda)|de parte de|soy|habla", article=_ARTICLE
        ),
        _before(r"al habla"),
    ],
    "fr": [
        _after(r"je m'appelle|je m’appelle|mon nom est|de la part de|c'est|c’est|ici|je suis"),
        _before(r"à l'appareil|à l’appareil"),
    ],
    "de": [
        _after(r"mein Name ist|ich heiße|ich heisse|(?:hier|da) (?:ist|spricht)|ich bin", article=_ARTICLE),
        _before(r"am Apparat|hier|mein Name"),
    ],
    "pt": [
        _after(
            r"(?:o )?meu nome é|(?:eu )?me chamo|(?:aqui|daqui) (?:é|fala)|fala|(?:eu )?sou", article=_ARTICLE
        ),
        _after(r"é (?:o|a)|da parte d[eoa]s?"),
        _before(r"falando"),
    ],
    "it": [
        _after(r"mi chiamo|il mio nome è|qui (?:è|parla)|sono|parla", article=_ARTICLE),
        _before(r"al telefono"),
    ],
}
_AFFILIATION = r"(?i:from|at|with|de|d['’]|da|do|von|di|dello|della)\s"
# "ich bin's, Jens", "c'est moi, Julie"; "je suis le gardien, Michel Roy": a role, then the name.
_ITS_ME = re.compile(
    r"(?i:\b(?:it's me|it is me|ich bin's|ich bins|ich bin es|c'est moi|c’est moi|soy yo|sou eu|sono io))"
    rf"\s*[,.]\s+{_NAME}(?=\s*(?:[,.!?]|$))"
)
_ROLE = re.compile(
    r"(?i:\b(?:I'm|I am|this is|je suis|c'est|ici|soy|habla|sou|aqui é|ich bin|hier ist|sono|parla)\s+"
    r"(?:the|your|le|la|l'|votre|el|su|o|a|seu|sua|der|die|das|Ihr|Ihre|il|lo|il suo|il vostro)\s*"
    rf"(?:[{_LOW}]+\s+){{0,2}}[{_LOW}]+),\s+{_TITLED}{_NAME}(?=\s*(?:[,.!?]|$))"
)
# A greeting, then a full name and a pause or an affiliation, or a first name and an affiliation ("Hi, Kevin
# O'Brien from ..."). "Hi Mary, call me" greets the person called, so one word alone is not taken, nor a
# title ("Bonjour Monsieur Girard").
_GREETING = (
    rf"(?<![\w'’]){w.GREETINGS}[,.!]?(?:\s+(?i:uh|um|er|erm|yeah|yes|oh|so|there)\b[,.]?)*\s+(?!{w.TITLE})"
)
_GREETED = [
    re.compile(rf"{_GREETING}(?=\S+\s+[{_UP}]){_NAME}(?=\s*(?:[,.]|{_AFFILIATION}))"),
    re.compile(rf"{_GREETING}{_NAME}(?=\s*,?\s+{_AFFILIATION}\s*[{_UP}])"),
]
# The name first, then the greeting, as German callers say it: "Müller, guten Tag, ich rufe an wegen…".
# Only formal greetings: "Anna, hallo" or "Sarah, hi" greets the person called.
_NAME_THEN_GREETING = re.compile(
    rf"^(?:(?i:ja|hallo)[,.]?\s+)?{_NAME},?\s+(?i:guten (?:tag|morgen|abend)|grü(?:ß|ss) gott|grüezi)\b"
)
# "..., Lisa Tran, 714 555 0118.": a whole phone number after it, and not a word that labels the number
# ("Handy 0171 2345678", "Cell 312 555 0142", "Entschuldigung, 0171 ...", "Order 44718", "Zimmer 204").
_NOT_SIGN_OFF = "|".join(
    re.escape(word)
    for word in sorted(
        phone_words.PHONE_WORDS | phone_words.PLACE_WORDS | references.KIND_WORDS,
        key=len,
        reverse=True,
    )
)
_SIGN_OFF = re.compile(
    rf"[,.]\s+(?!(?i:{_NOT_SIGN_OFF})\b){_NAME},?\s+(?:(?i:at|on)\s+)?\(?\d(?:[\s().-]{{0,3}}\d){{6}}"
)
_LANGUAGES = tuple(_CUES)

# After these a lower-case word is a name too: nothing else is said there.
_STRONG = re.compile(
    r"(?i:\b(?:my name is|my name's|the name is|me llamo|mi nombre es|je m'appelle|je m’appelle|mon nom est|"
    r"mein name ist|ich heiße|meu nome é|me chamo|mi chiamo|il mio nome è))\s+"
    rf"(?P<low>[{_LOW}][\w'’-]+(?:\s+[{_LOW}][\w'’-]+)?)(?P<after>\s*(?:[,.!?;:]|$)|\s+[\w'’-]+)"
)

# Chinese: a cue, maybe an organisation and 的, maybe 小/老, a surname, up to two more characters, a title.
_ZH_NAME_CUE = re.compile(
    r"我叫|我的名字是|我的名字叫|我名字叫|我姓|(?<=[，,。\s])姓|免贵姓|免貴姓|我是|这里是|這裡是|这边是|這邊是|我们是|我們是"
)
_ZH_ORG_CHAR = rf"(?:(?![{w.ZH_ORG_STOPS}]){w.ZH_ORG_CHARS})"
_ZH_KINDS = "|".join(kind for kind in w.ZH_ORG_KINDS if len(kind) > 1)
_ZH_KINDS_1 = "".join(kind for kind in w.ZH_ORG_KINDS if len(kind) == 1)  # 局, 店: two characters before
_ZH_ORG = rf"(?P<org>{_ZH_ORG_CHAR}{{1,14}}(?:{_ZH_KINDS})|{_ZH_ORG_CHAR}{{2,14}}[{_ZH_KINDS_1}])"
_ZH_ORG_THEN_DE = re.compile(rf"{_ZH_ORG}的")
# Any two or more characters before 的 and a person: "我是明达贸易的孙悦" names the organisation too.
_ZH_ANY_THEN_DE = re.compile(rf"(?P<org>{_ZH_ORG_CHAR}{{2,12}})的")
_ZH_ORG_AT = [
    re.compile(rf"(?:是|我在|从|從|来自|來自){_ZH_ORG}"),  # 我是, 这里是, "我是王芳，是阳光幼儿园的老师"
    re.compile(rf"(?:^|[，,。.！!？?\s]){_ZH_ORG}(?=的)"),
]


def _title_case(word: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in word.split("-"))


def _tidy(words: list[str], language: str) -> str | None:
    """The name from the words matched, or None when they are not one."""
    if language[:2] in ("es", "pt", "it") and len(words) > 1 and words[0] in w.SPANISH_TITLES:
        words = words[1:]
    while len(words) > 1 and re.fullmatch(w.TITLE, words[0]):
        words = words[1:]
    if not words or words[0] in w.NOT_NAMES:
        return None
    while words and words[-1] in w.NOT_NAMES:
        words.pop()
    if not words or words[-1].endswith(("'s", "’s")):
        return None  # "Marco's mom": whose, not who
    if any(word in w.BUSINESS_WORDS for word in words):
        return None  # "this is Northline Couriers", "hier ist die Praxis Dr. Weber": an organisation
    return " ".join(words)


def _ordered(language: str) -> Iterable[re.Pattern[str]]:
    lang = language[:2]
    first = _CUES.get(lang, [])
    yield from first
    for other in _LANGUAGES:
        if other != lang:
            yield from _CUES[other]
    yield _ITS_ME
    yield _ROLE
    yield from _GREETED
    yield _NAME_THEN_GREETING
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


# A role between the organisation and the person: "京东物流的快递员小张", "平安保险的客服李娜".
_ZH_ROLE = re.compile(
    r"^[\u4e00-\u9fff]{0,3}?(?:员|員|客服|经理|經理|主管|助理|顾问|顧問)(?=[\u4e00-\u9fffA-Z])"
)
_LATIN_IN_ZH = re.compile(rf"{_WORD}(?:\s{_WORD})?")  # "我是Tony", "我是ABC公司的Lisa Wang"


def _zh_person(rest: str) -> str | None:
    latin = _LATIN_IN_ZH.match(rest)
    if latin:
        return latin.group() if latin.group().split()[0] not in w.NOT_NAMES else None
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
    left = rest[len(surname) + len(given) :]
    if not given and left and not left.startswith(w.ZH_TITLES) and left[0] not in w.ZH_PAUSES:
        return None  # "我是楼下的邻居": a surname alone only before a title or a pause ("我是小王，")
    return surname + given


def _zh_surname(rest: str) -> str | None:
    """After 姓: the surname alone ("我姓陈", "免贵姓欧阳")."""
    surname = next((s for s in w.ZH_COMPOUND_SURNAMES if rest.startswith(s)), rest[:1])
    return surname if surname and (len(surname) > 1 or surname in w.ZH_SURNAMES) else None


def _zh_who(text: str) -> Iterable[tuple[str | None, str | None]]:
    """(organisation, person) after each cue: "我是顺丰快递的张伟" -> ("顺丰快递", "张伟")."""
    for m in _ZH_NAME_CUE.finditer(text):
        rest = text[m.end() :].lstrip()
        if m.group().endswith("姓"):
            yield None, _zh_surname(rest)
            continue
        then_de = _ZH_ORG_THEN_DE.match(rest) or _ZH_ANY_THEN_DE.match(rest)
        if then_de and not w.ZH_NOT_ORG_START.match(then_de.group("org")):
            after = rest[then_de.end() :]
            person = _zh_person(after) or _zh_person(_ZH_ROLE.sub("", after, count=1))
            if person or then_de.re is _ZH_ORG_THEN_DE:
                yield then_de.group("org"), person
                continue
        place = re.match(_ZH_ORG, rest)  # "这里是北京协和医院": a place, no person
        yield (place.group("org"), None) if place else (None, _zh_person(rest))


def _zh_name(text: str) -> str | None:
    return next((person for _, person in _zh_who(text) if person), None)


def find_caller_name(text: str, language: str | None = None) -> str | None:
    """The caller's name as said, titles dropped; None when none is said."""
    language = (language or "en").lower()
    if has_han(text):
        name = _zh_name(text)
        if name:
            return name
    for pattern in _ordered(language):
        for m in pattern.finditer(text):
            name = _tidy(m.group("name").split(), language)
            if name:
                return _said_in_full(text, name)
    return _lower_case_name(text)


def _said_in_full(text: str, name: str) -> str:
    """ "It's Anna, Anna Kowalski": the first name said again with the surname."""
    if " " in name:
        return name
    again = re.search(rf"\b{re.escape(name)},?\s+{re.escape(name)}\s+({_WORD})", text)
    return f"{name} {again.group(1)}" if again and again.group(1) not in w.NOT_NAMES else name


# The organisation: capitalised words, with "of", "de", "&" and the like between them ("Banco de la Nación").
_ORG_WORD = rf"[{_UP}][\w&'’.-]*"
_JOIN = r"(?i:of|and|the|de|del|y|e|et|und|di|da|do|dos|das|für|der|la|du|des|&)"
_ORG_NAME = rf"{_ORG_WORD}(?:\s+(?:{_JOIN}\s+){{0,2}}{_ORG_WORD}){{0,5}}"
# A kind said in lower case before the name is part of it: "dello studio dentistico Sorriso".
_ORG = rf"(?P<org>(?:(?i:{'|'.join(w.LOWER_KINDS)})\s+(?:[{_LOW}]+\s+)?)?{_ORG_NAME})"
_ART = r"(?i:(?:the|la|el|le|les|l'|l’|der|die|dem|den|das|il|lo|o|a|os|as)\s+|l['’])?"
_COMPANY = rf"(?:{w.COMPANY}\s+)?"
# Right after the caller's name: "Maria Lopez from Acme", "Carlos Pérez, de Telefónica", "Ana da Claro".
_AFTER_NAME = re.compile(
    r"(?:\s+(?i:here|hier|speaking|calling|again|am Apparat|à l'appareil|falando|al habla)\b)?"
    r"\s*,?\s*(?i:from|with|at|de\s+chez|chez|de|d['’]|du|des|da|do|dos|das|di|della|dello|dell['’]|dalla|dal|del|"
    rf"von\s+der|von\s+den|von|vom)\s*{_ART}{_COMPANY}{_ORG}"
)
# A department of an organisation: "the billing department at Redwood", "le service client de Free", "der
# Kundendienst von Vodafone", "from accounting at Acme".
_DEPARTMENT = re.compile(
    rf"(?:(?i:{'|'.join(w.DEPARTMENTS)})|\b(?i:from)\s+(?:the\s+)?[{_LOW}]+(?:\s+[{_LOW}]+)?)"
    rf"\s+(?i:at|of|from|with|von|vom|bei|de|du|des|d['’]|da|do|di|del|della)\s*{_ART}{_ORG}"
)
# An organisation introducing itself, known by the last word of its name: "Hi, this is Northline Couriers."
_SELF = re.compile(
    r"(?i:\b(?:this is|it's|it is|you've reached|you have reached|c'est|c’est|ici|hier (?:ist|spricht)|"
    r"aqui (?:é|fala)|soy|le habla|habla|sono|qui (?:è|parla)|parla))\s+"
    rf"{_ART}{_ORG}"
)
# Anywhere: a word for a company, or a call made from or for one.
_ORG_CUES = [
    re.compile(rf"(?<![\w'’]){w.COMPANY}\s+{_ORG}"),
    re.compile(
        r"(?i:\b(?:calling|ringing|phoning|I'm|I am|we're|we are|this is|it's|I work|work(?:ing)?)\s+"
        rf"(?:you\s+)?(?:from|with|at|for|on behalf of)|on behalf of)\s+{_ART}{_ORG}"
    ),
    re.compile(
        r"(?i:\b(?:llamo|llamamos|llamaba|llamábamos|hablo|hablamos|comunico|comunicamos|escribo)\s+(?:de|desde|del)|"
        r"\ben nombre de|\bde\s+chez|"
        r"\bappel(?:le|ons)\s+(?:de\s+la\s+part\s+(?:de|du|des|d['’])|de\s+chez|de|d['’])|"
        r"\bim Auftrag\s+(?:von|der|des)|\brufe\s+(?:Sie\s+|dich\s+|euch\s+)?(?:von|vom)|"
        r"\b(?:ligando|ligo|ligamos|falo|falamos|falando)\s+d[aoe]s?|\baqui é d[ao]s?|\bem nome d[aoe]s?|"
        r"\b(?:chiamo|chiamiamo)\s+(?:da|dalla|dallo|dal)|\bper conto d[ei]|"
        r"\bda parte d(?:i|el|ella|ello|ell['’]))"
        rf"\s*{_ART}{_COMPANY}{_ORG}"
    ),
    re.compile(rf"(?<!message )(?<!call )(?<!calls )\bfrom\s+{_ART}{_ORG}"),
]
# One sentence, one name; the dot of "Dr." or "Inc." ends none ("von der Praxis Dr. Weber").
_CUT = re.compile(
    r"[,!?;:]\s|(?<!\bDr)(?<!\bMr)(?<!\bMrs)(?<!\bSt)(?<!\bInc)(?<!\bCo)(?<!\bLtd)\.\s|[,!?;:.]$"
)


def _clean_org(raw: str, caller_name: str | None) -> str | None:
    words = _CUT.split(raw)[0].split()
    while words and (words[-1] in w.NOT_ORGS or words[-1] in w.CONNECTORS or words[-1] in ("I'm", "We're")):
        words.pop()
    if not words or words[0] in w.NOT_ORGS or re.fullmatch(w.TITLE, words[0]):
        return None  # a weekday, a pronoun, or "Doctor Lim": a person, not an organisation
    if words[-1].endswith(("'s", "’s")) and words[0] not in ("St.", "St", "Saint"):
        return None  # "Marco's": whose, not who (but "St. Luke's" is a hospital)
    if not any(word[0].isupper() for word in words):
        return None  # "at the hospital Monday": no name said
    org = " ".join(words).strip(" .,'’")
    if caller_name and set(org.split()) <= set(caller_name.split()):
        return None
    return org if len(org) >= 2 else None


def _zh_org(text: str) -> str | None:
    found = [org for org, _ in _zh_who(text) if org]
    found += [m.group("org") for pattern in _ZH_ORG_AT for m in pattern.finditer(text)]
    # A department or a kind alone names no organisation: "这里是信用卡中心", "我是物业的刘经理".
    return next((org for org in found if not w.ZH_NOT_ORG_START.match(org) and org not in w.ZH_GENERIC), None)


_PAUSE_THEN_ORG = re.compile(rf"\s*,\s*{_ORG}")


def _after_name(text: str, caller_name: str | None) -> str | None:
    if not caller_name:
        return None
    for said in re.finditer(re.escape(caller_name), text, re.IGNORECASE):
        m = _AFTER_NAME.match(text, said.end())
        org = _clean_org(m.group("org"), caller_name) if m else None
        if org:
            return org
        # "Jake Morrison, Harbourside Electrical, …": no preposition, so only a name of a kind of business
        m = _PAUSE_THEN_ORG.match(text, said.end())
        org = _clean_org(m.group("org"), caller_name) if m else None
        if org and _is_business(org):
            return org
    return None


def _is_business(org: str) -> bool:
    return any(word in w.BUSINESS_WORDS for word in org.split())


def _anything(org: str) -> bool:
    return True


# In order: a department's organisation, one introducing itself (known by its kind), then the cues.
# "a message from John Smith" is from a person, "a message from Bright Dental" from an organisation.
_MESSAGE_FROM = re.compile(rf"\b(?:message|call|calls) from\s+{_ART}{_ORG}")
_FINDERS = [
    (_DEPARTMENT, _anything),
    (_SELF, _is_business),
    (_MESSAGE_FROM, _is_business),
    *((cue, _anything) for cue in _ORG_CUES),
]


def find_organisation(text: str, caller_name: str | None) -> str | None:
    """The organisation the caller calls from, as said; None when none is said."""
    if has_han(text):
        org = _zh_org(text)
        if org:
            return org
    org = _after_name(text, caller_name)
    if org:
        return org
    for pattern, fits in _FINDERS:
        for m in pattern.finditer(text):
            org = _clean_org(m.group("org"), caller_name)
            if org and fits(org):
                return org
    return None
