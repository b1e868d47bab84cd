"""Issue 19, item 1: references are found in every language triage knows, with letters, dashes and spaces,
and are never read as phone numbers; nor is any other number said with a label that is not a phone word."""

from __future__ import annotations

import pytest

from voice.triage.callback import find_callback_number
from voice.triage.classify import triage
from voice.triage.model import CallContext, Reference
from voice.triage.references import find_references, merge_references, reference_spans


def _number(text: str, language: str = "en", caller_id: str | None = None, region: str = "US") -> str | None:
    return find_callback_number(text, language, region, caller_id)


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


# -- references are never phone numbers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "caller_id"),
    [
        ("My customer number is 71 82 93 55 01, thanks.", "en", "+12125550100"),
        ("My customer number is seven one eight two nine three four five six seven.", "en", "+12125550100"),
        ("Account number 2125550134, please check it.", "en", "+12125550100"),
        ("Mi número de pedido es 612 345 678.", "es", "+34910000000"),
        ("Mon numéro de client est le 06 12 34 56 78.", "fr", "+33142000000"),
        ("Meine Kundennummer ist 0171 1234567.", "de", "+4930123456"),
        ("O número do pedido é 912 345 678.", "pt", "+351213000000"),
        ("Il numero di pratica è 347 123 4567.", "it", "+390212345678"),
        ("我的订单号是13812345678。", "zh", "+8613912345678"),
    ],
)
def test_a_reference_is_never_a_callback_number(text: str, language: str, caller_id: str) -> None:
    assert _number(text, language, caller_id) is None


def test_the_phone_number_beside_a_reference_is_still_found() -> None:
    text = "Mi número de pedido es 45 67 89 y mi teléfono es 612 345 678."
    assert _number(text, "es", "+34910000000") == "+34612345678"
    assert _number("My customer number is 71 82 93, call me on 212 555 0134.") == "+12125550134"


def test_reference_spans_cover_the_value() -> None:
    text = "ticket TK 45 67 and call 212 555 0134"
    (span,) = reference_spans(text, "en")
    assert text[span[0] : span[1]] == "TK 45 67"


def test_a_spoken_reference_gets_no_country_prefix() -> None:
    t = triage(
        "Hola, mi número de pedido es 612 345 678, gracias.", "es", CallContext(caller_id="+34910000000")
    )
    assert t.references == (Reference("order", "612345678"),) and t.callback_number is None


@pytest.mark.parametrize(
    ("text", "language", "want"),
    [
        ("My order number is A B C one two three.", "en", [("order", "ABC123")]),
        ("Schadensnummer SN-4471-B, bitte.", "de", [("claim", "SN-4471-B")]),
        ("Aktenzeichen: 12 O 345/25.", "de", [("case", "12O345/25")]),
        ("Il numero di polizza è 12.345.678.", "it", [("policy", "12345678")]),
        ("O número do contrato é 4.471.229.", "pt", [("contract", "4471229")]),
        ("my order is rx4471b and the ticket tk-4567.", "en", [("order", "RX4471B"), ("ticket", "TK-4567")]),
        ("Rechnungsnummer re-2025-044, bitte.", "de", [("invoice", "RE-2025-044")]),
    ],
)
def test_reference_values_spelled_with_letters_dots_and_suffixes(
    text: str, language: str, want: list[tuple[str, str]]
) -> None:
    assert find_references(text, language) == tuple(Reference(k, v) for k, v in want)


@pytest.mark.parametrize(
    ("text", "language", "want"),
    [
        ("Es geht um die Rechnung 245 Euro.", "de", []),
        ("The invoice 300 dollars is too much.", "en", []),
        ("La factura 120 € no es correcta.", "es", []),
        ("The order 15th of May, ticket to 4567.", "en", []),
        ("My invoice number is 4471. 212 555 0134 is my cell.", "en", [("invoice", "4471")]),
    ],
)
def test_an_amount_or_the_next_sentence_is_not_part_of_a_reference(
    text: str, language: str, want: list[tuple[str, str]]
) -> None:
    assert find_references(text, language) == tuple(Reference(k, v) for k, v in want)


def test_a_phone_number_after_a_bare_comma_is_not_a_reference() -> None:
    text = "It's about my account, 212 555 0134 is the best number."
    assert find_references(text, "en") == ()
    assert _number(text) == "+12125550134"


@pytest.mark.parametrize(
    ("text", "language", "caller_id", "want"),
    [
        ("It's about 55390, that's my order number.", "en", None, ("order", "55390")),
        ("4417 8821 3344 is my account number, call me back.", "en", None, ("account", "441788213344")),
        ("612 345 678 es mi número de pedido.", "es", "+34910000000", ("order", "612345678")),
        ("06 12 34 56 78, c'est mon numéro de client.", "fr", "+33142000000", ("customer", "0612345678")),
        ("0171 1234567, das ist meine Kundennummer.", "de", "+4930111111", ("customer", "01711234567")),
    ],
)
def test_a_reference_said_before_its_name_is_one_and_no_phone_number(
    text: str, language: str, caller_id: str | None, want: tuple[str, str]
) -> None:
    assert find_references(text, language) == (Reference(*want),)
    assert _number(text, language, caller_id) is None


def test_a_phone_number_before_that_is_my_cell_stays_one() -> None:
    assert _number("Call me on 212 555 0134, that's my cell.") == "+12125550134"
    assert find_references("212 555 0134 is my number.", "en") == ()


def test_merged_references_keep_every_one_once() -> None:
    builtin = (Reference("invoice", "5521"), Reference("invoice", "5522"))
    llm = (Reference("invoice", "5522"), Reference("ticket", "TK-4567"))
    assert merge_references(llm, builtin) == (llm[0], llm[1], builtin[0])


_REGIONS = {"en": "US", "de": "DE", "es": "ES", "fr": "FR", "pt": "BR", "it": "IT", "zh": "CN"}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hi, my quote number is 415 555 0123, can you check it?", "en"),
        ("The job number is 646 555 0134.", "en"),
        ("The serial number is 212 555 0199.", "en"),
        ("My patient ID is 312 555 0122.", "en"),
        ("The meter reading 212 555 0143, please note it.", "en"),
        ("My policy holder number is 212 555 0143.", "en"),
        ("Meine Versichertennummer ist 030 1234 5678.", "de"),
        ("Die Zählernummer ist 030 1234 5678.", "de"),
        ("Mi número de socio es 612 345 678.", "es"),
        ("Mon numéro d'adhérent est le 01 42 68 53 00.", "fr"),
        ("O número de matrícula é 11 98765 4321.", "pt"),
        ("Il numero di tessera è 347 123 4567.", "it"),
        ("我的工号是13812345678。", "zh"),
    ],
)
def test_a_number_with_any_other_label_is_no_callback_number(text: str, language: str) -> None:
    assert triage(text, language, CallContext(region=_REGIONS[language])).callback_number is None
    assert reference_spans(text, language)


@pytest.mark.parametrize(
    ("text", "language", "want"),
    [
        ("My cell number is 415 555 0123.", "en", "+14155550123"),
        ("My mobile number is 415 555 0123.", "en", "+14155550123"),
        ("The best number is 212 555 0134.", "en", "+12125550134"),
        ("Area code 212 555 0134.", "en", "+12125550134"),
        ("Meine Handynummer ist 0171 2345678.", "de", "+491712345678"),
        ("Telefonnummer 030 1234 5678.", "de", "+493012345678"),
        ("Mi número de teléfono es 612 345 678.", "es", "+34612345678"),
        ("Mi número de móvil es 612 345 678.", "es", "+34612345678"),
        ("Mon numéro de portable est le 06 12 34 56 78.", "fr", "+33612345678"),
        ("O número do celular é 11 98765 4321.", "pt", "+5511987654321"),
        ("Il mio numero di cellulare è 347 123 4567.", "it", "+393471234567"),
        ("我的手机号是13812345678。", "zh", "+8613812345678"),
        ("我的号码是13812345678。", "zh", "+8613812345678"),
        ("Hi, it's Bob, my wife's number is 212 555 0134.", "en", "+12125550134"),
        ("My call back number is 212 555 0134.", "en", "+12125550134"),
        ("My US number is 212 555 0134.", "en", "+12125550134"),
        ("El número de mi esposo es 612 345 678.", "es", "+34612345678"),
        ("Le numéro de mon mari est le 06 12 34 56 78.", "fr", "+33612345678"),
    ],
)
def test_a_number_labelled_with_a_phone_word_stays_the_callback_number(
    text: str, language: str, want: str
) -> None:
    assert triage(text, language, CallContext(region=_REGIONS[language])).callback_number == want
    assert not reference_spans(text, language)


def test_a_number_with_an_unknown_label_is_not_reported() -> None:
    """Kept from the callback number only: "bus number 4412" is no reference a caller wants looked up."""
    assert find_references("It was bus number 4412 this morning.", "en") == ()
