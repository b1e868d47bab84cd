"""E-mail addresses in a message: written, half-spoken ("dana at example.com") or spoken."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# "john dot smith at acme dot com": the local part is one word or words joined by dot/underscore/dash.
_SPOKEN_EMAIL = re.compile(
    r"\b((?:[a-z0-9]+\s+(?:dot|underscore|dash)\s+)*[a-z0-9]+)\s+at\s+([a-z0-9-]+(?:\s+dot\s+[a-z]{2,})+)\b",
    re.I,
)
_SPOKEN_JOINS = {"dot": ".", "underscore": "_", "dash": "-"}
# Whisper often writes "dana at example.com": a spoken "at" before a written domain.
HALF_SPOKEN_EMAIL = re.compile(
    r"\b([a-z0-9][a-z0-9._-]*)\s+at\s+([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})\b", re.I
)


def email_spans(text: str) -> list[tuple[int, int, str]]:
    """Every email address in ``text`` as (start, end, address): written, then half-spoken ("dana at
    example.com"), then spoken ("john dot smith at acme dot com"). "reach me at ..." is not an address."""
    found = [(m.start(), m.end(), m.group(0).rstrip(".").lower()) for m in _EMAIL.finditer(text)]
    for m in HALF_SPOKEN_EMAIL.finditer(text):
        if m.group(1).lower() not in _PRONOUNS:
            found.append((m.start(), m.end(), f"{m.group(1)}@{m.group(2)}".lower()))
    for word in re.finditer(r"\b\w", text):  # every word start: "me at john dot smith at acme dot com"
        spoken = _SPOKEN_EMAIL.match(text, word.start())
        if spoken is None or spoken.group(1).lower() in _PRONOUNS:
            continue
        local, domain = (
            re.sub(r"\s+(dot|underscore|dash)\s+", lambda j: _SPOKEN_JOINS[j.group(1).lower()], g)
            for g in (spoken.group(1), spoken.group(2))
        )
        found.append((spoken.start(), spoken.end(), f"{local}@{domain}".lower()))
    return found


def find_email(text: str) -> str | None:
    spans = email_spans(text)
    return spans[0][2] if spans else None


_PRONOUNS = frozenset({"me", "us", "you", "him", "her", "them", "it", "is", "email", "mail"})
