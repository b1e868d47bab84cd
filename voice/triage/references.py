"""What the message names besides the caller: email addresses (written or spoken), reference numbers
(order, invoice, account, ...) and the caller's organisation."""

from __future__ import annotations

import re

from voice.triage.model import Reference
from voice.triage.spoken_numbers import spoken_digits_to_numbers

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
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# "john dot smith at acme dot com": the local part is one word or words joined by dot/underscore/dash.
_SPOKEN_EMAIL = re.compile(
    r"\b((?:[a-z0-9]+\s+(?:dot|underscore|dash)\s+)*[a-z0-9]+)\s+at\s+([a-z0-9-]+(?:\s+dot\s+[a-z]{2,})+)\b",
    re.I,
)
_SPOKEN_JOINS = {"dot": ".", "underscore": "_", "dash": "-"}
_REF = re.compile(
    r"\b(order|invoice|account|case|ticket|claim|policy|reference|confirmation|booking|tracking|work order|"
    r"pedido|factura|cuenta|rechnung|bestellung|commande|facture)"
    r"(?:,?\s+(?:number|no\.?|num(?:ber)?|#|nummer|número|numéro|ID))?[\s:#]*(?:is\s+)?"
    r"([A-Z]{0,4}[-\s]?\d[\d\s-]{1,18}\d|[A-Z]{1,4}-?\d{2,}|\d{2,})",
    re.I,
)
_REF_KINDS = {
    "pedido": "order",
    "bestellung": "order",
    "commande": "order",
    "factura": "invoice",
    "rechnung": "invoice",
    "facture": "invoice",
    "cuenta": "account",
    "work order": "order",
}

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


_CJK_REF = re.compile(r"(订单|发票|账户|单)号?(?:码)?是?\s*([A-Z0-9-]{3,})")
_CJK_REF_KINDS = {"订单": "order", "单": "order", "发票": "invoice", "账户": "account"}


def find_references(text: str, language: str) -> tuple[Reference, ...]:
    seen: dict[str, Reference] = {}
    for m in _CJK_REF.finditer(text):
        seen[m.group(2)] = Reference(_CJK_REF_KINDS[m.group(1)], m.group(2))
    for source in (text, spoken_digits_to_numbers(text, language)):
        for m in _REF.finditer(source):
            kind = m.group(1).lower()
            kind = _REF_KINDS.get(kind, kind)
            value = re.sub(r"[\s]+", "", m.group(2)).strip("-").upper()
            digits = re.sub(r"\D", "", value)
            if len(digits) < 3 or (kind == "account" and len(digits) > 16):
                continue
            # A phone number said right after "account" is not an account number; keep short ids only.
            if value not in seen:
                seen[value] = Reference(kind, value)
    return tuple(seen.values())


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
