"""Issue 19, item 1: callback numbers are valid or absent, corrections win, references are found in every
language triage knows and are never read as phone numbers, national numbers keep their area code, and the
region a number is read in follows what was said."""

from __future__ import annotations

import phonenumbers
import pytest

from voice.core.phone import is_callable
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


# -- every number returned is valid for the region it was read in ------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "caller_id"),
    [
        ("Call me back on five five five one two three four, thanks.", "en", None),
        ("My number is 12345678.", "en", "+12125550100"),
        ("Llámame al 12 34 56, gracias.", "es", "+34910000000"),
        ("Rufen Sie mich unter 1234 5678 an.", "de", "+4930123456"),
        ("Rappelez-moi au 01 23 45.", "fr", "+33142000000"),
    ],
)
def test_a_number_not_valid_anywhere_is_not_returned(text: str, language: str, caller_id: str | None) -> None:
    assert _number(text, language, caller_id) is None


@pytest.mark.parametrize(
    ("text", "language", "caller_id", "want"),
    [
        ("Call me at 212 555 0134.", "en", None, "+12125550134"),  # US 555-01xx: valid in libphonenumber
        ("Ring me on 07700 900461.", "en", "+447700900123", "+447700900461"),  # Ofcom drama range
        ("Call me on 01632 960411 please.", "en", "+441632960000", "+441632960411"),
        ("Rappelez-moi au 06 39 98 12 34.", "fr", "+33142000000", "+33639981234"),  # ARCEP fiction range
    ],
)
def test_valid_and_fiction_range_numbers_are_kept(
    text: str, language: str, caller_id: str | None, want: str
) -> None:
    got = _number(text, language, caller_id)
    assert got == want and is_callable(phonenumbers.parse(got))


def test_triage_never_returns_an_invalid_number() -> None:
    for text in ("Call 1 2 3 4 5 6 7 8.", "It's 555 1234.", "Call me, 0800 12."):
        got = triage(text, "en", CallContext(region="US")).callback_number
        assert got is None or phonenumbers.is_valid_number(phonenumbers.parse(got))


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


# -- national numbers keep their area code -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "caller_id", "want"),
    [
        ("Call me back on 020 7946 0958.", "en", "+442079460000", "+442079460958"),
        (
            "Ring me on oh two oh, seven nine four six, oh nine five eight.",
            "en",
            "+442079460000",
            "+442079460958",
        ),
        ("Erreichbar unter +49 (0)30 1234567.", "de", "+4930111111", "+49301234567"),
        ("Rufen Sie mich an: (0)30 1234567.", "de", "+4930111111", "+49301234567"),
        ("Null dreißig, eins zwei drei vier fünf sechs sieben.", "de", "+4930111111", "+49301234567"),
        ("Rappelez-moi au 06 12 34 56 78.", "fr", "+33142000000", "+33612345678"),
        (
            "Rappelez-moi au zéro six, douze, trente-quatre, cinquante-six, soixante-dix-huit.",
            "fr",
            "+33142000000",
            "+33612345678",
        ),
        ("My area code is 312 and the number is 555 0161.", "en", None, "+13125550161"),
        ("It's 555 0161, area code 312.", "en", None, "+13125550161"),
        ("five five five oh one six one, with the area code three one two", "en", None, "+13125550161"),
        ("My number is 7946 0958, area code 020.", "en", "+441134960000", "+442079460958"),
        ("Die Vorwahl ist 030, dann 1234567.", "de", "+4940111111", "+49301234567"),
        (
            "Vorwahl null drei null, dann eins zwei drei vier fünf sechs sieben.",
            "de",
            "+4940111111",
            "+49301234567",
        ),
        ("El prefijo es 91 y el número 234 56 78.", "es", "+34930000000", "+34912345678"),
        ("Mi numero è 1234567, prefisso 02.", "it", "+390612345678", "+39021234567"),
        ("区号010，电话8888 6666。", "zh", "+8613912345678", "+861088886666"),
    ],
)
def test_national_numbers_keep_their_area_code(
    text: str, language: str, caller_id: str | None, want: str
) -> None:
    assert _number(text, language, caller_id) == want


@pytest.mark.parametrize(
    "text",
    ["请回电138-0013-8000，谢谢。", "我的电话是一三八零零一三八零零零。", "请打 138 0013 8000 找我。"],
)
def test_chinese_mobile_numbers(text: str) -> None:
    assert _number(text, "zh", "+8613912345678") == "+8613800138000"


# -- a correction wins over what it corrects ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "caller_id", "want"),
    [
        (
            "Call me at two one two five five five oh one four two. No, sorry, four three.",
            "en",
            None,
            "+12125550143",
        ),
        ("It's 212 555 0142, I mean 0143.", "en", None, "+12125550143"),
        (
            "Call two one two five five five oh one four two. No, sorry, forty three.",
            "en",
            None,
            "+12125550143",
        ),
        ("My number is 212 555 0142. Oh sorry, I meant 0143.", "en", None, "+12125550143"),
        ("212 555 0142, sorry, uh, four three.", "en", None, "+12125550143"),
        (
            "Meine Nummer ist 030 12345642, äh, nein, Entschuldigung, dreiundvierzig.",
            "de",
            "+4930111111",
            "+493012345643",
        ),
        ("Mi número es 612 345 678, perdón, setenta y nueve.", "es", "+34910000000", "+34612345679"),
        ("我的电话是138 0013 8000，不对，是8001。", "zh", "+8613912345678", "+8613800138001"),
        (
            "Four one five, five five five, zero one one two. No, wait, sorry, zero one one one.",
            "en",
            None,
            "+14155550111",
        ),
        ("My number is 212 555 0142 — correction, 212 555 0199.", "en", None, "+12125550199"),
        ("Call 212 555 0142, actually it's 917 555 0100, that's my cell.", "en", None, "+19175550100"),
        ("Mi número es 612 345 678, perdón, 679.", "es", "+34910000000", "+34612345679"),
        ("Mon numéro, c'est le 06 12 34 56 78, non pardon, 79.", "fr", "+33142000000", "+33612345679"),
        (
            "Meine Nummer ist 0171 1234567, nein, Entschuldigung, 0171 1234568.",
            "de",
            "+4930123456",
            "+491711234568",
        ),
        ("O meu número é 912 345 678, desculpa, 912 345 670.", "pt", "+351213000000", "+351912345670"),
        ("Il mio numero è 347 123 4567, scusi, 4568.", "it", "+390212345678", "+393471234568"),
    ],
)
def test_a_correction_wins(text: str, language: str, caller_id: str | None, want: str) -> None:
    assert _number(text, language, caller_id) == want


@pytest.mark.parametrize(
    ("text", "language", "caller_id", "want"),
    [
        ("Call me at 212 555 0142, sorry, five five six, not five five five.", "en", None, "+12125560142"),
        ("Call me at 212 555 0142. Not 555, but 556.", "en", None, "+12125560142"),
        ("Mi número es 612 345 678, perdón, no es 345 sino 346.", "es", "+34910000000", "+34612346678"),
        (
            "Mon numéro est le 01 42 68 53 00, pardon, pas 5300 mais 5400.",
            "fr",
            "+33142000000",
            "+33142685400",
        ),
    ],
)
def test_a_middle_group_corrected(text: str, language: str, caller_id: str | None, want: str) -> None:
    assert _number(text, language, caller_id) == want


def test_two_numbers_without_a_correction_keep_the_first() -> None:
    text = "Call me at 212 555 0142, or my office, 212 555 0100, sorry for the long message."
    assert _number(text) == "+12125550142"
    assert _number("Call me at 212 555 0142 at 4 pm. Sorry, 4 pm.") == "+12125550142"


# -- the region a number is read in ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "caller_id", "want"),
    [
        ("Ring me on oh seven nine one one, one two three, four five six.", "+447911000000", "+447911123456"),
        ("Ring me on 07700 900461.", "+447700900123", "+447700900461"),
        (
            "Call me on plus four four seven nine one one one two three four five six.",
            "+12125550100",
            "+447911123456",
        ),
        (
            "Call me on double oh four four seven nine one one, one two three four five six.",
            "+12125550100",
            "+447911123456",
        ),
        ("Rufen Sie an: +49 170 1234567.", "+12125550100", "+491701234567"),
        ("Call me on 0044 7911 123456.", "+12125550100", "+447911123456"),
    ],
)
def test_the_region_follows_the_caller_id_unless_a_country_code_is_said(
    text: str, caller_id: str, want: str
) -> None:
    assert _number(text, "en", caller_id) == want


def test_a_trunk_prefix_number_invalid_in_the_mailbox_region_is_read_in_the_caller_ids() -> None:
    said = "Hi, it's Tom, ring me on oh seven nine one one, one two three, four five six."
    got = find_callback_number(said, "en", "US", "+447911000000", region_fixed=True)
    assert got == "+447911123456"
    # ... but a number valid in the mailbox's region stays there.
    got = find_callback_number("Call me at 212 555 0134.", "en", "US", "+447911000000", region_fixed=True)
    assert got == "+12125550134"


# -- "call me back on this number": the caller id ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "caller_id"),
    [
        ("It's Rachel, ring me back on this number.", "en", "+447400123457"),
        ("Llámenme a este número, por favor.", "es", "+34912345678"),
        ("Rappelez-moi à ce numéro, s'il vous plaît.", "fr", "+33142345678"),
        ("Bitte rufen Sie mich unter dieser Nummer zurück.", "de", "+4922112345678"),
        ("Me liga nesse número.", "pt", "+552134567890"),
        ("Richiamatemi a questo numero.", "it", "+390612345678"),
        ("我姓刘，电话就是这个号码。", "zh", "+8613612345678"),
    ],
)
def test_this_number_is_the_caller_id(text: str, language: str, caller_id: str) -> None:
    assert _number(text, language, caller_id) == caller_id


def test_no_caller_id_without_this_number_or_when_a_number_is_said() -> None:
    assert _number("Hiya love, ring me back, ta-ra.", "en", "+447700900201") is None
    assert _number("Call me on this number: 212 555 0134.", "en", "+12125550100") == "+12125550134"
    assert _number("Call me back on this number.", "en", "+1212555") is None  # not a valid caller id
    assert _number("Wait, sorry, call me on this number.", "en", None) is None


@pytest.mark.parametrize(
    "caller_id", ["447911000000", "0044 7911 000000", "sip:+447911000000@trunk.example.net"]
)
def test_a_caller_id_written_without_the_plus_or_as_a_uri_still_gives_its_country(caller_id: str) -> None:
    assert _number("Ring me on 07911 123456.", "en", caller_id) == "+447911123456"
    assert _number("Ring me back on this number.", "en", caller_id) == "+447911000000"


@pytest.mark.parametrize(
    ("text", "language", "caller_id", "want"),
    [
        (
            "Ring me on nought seven nine one one, one two three, four five six.",
            "en",
            "+447911000000",
            "+447911123456",
        ),
        (
            "Me liga no onze, nove meia cinco quatro três, dois um zero nove.",
            "pt",
            "+5511912345678",
            "+5511965432109",
        ),
        (
            "É o um um, nove oito sete meia cinco, quatro três duas um.",
            "pt",
            "+5511912345678",
            "+5511987654321",
        ),
    ],
)
def test_local_words_for_digits(text: str, language: str, caller_id: str, want: str) -> None:
    assert _number(text, language, caller_id) == want


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


@pytest.mark.parametrize(
    ("text", "language", "want"),
    [
        (
            "Me liga no mais cinquenta e cinco, onze, nove oito sete seis cinco, quatro três dois um.",
            "pt",
            "+5511987654321",
        ),
        (
            "Llámame al más treinta y cuatro, seis uno dos, tres cuatro cinco, seis siete ocho.",
            "es",
            "+34612345678",
        ),
        (
            "Chiamami al più trentanove tre quattro sette uno due tre quattro cinque sei sette.",
            "it",
            "+393471234567",
        ),
    ],
)
def test_plus_said_in_the_callers_language(text: str, language: str, want: str) -> None:
    assert _number(text, language, "+12125550100") == want
