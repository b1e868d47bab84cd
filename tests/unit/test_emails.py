"""E-mail addresses as callers say them: digits, spelled letters, domains said as words, and the words for
"at", "dot", "dash" and "underscore" in every language triage knows."""

from __future__ import annotations

import pytest

from voice.triage.emails import email_spans, find_email


@pytest.mark.parametrize(
    ("said", "address"),
    [
        ("My email is ramos eighty one at gmail dot com, thanks.", "ramos81@gmail.com"),
        ("it's j smith two thousand at outlook dot com", "jsmith2000@outlook.com"),
        ("email me on ramos eighty-one at gmail dot com", "ramos81@gmail.com"),
        ("that's ramos eight one at gmail dot com", "ramos81@gmail.com"),
        ("write to ramos 81 at gmail dot com", "ramos81@gmail.com"),
        ("k lee nineteen eighty five at yahoo dot com", "klee1985@yahoo.com"),
        ("spelled r a m o s at gmail dot com", "ramos@gmail.com"),
        ("my address is J. Smith at acme dot com", "jsmith@acme.com"),
        ("john underscore smith at acme dot com", "john_smith@acme.com"),
        ("info dash desk at acme hyphen plumbing dot com", "info-desk@acme-plumbing.com"),
    ],
)
def test_digits_letters_and_joins_in_the_local_part(said: str, address: str) -> None:
    assert find_email(said) == address


@pytest.mark.parametrize(
    ("said", "address"),
    [
        ("email accounts at northwind traders dot co dot uk please", "accounts@northwindtraders.co.uk"),
        ("send it to bookings at grand hotel dublin dot ie", "bookings@grandhoteldublin.ie"),
        ("it is office at smith dot co dot u k", "office@smith.co.uk"),
        ("maria at acme dot com dot au and call me", "maria@acme.com.au"),
        ("dana at example.com", "dana@example.com"),
        ("dana at example dot com. Thanks, bye", "dana@example.com"),
    ],
)
def test_domains_said_as_words(said: str, address: str) -> None:
    assert find_email(said) == address


@pytest.mark.parametrize(
    ("said", "language", "address"),
    [
        ("Mi correo es carlos punto garcia arroba gmail punto com.", "es", "carlos.garcia@gmail.com"),
        (
            "escribe a ana guion bajo ruiz ochenta y uno arroba hotmail punto es",
            "es",
            "ana_ruiz81@hotmail.es",
        ),
        ("mon adresse c'est jean point dupont arobase orange point fr", "fr", "jean.dupont@orange.fr"),
        ("écrivez à marie trait d'union claire arobase free point fr", "fr", "marie-claire@free.fr"),
        ("Meine E-Mail ist hans punkt mueller at gmx punkt de", "de", "hans.mueller@gmx.de"),
        ("schreiben Sie an k schmidt zweiundvierzig ät web Punkt de", "de", "kschmidt42@web.de"),
        ("hans Bindestrich peter at firma punkt de", "de", "hans-peter@firma.de"),
        ("meu e-mail é joao ponto silva arroba gmail ponto com ponto br", "pt", "joao.silva@gmail.com.br"),
        ("ana hífen paula arroba uol ponto com ponto br", "pt", "ana-paula@uol.com.br"),
        ("la mia email è marco punto rossi chiocciola libero punto it", "it", "marco.rossi@libero.it"),
        ("scrivi a luca trattino basso bianchi chiocciola tiscali punto it", "it", "luca_bianchi@tiscali.it"),
        ("我的邮箱是wangli88艾特qq点com，谢谢", "zh", "wangli88@qq.com"),
        ("我的邮箱是 zhangwei at 163 dot com", "zh", "zhangwei@163.com"),
        ("邮箱是一二三四五六艾特qq点com", "zh", "123456@qq.com"),
        ("my email is carlos@ejemplo.es.", "es", "carlos@ejemplo.es"),
    ],
)
def test_every_language_triage_knows(said: str, language: str, address: str) -> None:
    assert find_email(said, language) == address
    assert find_email(said) == address  # the words are not guessed from the language alone


@pytest.mark.parametrize(
    "said",
    [
        "You can reach me at five five five, oh one three four.",
        "I'm at the office until five, call me at 212 555 0134.",
        "I'll be at home all day, at this point I just need someone to come.",
        "Meet me at the hospital dot",
        "Please call me at three o'clock, at the latest at four.",
        "Llámame a las tres, estoy en la oficina, punto.",
        "我下午三点在公司。",
        "Ich bin ab acht Uhr im Büro, Punkt.",
    ],
)
def test_no_address_where_none_was_said(said: str) -> None:
    assert find_email(said) is None


def test_spans_cover_the_words_for_redaction() -> None:
    text = "write to john dot smith at acme dot com or jane@acme.com"
    spans = sorted(email_spans(text))
    assert [(text[s:e], a) for s, e, a in spans] == [
        ("john dot smith at acme dot com", "john.smith@acme.com"),
        ("jane@acme.com", "jane@acme.com"),
    ]
    said = "reach me at dana at example.com"
    assert [(said[s:e], a) for s, e, a in email_spans(said)] == [("dana at example.com", "dana@example.com")]


@pytest.mark.parametrize(
    ("said", "address"),
    [
        ("My email is R-A-M-O-S at gmail dot com.", "ramos@gmail.com"),
        ("邮箱是 li dot na at qq dot com", "li.na@qq.com"),  # "na" is a word in Portuguese, not here
        ("la dirección es maría punto lópez arroba correo punto es", "maria.lopez@correo.es"),
        ("Meine E-Mail ist jürgen punkt müller at gmx punkt de", "juergen.mueller@gmx.de"),
        ("email: j-smith at acme dot com", "j-smith@acme.com"),
    ],
)
def test_spelling_and_accents_as_an_address_is_written(said: str, address: str) -> None:
    assert find_email(said) == address


@pytest.mark.parametrize(
    "said",
    [
        "I placed an order at Amazon dot com last week",
        "I booked the room at Expedia dot com.",
        "I paid at PayPal dot com",
        "I ordered online at Walmart.com",
        "I saw your ad at Craigslist dot org",
    ],
)
def test_a_website_said_after_at_is_no_address(said: str) -> None:
    assert find_email(said) is None


@pytest.mark.parametrize(
    ("said", "address"),
    [
        ("Hi, my e-mail address is dana at example dot com.", "dana@example.com"),
        ("please contact sales at acme dot com", "sales@acme.com"),
        ("Send the contract over to tom at brennan build dot co dot uk", "tom@brennanbuild.co.uk"),
        ("it's dana at example dot com", "dana@example.com"),
        ("Meine E-Mail: mueller at web punkt de", "mueller@web.de"),
        ("I ordered online, my address is order5 at walmart dot com", "order5@walmart.com"),
        ("I paid at paypal, mail me at paid dot up at paypal dot com", "paid.up@paypal.com"),
    ],
)
def test_a_one_word_local_part_after_a_word_for_email(said: str, address: str) -> None:
    assert find_email(said) == address


def test_number_words_in_an_address_said_in_a_language_without_number_words() -> None:
    # A Mandarin voicemail with an English address: this raised "unsupported language zh" and failed triage.
    assert find_email("我的邮箱是 john twenty one at gmail dot com", "zh") == "john21@gmail.com"
