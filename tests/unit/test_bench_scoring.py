"""bench/scoring.py: what counts as an error."""

from __future__ import annotations

import pytest

from bench.scoring import error_rate

# openai-whisper's English normaliser opens english.json without closing it (its code, not ours).
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def test_mandarin_in_either_script_is_the_same_words() -> None:
    reference = "甚至出现交易几乎停滞的情况"
    assert error_rate([("zh", reference, "甚至出現交易幾乎停滯的情況")]) == 0.0
    # one wrong character of 13 is still one
    assert error_rate([("zh", reference, "甚至出現交易幾乎成滯的情況")]) == pytest.approx(1 / 13)


def test_english_is_scored_after_whispers_normaliser() -> None:
    assert error_rate([("en", "Call me at five o'clock.", "call me at 5 o'clock")]) == 0.0
    assert error_rate([("en", "call me back", "call him back")]) == pytest.approx(1 / 3)
