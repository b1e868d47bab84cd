"""Reference numbers the message names: order, invoice, account, case, ticket, ..."""

from __future__ import annotations

import re

from voice.triage.model import Reference
from voice.triage.spoken_numbers import spoken_digits_to_numbers

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
