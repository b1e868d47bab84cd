"""Issue 19, item 1: callback numbers are valid or absent, corrections win, references are found in every
language triage knows and are never read as phone numbers, national numbers keep their area code, and the
region a number is read in follows what was said."""

from __future__ import annotations

import pytest

from voice.triage.model import Reference
from voice.triage.references import find_references

# -- references in every language, with letters, dashes and spaces, all of them ---------------------


@pytest.mark.parametrize(
    ("text", "language", "want"),
    [
        ("It's about ticket TK 45 67.", "en", [("ticket", "TK4567")]),
        ("My order is RX4471B, it never came.", "en", [("order", "RX4471B")]),
        ("Regarding case 2025-118.", "en", [("case", "2025-118")]),
        (
            "Claim number CL-88123 and policy number 5540 221.",
            "en",
            [("claim", "CL-88123"), ("policy", "5540221")],
        ),
        ("My tracking number is 1Z 999 AA1 0123.", "en", [("tracking", "1Z999AA10123")]),
        (
            "Booking reference XK7T42, confirmation 77812.",
            "en",
            [("booking", "XK7T42"), ("confirmation", "77812")],
        ),
        (
            "Invoice 4471 and also invoice 4472, and member ID 90 12 33.",
            "en",
            [("invoice", "4471"), ("invoice", "4472"), ("member", "901233")],
        ),
        (
            "El número de pedido es 44821 y el número de factura F-2291.",
            "es",
            [("order", "44821"), ("invoice", "F-2291")],
        ),
        (
            "Mi número de cliente es 71 82 93, expediente 2025-118.",
            "es",
            [("customer", "718293"), ("case", "2025-118")],
        ),
        (
            "Mi póliza número 88 11 22 y la reclamación número 5531.",
            "es",
            [("policy", "881122"), ("claim", "5531")],
        ),
        (
            "Numéro de commande 33017, numéro de facture FA 8812.",
            "fr",
            [("order", "33017"), ("invoice", "FA8812")],
        ),
        (
            "Mon numéro de dossier est AB-1234, numéro de suivi 6A 123 456.",
            "fr",
            [("case", "AB-1234"), ("tracking", "6A123456")],
        ),
        (
            "Meine Kundennummer ist 71 82 93 und die Rechnungsnummer RE-2025-044.",
            "de",
            [("customer", "718293"), ("invoice", "RE-2025-044")],
        ),
        ("Aktenzeichen 123/25, Vertragsnummer 55 66 77.", "de", [("case", "123/25"), ("contract", "556677")]),
        ("Die Sendungsnummer ist 00340 434 1612.", "de", [("tracking", "003404341612")]),
        (
            "O número do pedido é 55 12 90 e o protocolo 2025 1234.",
            "pt",
            [("order", "551290"), ("ticket", "20251234")],
        ),
        (
            "Número da apólice AP 7781, número da fatura 3321.",
            "pt",
            [("policy", "AP7781"), ("invoice", "3321")],
        ),
        (
            "Il numero d'ordine è 77 31 0, numero di pratica PR-5521.",
            "it",
            [("order", "77310"), ("case", "PR-5521")],
        ),
        (
            "La fattura 8812 e il numero di polizza 44 55 66.",
            "it",
            [("invoice", "8812"), ("policy", "445566")],
        ),
        ("我的订单号是A12345，发票号778899。", "zh", [("order", "A12345"), ("invoice", "778899")]),
        (
            "工单号是 TK4567，快递单号 SF1234567890。",
            "zh",
            [("ticket", "TK4567"), ("tracking", "SF1234567890")],
        ),
    ],
)
def test_references_in_every_language(text: str, language: str, want: list[tuple[str, str]]) -> None:
    assert find_references(text, language) == tuple(Reference(k, v) for k, v in want)


def test_references_said_as_digit_words() -> None:
    assert find_references("My order number is four four seven one two.", "en") == (
        Reference("order", "44712"),
    )
    assert find_references("Número de factura cinco cinco dos uno.", "es") == (Reference("invoice", "5521"),)


def test_no_reference_without_a_number() -> None:
    for text, language in (
        ("I placed an order 2 weeks ago.", "en"),
        ("In case you need it, call me.", "en"),
        ("La police est venue à 14 heures.", "fr"),
        ("Ich bin Kunde seit 2019.", "de"),
    ):
        assert find_references(text, language) == ()


@pytest.mark.parametrize(
    ("text", "language", "want"),
    [
        (
            "I've got two invoices, 5521 and 5522, both on account C-88410.",
            "en",
            [("invoice", "5521"), ("invoice", "5522"), ("account", "C-88410")],
        ),
        ("It's about your last invoice, 30218.", "en", [("invoice", "30218")]),
        (
            "Tengo dos facturas, 4410, 4411 y 4412.",
            "es",
            [("invoice", "4410"), ("invoice", "4411"), ("invoice", "4412")],
        ),
        ("Mon numéro client, c'est le 55 20 81 47.", "fr", [("customer", "55208147")]),
        ("Uma dúvida sobre a nota fiscal 4471.", "pt", [("invoice", "4471")]),
        (
            "我的保单号是PA 88213，理赔号LP-2026-0091。",
            "zh",
            [("policy", "PA88213"), ("claim", "LP-2026-0091")],
        ),
    ],
)
def test_references_after_a_comma_in_lists_and_with_spaces(
    text: str, language: str, want: list[tuple[str, str]]
) -> None:
    assert find_references(text, language) == tuple(Reference(k, v) for k, v in want)
