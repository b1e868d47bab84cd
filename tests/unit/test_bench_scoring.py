"""bench/scoring.py: what counts as an error."""

from __future__ import annotations

import pytest

from bench.scoring import error_rate, wer_difference

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


def test_wer_difference_is_paired_and_its_interval_says_how_sure_it_is() -> None:
    ref = "please call me back about the invoice"
    same = [("en", ref, ref)] * 6
    assert wer_difference(same, same) == {"points": 0.0, "low": 0.0, "high": 0.0}
    # B misses one word of seven on every file: sure, and 1/7 of the words
    worse = [("en", ref, "please call me back about invoice")] * 6
    d = wer_difference(same, worse)
    assert d is not None and d["points"] == pytest.approx(100 / 7, abs=0.01) and d["low"] > 0
    # one file of six: a difference the files cannot tell from chance
    one = [*same[:5], ("en", ref, "please call me back about invoice")]
    d = wer_difference(same, one)
    assert d is not None and d["low"] == 0.0 < d["points"] < d["high"]
    assert wer_difference(same, one) == d  # seeded: a report repeats
    assert wer_difference(same[:2], same[:3]) is None  # not the same files
