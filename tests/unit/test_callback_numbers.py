"""Issue 19, item 1: callback numbers are valid or absent, corrections win, national numbers keep their area
code, and the region a number is read in follows what was said."""

from __future__ import annotations

import phonenumbers
import pytest

from voice.core.phone import is_callable
from voice.triage.callback import find_callback_number
from voice.triage.classify import triage
from voice.triage.model import CallContext


def _number(text: str, language: str = "en", caller_id: str | None = None, region: str = "US") -> str | None:
    return find_callback_number(text, language, region, caller_id)


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


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Call 1 2 3 4 5 6 7 8.", None),
        ("It's 555 1234.", None),
        ("Call me, 0800 12.", None),
        ("Call me at 212 555 0134.", "+12125550134"),
        ("My cell is 415 555 0123, thanks.", "+14155550123"),
    ],
)
def test_triage_never_returns_an_invalid_number(text: str, want: str | None) -> None:
    got = triage(text, "en", CallContext(region="US")).callback_number
    assert got == want
    assert got is None or phonenumbers.is_valid_number(phonenumbers.parse(got))


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
