"""Reference numbers the message names (order, invoice, customer, contract, account, case, ticket, policy,
claim, tracking, booking, reference, confirmation, member) in every language triage knows, and where they
are in the text, so the callback number never takes one for a phone number. Any other number said with a
label ("quote number", "número de socio", "Versichertennummer", "房间号") is a reference of kind "reference"
unless the label is a phone word (phone_words.py): the list of kinds can never be complete. Such a number
is only kept from the callback number, not reported ("bus number 4412" is no reference to look up)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from voice.triage import phone_words
from voice.triage.model import Reference
from voice.triage.spoken_numbers import spoken_digits_to_numbers

# Words that name a reference, lower case, and the kind each names. Words that also mean something else
# ("police", "client", "conto", "Fall") only count with a word for "number" next to them.
_KINDS = {
    "order": "order",
    "work order": "order",
    "invoice": "invoice",
    "bill": "invoice",
    "nota fiscal": "invoice",
    "customer": "customer",
    "contract": "contract",
    "account": "account",
    "case": "case",
    "ticket": "ticket",
    "policy": "policy",
    "claim": "claim",
    "tracking": "tracking",
    "booking": "booking",
    "reservation": "booking",
    "reference": "reference",
    "confirmation": "confirmation",
    "member": "member",
    "membership": "member",
    # es
    "pedido": "order",
    "factura": "invoice",
    "cliente": "customer",
    "contrato": "contract",
    "cuenta": "account",
    "expediente": "case",
    "caso": "case",
    "incidencia": "ticket",
    "póliza": "policy",
    "poliza": "policy",
    "reclamación": "claim",
    "reclamacion": "claim",
    "siniestro": "claim",
    "seguimiento": "tracking",
    "reserva": "booking",
    "referencia": "reference",
    "confirmación": "confirmation",
    "socio": "member",
    # fr
    "commande": "order",
    "facture": "invoice",
    "client": "customer",
    "contrat": "contract",
    "compte": "account",
    "dossier": "case",
    "police": "policy",
    "sinistre": "claim",
    "suivi": "tracking",
    "réservation": "booking",
    "référence": "reference",
    "adhérent": "member",
    # de
    "bestellung": "order",
    "auftrag": "order",
    "rechnung": "invoice",
    "vertrag": "contract",
    "konto": "account",
    "aktenzeichen": "case",
    "schaden": "claim",
    "buchung": "booking",
    "referenz": "reference",
    # pt
    "fatura": "invoice",
    "conta": "account",
    "processo": "case",
    "apólice": "policy",
    "apolice": "policy",
    "sinistro": "claim",
    "rastreamento": "tracking",
    "rastreio": "tracking",
    "protocolo": "ticket",
    "chamado": "ticket",
    "referência": "reference",
    # it
    "ordine": "order",
    "fattura": "invoice",
    "contratto": "contract",
    "conto": "account",
    "pratica": "case",
    "polizza": "policy",
    "spedizione": "tracking",
    "prenotazione": "booking",
    "riferimento": "reference",
}
KIND_WORDS = frozenset(_KINDS)  # for names.py: "Order 44718" is no caller called Order
_AMBIGUOUS = {
    "police",
    "client",
    "cliente",
    "conto",
    "conta",
    "compte",
    "caso",
    "fall",
    "processo",
    "pratica",
    "reserva",
    "socio",
    "schaden",
    "bill",
    "spedizione",
    "customer",
    "member",
    "chamado",
}
_NUMBER_WORDS = (
    r"number|no\.?|num\.?|nr\.?|#|id|code|ref(?:erence)?|"
    r"n[úu]mero|num[ée]ro|n[º°o]\.?|nummer|numero|c[óo]digo|code|codice"
)
_FILLER = (
    r"(?i:\s*(?:is|was|es|est|era|é|è|ist|lautet|c'est|:|#)(?=\s|\d|[A-Z]))?"
    r"(?:\s+(?:the|le|la|el|o|a|il|der|die|das)(?=\s))?"  # lower case: "A B C 123" is spelled
)
# The value: digit groups, maybe led by a few capital letters ("TK 45 67", "AB-1234", "RX4471B",
# "2025-118", "12 O 345/25", "SN-4471-B"; "rx4471b" only glued, as some transcribers write it), joined by
# a space, a dash, a slash or a dot between digits ("12.345.678"). An amount ("245 Euro") is none.
_SEP = r"(?:\s|\s?[-/]\s?|\.(?=\d))"
_VALUE = (
    r"(?P<value>(?:(?:[A-Z]{1,4}[\s-]?|(?:[A-Z]\s){1,3}[A-Z][\s-]?)?"
    rf"\d[\dA-Z]*(?:{_SEP}(?:[A-Z]{{1,3}}\s(?=\d))?[A-Z]{{0,3}}\d[\dA-Z]*){{0,6}}(?:-[A-Z]{{1,3}})?"
    r"|[a-z]{1,4}-?\d[\da-z]*(?:-\d[\da-z]*){0,4}))"
    r"(?!\s*(?i:€|\$|£|euros?\b|dollars?\b|pounds?\b|bucks\b|reais\b|pesos?\b|francs?\b|yuan\b|元|块))"
)


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# German compounds with -nummer / -nr.: Bestellnummer, Kundennummer, Ticketnummer ...
_GERMAN = {
    "bestell": "order",
    "auftrags": "order",
    "rechnungs": "invoice",
    "kunden": "customer",
    "vertrags": "contract",
    "konto": "account",
    "vorgangs": "case",
    "fall": "case",
    "akten": "case",
    "ticket": "ticket",
    "policen": "policy",
    "versicherungs": "policy",
    "schadens": "claim",
    "sendungs": "tracking",
    "buchungs": "booking",
    "referenz": "reference",
    "mitglieds": "member",
    "bestätigungs": "confirmation",
}


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], ...]:
    kinds = _alternation(list(_KINDS))
    # "invoice number 4471", "factura número 5521", "Rechnung 5521"
    first = re.compile(
        rf"(?i:\b(?P<kind>{kinds})(?P<plural>e?s|en)?\b(?P<num>,?\s+(?:{_NUMBER_WORDS}))?)"
        rf"(?P<comma>,(?=\s))?{_FILLER}\s*{_VALUE}(?![\w-])"
    )
    # "número de pedido 4471", "numéro de commande", "numero d'ordine", "número do pedido"
    romance = re.compile(
        rf"(?i:\b(?P<num>{_NUMBER_WORDS})\s+(?:(?:de\s+la|de|del|do|da|du|de\s+l'|d'|d’|di|della|dello|dell')\s*)?"
        rf"(?:mi\s+|su\s+|mon\s+|ma\s+|votre\s+|meu\s+|minha\s+|mio\s+|mia\s+)?(?P<kind>{kinds})\b)"
        rf"(?P<comma>,(?=\s))?{_FILLER}\s*{_VALUE}(?![\w-])"
    )
    # Bestellnummer, Kundennummer, Ticketnummer, Aktenzeichen
    german = re.compile(
        rf"(?i:\b(?P<kind>{_alternation(list(_GERMAN))})(?P<num>-?nummer|-?nr\.?))"
        rf"{_FILLER}\s*{_VALUE}(?![\w-])"
    )
    # "55390, that's my order number", "71 82 93 es mi número de cliente", "... ist meine Kundennummer"
    after = re.compile(
        rf"(?<![\w+]){_VALUE}(?![\w-]),?\s+(?i:is|was|that'?s|that\s+is|es|c'est|é|è|ist|das\s+ist)\s+"
        r"(?i:my|the|your|our|mi|su|el|mon|ma|le|la|meu|minha|o|a|il\s+mio|la\s+mia|il|meine|mein|die|der|das)\s+"
        rf"(?i:(?P<num>{_NUMBER_WORDS})\s+(?:de\s+|del\s+|do\s+|da\s+|du\s+|d'|di\s+)?)?"
        rf"(?i:(?P<gkind>{_alternation(list(_GERMAN))})-?nummer|(?P<kind>{kinds})\b)"
    )
    return first, romance, german, after


_CJK_REF = re.compile(
    r"(?P<kind>订单|发票|客户|合同|账户|账|工单|保单|快递单|运单|案件|理赔|预订|会员|单)"
    r"(?:编号|号码|号)(?:是|为|：|:)?\s*(?P<value>[A-Za-z0-9][A-Za-z0-9-]*(?:\s[A-Za-z0-9-]+)*)"
)
_CJK_KINDS = {
    "订单": "order",
    "单": "order",
    "发票": "invoice",
    "客户": "customer",
    "合同": "contract",
    "账户": "account",
    "账": "account",
    "工单": "ticket",
    "保单": "policy",
    "快递单": "tracking",
    "运单": "tracking",
    "案件": "case",
    "理赔": "claim",
    "预订": "booking",
    "会员": "member",
}


# A number labelled with any word ("quote number", "patient ID", "meter reading", "numéro d'adhérent",
# "Zählernummer", "工号"): the word decides in _phone_label whether it is a phone number.
_LATIN_WORD = r"[^\W\d_][\w'’-]*"
_ARTICLES = r"(?:de\s+la|de|del|do|da|du|de\s+l'|d'|d’|di|della|dello|dell')"


@lru_cache(maxsize=1)
def _labelled() -> tuple[re.Pattern[str], ...]:
    return (
        re.compile(
            rf"(?i:\b(?P<word>{_LATIN_WORD})\s+(?:number|no\.|nr\.?|id|#|reading|code)){_FILLER}\s*{_VALUE}"
        ),
        re.compile(
            # "número de mi esposo" is whose phone: "mi" is a function word, so no possessive is skipped here
            rf"(?i:\b(?:n[úu]mero|num[ée]ro|numero|nº|n°)\s+{_ARTICLES}\s*(?P<word>{_LATIN_WORD}))"
            rf"(?P<comma>,(?=\s))?{_FILLER}\s*{_VALUE}"
        ),
        re.compile(rf"(?i:\b(?P<gword>[^\W\d_]{{2,}}?)-?(?:nummer|nr\.?))(?![^\W\d_]){_FILLER}\s*{_VALUE}"),
        re.compile(
            r"(?P<zword>[\u4e00-\u9fff]{1,2})(?:编号|号码|号)(?:是|为|：|:)?\s*"
            r"(?P<value>[A-Za-z0-9][A-Za-z0-9-]*(?:\s[A-Za-z0-9-]+)*)"
        ),
    )


def _phone_label(m: re.Match[str]) -> bool:
    """True when the word labelling a number says it is a phone number ("cell number", "Handynummer")."""
    groups = m.groupdict()
    if word := groups.get("word"):
        return phone_words.is_phone_word(word)
    if word := groups.get("gword"):
        return any(word.lower().startswith(stem) for stem in phone_words.GERMAN_PHONE_STEMS)
    return groups["zword"].endswith(phone_words.ZH_PHONE_WORDS)  # "我的号码" names no kind, "的工号" does


def _unnamed(text: str) -> Iterator[tuple[int, int, Reference]]:
    """(start, end, reference) for numbers said with a label that is not a phone word; for reference_spans
    only."""
    for pattern in _labelled():
        for m in pattern.finditer(text):
            if _phone_label(m):
                continue
            ref = _reference("reference", m.group("value"), short=bool(m.groupdict().get("comma")))
            if ref:
                yield m.start("value"), m.end("value"), ref


def _kind_of(word: str, compound: bool) -> str:
    word = word.lower()
    return _GERMAN[word] if compound else _KINDS[word]


# After a plural ("two invoices, 5521 and 5522"): the next value of the list.
_NEXT = re.compile(rf"(?:,\s*|,?\s+(?i:and|or|y|o|e|et|ou|und|oder)\s+){_VALUE}(?![\w-])")


def _matches(text: str) -> Iterator[tuple[int, int, Reference]]:
    """(start, end, reference) for each reference said in ``text`` as it stands."""
    for m in _CJK_REF.finditer(text):
        value = re.sub(r"\s+", "", m.group("value")).upper()
        if len(value) >= 3:
            yield m.start("value"), m.end("value"), Reference(_CJK_KINDS[m.group("kind")], value)
    for pattern in _patterns():
        for m in pattern.finditer(text):
            groups = m.groupdict()
            word = groups.get("gkind") or groups["kind"]
            kind = _kind_of(word, pattern is _patterns()[2] or bool(groups.get("gkind")))
            if word.lower() in _AMBIGUOUS and not (groups.get("num") or groups.get("gkind")):
                continue
            ref = _reference(kind, m.group("value"), short=bool(groups.get("comma")))
            if ref:
                yield m.start("value"), m.end("value"), ref
            end = m.end()
            while groups.get("plural") and (more := _NEXT.match(text, end)):
                if ref := _reference(kind, more.group("value"), short=True):
                    yield more.start("value"), more.end("value"), ref
                end = more.end()


def _reference(kind: str, said: str, short: bool) -> Reference | None:
    """The reference ``said`` names, or None when it cannot be one: fewer than three digits ("order 2"
    is a quantity) or, after a bare comma ("my account, 212 555 0134"), as long as a phone number."""
    value = re.sub(r"[\s.]+", "", said).strip("-/").upper()  # dots group thousands: "12.345.678"
    digits = sum(c.isdigit() for c in value)
    if digits < 3 and not (digits >= 2 and any(c.isalpha() for c in value)):
        return None
    if digits > (8 if short else 20):
        return None
    return Reference(kind, value)


def reference_spans(text: str, language: str) -> list[tuple[int, int]]:
    """Where references are in ``text`` (as given: callers pass the same text they search for phone
    numbers), so a phone-number reader can skip them."""
    del language  # the patterns know every language; kept so callers need not care
    return [(start, end) for start, end, _ in (*_matches(text), *_unnamed(text))]


def find_references(text: str, language: str) -> tuple[Reference, ...]:
    """Every reference said, in order, each once (the same digits said twice are one reference)."""
    found = []
    for source in (text, spoken_digits_to_numbers(text, language, join_written=False)):
        found.append(tuple(ref for _, _, ref in sorted(_matches(source), key=lambda x: x[0])))
    return merge_references(*found)


def merge_references(*groups: tuple[Reference, ...]) -> tuple[Reference, ...]:
    """The references of several readers (built-in, LLM) together, in order, each once."""
    seen: dict[str, Reference] = {}
    for group in groups:
        for ref in group:
            seen.setdefault(re.sub(r"[^0-9A-Z]", "", ref.value.upper()), ref)
    return tuple(seen.values())
