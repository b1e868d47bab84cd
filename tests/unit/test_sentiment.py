"""The caller's tone, which counts as an urgency reason when negative: courtesies and self-corrections are not
a bad mood."""

from __future__ import annotations

import pytest

from voice.triage.sentiment import sentiment_of


@pytest.mark.parametrize(
    "text",
    [
        "Sorry to bother you, could you call me back?",
        "I hate to bother you, but could you give me a ring?",
        "My number is 020 7946 0111, no, wait, sorry, 0112.",
        "Sorry for the inconvenience, please call me when you can.",
        "I apologise for the trouble, it's about my booking.",
    ],
)
def test_courtesies_and_corrections_are_not_a_negative_tone(text: str) -> None:
    assert sentiment_of(text, "en")[0] != "negative"


@pytest.mark.parametrize(
    "text",
    [
        "I am furious, this is the third time and nobody called me back.",
        "Sorry to bother you, but this is terrible service and I am really angry.",
        "This is awful, the heater broke again and I am fed up.",
    ],
)
def test_an_upset_caller_is_still_negative(text: str) -> None:
    assert sentiment_of(text, "en")[0] == "negative"
