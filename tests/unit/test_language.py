"""Choosing the language a voicemail is transcribed in (issue 19, item 4): a pure function over Whisper's
probability per language, the settings that name expected languages, and the retry that keeps real
speech from ending as no speech. No model is loaded here."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from voice.audio.speech_detection import SpeechAudio
from voice.core.languages import WHISPER_LANGUAGES, known_languages, split_languages
from voice.core.transcription_settings import TranscriptionSettings
from voice.transcription.engines import DecodeOptions, LanguageDetector, RawSegment, RawTranscription
from voice.transcription.language import LanguageGuard, choose_language
from voice.transcription.transcribe import transcribe

# Whisper base's top languages for real clips made 8 kHz mu-law, cut short and noised (measured for
# issue 19; the rest of the 100 languages share what is left).
DE_SHORT_NOISY = {"hi": 0.242, "ar": 0.129, "ur": 0.107, "de": 0.107, "tr": 0.07, "en": 0.036}
EN_SHORT_NOISY = {"es": 0.229, "el": 0.164, "pt": 0.119, "ro": 0.095, "en": 0.041, "de": 0.01}
DE_AS_ENGLISH = {"en": 0.485, "nn": 0.137, "de": 0.079, "cy": 0.054}
FR_CALLER = {"fr": 0.91, "en": 0.038, "nn": 0.008, "de": 0.004}
EN_AS_WELSH = {"cy": 0.31, "en": 0.29, "la": 0.12, "de": 0.02}


def test_one_language_is_forced_whatever_the_audio_says() -> None:
    choice = choose_language(FR_CALLER, ["de"])
    assert (choice.language, choice.probability, choice.how, choice.retries) == ("de", 1.0, "forced", ())


def test_the_most_probable_expected_language_wins_over_a_likelier_unexpected_one() -> None:
    choice = choose_language(DE_SHORT_NOISY, ["en", "de"])
    assert (choice.language, choice.how, choice.retries) == ("de", "allowed", ("en",))
    assert choice.probability == pytest.approx(0.107)
    assert choose_language(EN_AS_WELSH, ["en", "de"]).language == "en"


def test_a_top_language_that_is_expected_is_taken_even_when_uncertain() -> None:
    assert choose_language(DE_AS_ENGLISH, ["de", "en"]).language == "en"


def test_an_unexpected_caller_keeps_their_language_when_none_expected_is_likely() -> None:
    choice = choose_language(FR_CALLER, ["en", "de"])
    assert (choice.language, choice.how) == ("fr", "outside")
    assert choice.retries == ("en", "de")  # if French gives no words, the expected ones are tried


def test_uncertain_detection_falls_to_the_most_likely_expected_language() -> None:
    # en 0.041 is under `likely`, and es 0.229 is far from confident: the mailbox's languages decide.
    choice = choose_language(EN_SHORT_NOISY, ["de", "en"])
    assert (choice.language, choice.how, choice.retries) == ("en", "uncertain", ("de",))


def test_thresholds_move_the_choice() -> None:
    strict = LanguageGuard(likely=0.2, confident=0.2)
    assert choose_language(DE_SHORT_NOISY, ["en", "de"], strict).language == "hi"
    assert choose_language(DE_SHORT_NOISY, ["en", "de"], LanguageGuard(likely=0.2)).language == "de"


def test_no_expected_languages_take_the_top_one_with_a_fallback_retry() -> None:
    choice = choose_language(EN_AS_WELSH, [])
    assert (choice.language, choice.how, choice.retries) == ("cy", "uncertain", ("en",))
    sure = choose_language(FR_CALLER, [], LanguageGuard(fallback="de"))
    assert (sure.language, sure.how, sure.retries) == ("fr", "detected", ("de",))
    # When the top language is the fallback, the retry is the next most probable.
    assert choose_language(DE_AS_ENGLISH, []).retries == ("nn",)


def test_no_probabilities_at_all() -> None:
    assert choose_language({}, [], LanguageGuard(fallback="de")).language == "de"
    assert choose_language({}, ["pt", "es"]).language == "pt"


def test_language_lists_are_split_and_checked() -> None:
    assert split_languages(" EN, de,,en ") == ("en", "de")
    assert split_languages(["fr", " Es"]) == ("fr", "es")
    assert split_languages(None) == () and split_languages("") == ()
    assert known_languages("en,yue,haw") == ("en", "yue", "haw")
    with pytest.raises(ValueError, match="'english'"):
        known_languages("en,english")


@pytest.mark.parametrize("raw", ["en,de", " en , de ", '["en", "de"]'])
def test_the_environment_names_languages_joined_by_commas_or_in_json(
    raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voice.core.config import Settings

    monkeypatch.setenv("VOICE_TRANSCRIPTION__LANGUAGES", raw)
    assert Settings().transcription.languages == ["en", "de"]
    monkeypatch.setenv("VOICE_TRANSCRIPTION__LANGUAGES", "en,xx")
    with pytest.raises(ValidationError, match="'xx' is not a language code Whisper knows"):
        Settings()


def test_whisper_languages_match_the_engines() -> None:
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    assert frozenset(_LANGUAGE_CODES) == WHISPER_LANGUAGES


def test_settings_say_which_languages_a_voicemail_is_expected_in() -> None:
    t = TranscriptionSettings(
        languages="en, DE", mailbox_languages={"ventas": "es,en", "kundendienst": ["de"]}
    )
    assert t.languages == ["en", "de"] and t.mailbox_languages["ventas"] == ["es", "en"]
    assert t.languages_for("ventas") == ("es", "en")
    assert t.languages_for("kundendienst") == ("de",)
    assert t.languages_for("other") == ("en", "de") == t.languages_for(None)
    assert t.languages_for("ventas", "pt") == ("pt",)  # the voicemail's own wins
    assert TranscriptionSettings(language="FR").languages_for(None) == ("fr",)
    assert TranscriptionSettings().languages_for("x") == ()
    guard = LanguageGuard.from_settings(TranscriptionSettings(fallback_language="de", language_likely=0.1))
    assert guard == LanguageGuard("de", 0.1, 0.5)


@pytest.mark.parametrize(
    "fields",
    [
        {"languages": ["en", "klingon"]},
        {"mailbox_languages": {"x": ["xx"]}},
        {"language": "en,de"},
        {"language": "en", "languages": ["de", "fr"]},
        {"fallback_language": "english"},
        {"language_likely": -0.1},
    ],
)
def test_settings_refuse_what_whisper_cannot_do(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        TranscriptionSettings(**fields)


class _Detector:
    """An engine whose decode keeps words only in ``speaks``: a wrong language gives nothing."""

    name = "faster-whisper"
    model = "stand-in"
    multilingual = True

    def __init__(self, probs: dict[str, float], speaks: str) -> None:
        self.probs, self.speaks, self.decoded = probs, speaks, []  # type: ignore[var-annotated]

    def detect_languages(self, audio: np.ndarray) -> dict[str, float]:
        return self.probs

    def transcribe(
        self, audio: np.ndarray, language: str | None, options: DecodeOptions | None = None
    ) -> RawTranscription:
        self.decoded.append(language)
        text = "Hallo, hier ist Frau Berg." if language == self.speaks else ""
        segment = RawSegment(0.0, 2.0, text, avg_logprob=-0.3, no_speech_prob=0.1, compression_ratio=1.1)
        return RawTranscription((segment,), language or "en", 1.0)


AUDIO = SpeechAudio(np.zeros(32000, dtype=np.float32), (), 16000)


def test_expected_languages_pick_the_decode_language() -> None:
    engine = _Detector(DE_SHORT_NOISY, speaks="de")
    assert isinstance(engine, LanguageDetector)
    result = transcribe(engine, AUDIO, "en,de")
    assert engine.decoded == ["de"]
    assert (result.language, result.language_probability, result.text) == (
        "de",
        0.107,
        "Hallo, hier ist Frau Berg.",
    )


def test_a_decode_with_no_words_is_retried_rather_than_ending_as_no_speech() -> None:
    engine = _Detector(EN_AS_WELSH, speaks="en")
    result = transcribe(engine, AUDIO, None)
    assert engine.decoded == ["cy", "en"] and result.language == "en" and result.text
    assert result.language_probability == 0.29

    engine = _Detector(DE_AS_ENGLISH, speaks="de")
    assert transcribe(engine, AUDIO, ["en", "de"]).language == "de" and engine.decoded == ["en", "de"]


def test_a_forced_language_is_not_detected_nor_retried() -> None:
    engine = _Detector(EN_AS_WELSH, speaks="en")
    result = transcribe(engine, AUDIO, "cy")
    assert engine.decoded == ["cy"] and result.text == ""


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_migration_0013_widens_the_language_hint_and_back(dialect: str, tmp_path: Path) -> None:
    """A hint of eight languages fits after 0013; the downgrade takes lists back to no hint (the code
    before reads one code), keeps single codes, and on SQLite the table copy loses no child rows."""
    from sqlalchemy import create_engine, text

    from tests.support.services import temp_postgres
    from voice.storage import db

    with contextlib.ExitStack() as stack:
        url = (
            stack.enter_context(temp_postgres("voice_m0013"))
            if dialect == "postgresql"
            else f"sqlite:///{tmp_path / 'voice.db'}"
        )
        db.upgrade(url, "0012")
        engine = create_engine(url)
        stack.callback(engine.dispose)
        now = "2026-12-02 09:00:00"
        insert_vm = (
            "INSERT INTO voicemails (id, call_id, status, source_info, attempts, language_hint, agent_state, "
            "created_at, updated_at) VALUES (:v, 'c1', 'done', '{}', 0, :hint, 'new', :t, :t)"
        )
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO call_records (id, source, owner, metadata, created_at) "
                    "VALUES ('c1', 'api', '', '{}', :t)"
                ),
                {"t": now},
            )
            conn.execute(text(insert_vm), {"v": "v1", "hint": "fr", "t": now})
            conn.execute(
                text("INSERT INTO voicemail_events (voicemail_id, status, at) VALUES ('v1', 'done', :t)"),
                {"t": now},
            )
        db.upgrade(url)
        many = "en,de,fr,es,pt,it,nl,yue"
        with engine.begin() as conn:
            conn.execute(text(insert_vm), {"v": "v2", "hint": many, "t": now})
            hints = dict(conn.execute(text("SELECT id, language_hint FROM voicemails")).all())
            events = conn.execute(text("SELECT COUNT(*) FROM voicemail_events")).scalar()
        assert hints == {"v1": "fr", "v2": many} and events == 1
        db.downgrade(url, "0012")
        with engine.connect() as conn:
            hints = dict(conn.execute(text("SELECT id, language_hint FROM voicemails")).all())
            events = conn.execute(text("SELECT COUNT(*) FROM voicemail_events")).scalar()
        assert hints == {"v1": "fr", "v2": None} and events == 1
