"""Who is calling: the caller's name and the organisation they call from."""

from __future__ import annotations

import re

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
