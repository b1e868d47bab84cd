from voice.summary import find_callback_number, spoken_digits_to_numbers, summarise


def test_english_voicemail_fields() -> None:
    text = (
        "Hi, this is Maria Lopez from Acme Plumbing. I'm calling about invoice 4471. "
        "Please call me back at two one two, five five five, oh one three four before Friday."
    )
    s = summarise(text, "en", default_region="US")
    assert s.caller_name == "Maria Lopez"
    assert s.callback_number == "+12125550134"
    assert s.request and "invoice 4471" in s.request
    assert s.text.startswith("Maria Lopez:") and "+12125550134" in s.text
    assert len(s.text.split()) <= 40


def test_spoken_digits() -> None:
    assert "2125550134" in spoken_digits_to_numbers("two one two five five five oh one three four")
    assert "5566" in spoken_digits_to_numbers("double five six six")


def test_non_english_numbers_use_region_from_caller_id() -> None:
    assert (
        summarise("Hola, me llamo Carlos. Llámame al 612 345 678.", "es").callback_number == "+34612345678"
        or find_callback_number("Llámame al 612 345 678", "es", "US", "+34910000000") == "+34612345678"
    )
    assert find_callback_number("Llámame al 612 345 678", "es", "US", "+34910000000") == "+34612345678"
    assert (
        find_callback_number(
            "Rufen Sie mich an: null eins sieben eins, eins zwei drei vier fünf sechs sieben",
            "de",
            "DE",
            None,
        )
        == "+491711234567"
    )


def test_empty_and_titles() -> None:
    assert summarise("").text == "No message."
    s = summarise("Mr. Quilter is the apostle of the middle classes.")
    assert s.request == "Mr. Quilter is the apostle of the middle classes."
