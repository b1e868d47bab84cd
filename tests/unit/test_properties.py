"""Property-based tests (hypothesis) of the text code on arbitrary Unicode: triage, redaction, number
reading and transcript clean-up never fail, and keep their promises on any input."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voice.transcription.transcribe import Segment, Transcript, _collapse_repeats
from voice.triage import callback, classify, model, redact, spoken_numbers

# Any Unicode text, plus text built from the pieces voicemails are made of (digits, number words, emails,
# punctuation), so the interesting paths are reached and not only the empty ones.
PIECES = st.sampled_from(
    ["4111 1111 1111 1111", "four one one one", "212-555-0134", "at", "dot", "com", "dana", "@", ".",
     "call me back", "urgent", "invoice", "7", "twenty", "zero", "oh", "\u200b", "١٢٣", "四", "é", " ", "\n"]
)  # fmt: skip
TEXT = st.one_of(st.text(max_size=400), st.lists(PIECES, max_size=60).map(" ".join))
LANGS = st.sampled_from(["en", "fr", "de", "es", "zh", "ar", "xx", ""])
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CARD = re.compile(r"\b(?:\d[ -]?){13,19}\b")


@SETTINGS
@given(TEXT, LANGS)
def test_triage_never_fails_and_stays_in_range(text: str, language: str) -> None:
    t = classify.triage(text, language or None)
    assert 0.0 <= (t.priority or 0.0) <= 100.0
    assert t.urgency in model.URGENCIES and t.intent in model.INTENTS
    assert t.callback_number is None or re.fullmatch(r"\+\d{7,15}", t.callback_number)
    assert isinstance(t.summary, str)


@SETTINGS
@given(TEXT, LANGS, st.booleans())
def test_redaction_is_idempotent_and_leaves_no_card_number(text: str, language: str, phones: bool) -> None:
    once, _ = redact.redact(text, language or "en", phones)
    twice, _ = redact.redact(once, language or "en", phones)
    assert twice == once
    for match in CARD.finditer(once):
        assert not redact.luhn(re.sub(r"\D", "", match.group())), (text, once)


@SETTINGS
@given(st.lists(TEXT, min_size=1, max_size=5), LANGS)
def test_redacted_transcript_keeps_its_shape(texts: list[str], language: str) -> None:
    segments = tuple(Segment(i, i + 1, t, -0.2, 0.01) for i, t in enumerate(texts))
    tr = Transcript(" ".join(texts), language or "en", 0.9, segments, 0.8, "e", "m", 0.1)
    out, kinds = redact.redact_transcript(tr, False, "US")
    assert len(out.segments) == len(segments)
    assert [(s.start, s.end) for s in out.segments] == [(s.start, s.end) for s in segments]
    assert kinds <= {"card", "ssn", "account", "email", "phone"}


@SETTINGS
@given(TEXT, LANGS)
def test_number_reading_never_fails(text: str, language: str) -> None:
    digits = spoken_numbers.numbers_as_digits(text, language or "en")
    assert isinstance(digits, str) and spoken_numbers.numbers_as_digits(digits, language or "en") == digits
    number = callback.find_callback_number(text, language or "en", "US", None)
    assert number is None or re.fullmatch(r"\+\d{7,15}", number), number


@SETTINGS
@given(TEXT)
def test_collapsing_repeats_never_lengthens(text: str) -> None:
    out = _collapse_repeats(text)
    assert len(out.split()) <= len(text.split())
    assert _collapse_repeats(out) == out  # a fixed point: nothing left to collapse
