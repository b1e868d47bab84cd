from voice.triage.callback import find_callback_number
from voice.triage.names import find_caller_name
from voice.triage.note import find_request
from voice.triage.spoken_numbers import spoken_digits_to_numbers


def test_english_voicemail_fields() -> None:
    text = (
        "Hi, this is Maria Lopez from Acme Plumbing. I'm calling about invoice 4471. "
        "Please call me back at two one two, five five five, oh one three four before Friday."
    )
    assert find_caller_name(text) == "Maria Lopez"
    assert find_callback_number(text, "en", "US", None) == "+12125550134"
    request = find_request(text)
    assert request and "invoice 4471" in request and len(request.split()) <= 26


def test_spoken_digits() -> None:
    assert "2125550134" in spoken_digits_to_numbers("two one two five five five oh one three four")
    assert "5566" in spoken_digits_to_numbers("double five six six")


def test_non_english_numbers_use_region_from_caller_id() -> None:
    assert find_caller_name("Hola, me llamo Carlos. Llámame al 612 345 678.") == "Carlos"
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
    assert find_request("") is None
    assert find_request("Mr. Quilter is the apostle of the middle classes.") == (
        "Mr. Quilter is the apostle of the middle classes."
    )
