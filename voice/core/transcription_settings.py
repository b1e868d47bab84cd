"""The transcription section of the settings (engine, model, decoding, expected languages); part of
voice.core.config's Settings, in a module of its own for size."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import NoDecode

from voice.core.languages import known_languages, split_languages


class TranscriptionSettings(BaseModel):
    """The Whisper engine and model, and where its weights come from."""

    engine: Literal["faster-whisper", "openai-whisper"] = Field(
        "faster-whisper",
        description="faster-whisper, or openai-whisper on weights converted from the same model.",
    )
    model: str = Field(
        "base", description="`tiny.en` and `base` are packaged; others via model_paths or allow_download."
    )
    # Explicit model folders by name, e.g. {"base": "/models/base"}; they win over packaged weights.
    model_paths: dict[str, Path] = Field(default_factory=dict)
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="`auto` uses CUDA when CTranslate2 sees a device, else the CPU."
    )
    compute_type: str = "default"  # int8 on CPU, float16 on CUDA
    cpu_threads: int = Field(
        0,
        ge=0,
        description="Threads per transcription; 0: the CPU's cores shared out among `parallel` "
        "transcriptions (faster-whisper), torch's default (openai-whisper).",
    )
    # int8 barely uses a second thread: on the bench's short set (base, 2 cores) two one-thread transcriptions
    # side by side took 24.4 s end to end against 52.1 s for one transcription at a time, the same words, and
    # one thread was also quicker alone here (a 28 s voicemail: 2.4 s against 2.9 s with two threads; on
    # 2026-12-02's AMD EPYC it was slower: bench/README.md, Levers).
    parallel: int = Field(
        2,
        ge=1,
        description="Transcriptions one loaded model runs side by side (faster-whisper's num_workers: one "
        "set of weights); `voice serve`'s worker threads and `voice transcribe` use this.",
    )
    beam_size: int = Field(5, description="Beam search width.")
    # A window encoded at its full 30 s (under 4 s of speech, or 25 s and more) holds ~36 MB of
    # cross-attention keys and values per beam: with 5, such a transcription took `voice serve` to 526 MB
    # (bench/README.md).
    full_window_beam_size: int = Field(
        4,
        ge=0,
        description="Beam width for audio whose first window is encoded at its full 30 s (the transcriptions "
        "that need the most memory); 0: the same as `beam_size`. Never wider than `beam_size`. Not for the "
        "batched pipeline (`batch_size`, GPU), which decodes every chunk with `beam_size`.",
    )
    # Chosen on the bench's short set (model base, int8): against the full window, 5 s took the dev split's
    # transcription from 59.5 to 28.4 s at WER 22.5 (full: 23.2) and the held-out split's from 46.4 to 23.5 s
    # at 14.0 (15.0); 2 s looped on noisy mobile audio (dev mobile WER 35.6 against 27.9). Speech under 4 s
    # keeps the full window (engines/window.py), and no timestamp lands after the speech.
    window_padding_s: float = Field(
        5.0,
        ge=0,
        le=30,
        description="Seconds of Whisper's silent padding encoded after a short window's audio "
        "(faster-whisper's unbatched decoding); 30: the full 30 s window, as Whisper was trained.",
    )
    # The adaptive beam: a greedy pass first (beam 1, temperature 0), kept when every segment looks sure,
    # else decoded again with `beam_size` on the same encoding. Off: on the short-voicemail set's dev split
    # (bench/levers.py, base, int8, one thread) the best thresholds (-0.4, 2.0) re-decoded 11 of 27 files and
    # took 0.95x beam 5's time at WER 23.4% against 23.2% (landline 20.1 vs 19.8, other languages 35.2 vs
    # 34.0); held-out split: 0.95x at 15.4% against 15.0%. With the short window (window_padding_s) it is
    # slower as well: 1.17x beam 5's time at 23.6% (greedy loops fall back to temperature sampling).
    adaptive_beam: bool = Field(
        False, description="Greedy first; beam search (`beam_size`) only when the greedy pass looks unsure."
    )
    adaptive_logprob: float = Field(
        -0.4,
        le=0,
        description="Adaptive beam: a segment whose mean token log-probability is under this is unsure.",
    )
    adaptive_compression: float = Field(
        2.0, gt=0, description="Adaptive beam: a segment whose text compresses more than this is unsure."
    )
    # faster-whisper's batched pipeline: a long recording's 30 s chunks decoded as one batch. -1: 8 on CUDA,
    # off on CPU (a voicemail is mostly one chunk, and on CPU a batch costs what its chunks cost one by one).
    batch_size: int = -1
    language: str | None = Field(
        None,
        description="One language code (e.g. `en`) forced for every voicemail; unset: see `languages`.",
    )
    # NoDecode: VOICE_TRANSCRIPTION__LANGUAGES=en,de works as well as the JSON form.
    languages: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description='Languages callers are expected to speak, e.g. `en,de` or `["en", "de"]`: detection '
        "chooses the most probable of them; one is forced; empty: full detection (with `fallback_language`).",
    )
    mailbox_languages: dict[str, list[str]] = Field(
        default_factory=dict,
        description='Expected languages per mailbox, e.g. `{"support-de": ["de", "en"]}`; they win '
        "over `language` and `languages`, and a voicemail's own language field wins over them.",
    )
    fallback_language: str = Field(
        "en",
        description="With no expected languages: the retry when the detected language keeps no words.",
    )
    # Chosen on 326 real clips made phone-like (8 kHz mu-law, 2-4 s cuts, pink noise; model base): with en
    # and de expected, en/de clips were taken in the right language 221 times of 226 (full detection: 217),
    # fr/es/pt callers kept their own 70 times of 100 (full detection: 84). Higher `language_likely` trades
    # expected callers for unexpected ones.
    language_likely: float = Field(
        0.05, ge=0, description="An expected language this probable (0 to 1) is taken over any other."
    )
    language_confident: float = Field(
        0.5,
        ge=0,
        description="A language nobody expected is taken this probable, when no expected one is likely; "
        "over 1: never.",
    )

    @field_validator("language", "fallback_language", mode="before")
    @classmethod
    def _one_language(cls, value: str | None) -> str | None:
        langs = known_languages(value)
        if len(langs) > 1:
            raise ValueError("one language code here; name several in `languages`")
        return langs[0] if langs else None

    @field_validator("languages", mode="before")
    @classmethod
    def _languages(cls, value: str | Sequence[str] | None) -> list[str]:
        return list(known_languages(value))

    @field_validator("mailbox_languages", mode="before")
    @classmethod
    def _mailbox_languages(cls, value: dict[str, str | Sequence[str]]) -> dict[str, list[str]]:
        return {mailbox: list(known_languages(langs)) for mailbox, langs in dict(value or {}).items()}

    @model_validator(mode="after")
    def _forced_or_expected(self) -> Self:
        if self.language and self.languages:
            raise ValueError("set transcription.language (forced) or transcription.languages, not both")
        return self

    def languages_for(self, mailbox: str | None, given: str | Sequence[str] | None = None) -> tuple[str, ...]:
        """The languages a voicemail is expected in: its own (``given``), else its mailbox's, else these
        settings'; empty: detect. One language is forced."""
        return (
            split_languages(given)
            or tuple(self.mailbox_languages.get(mailbox or "", ()))
            or ((self.language,) if self.language else tuple(self.languages))
        )

    # Where packaged weights are assembled (and converted for openai-whisper); shared by all data dirs.
    cache_dir: Path = Path.home() / ".cache" / "voice" / "models"
    # Last resort for names with no path and no package: a normal hub download (needs internet).
    allow_download: bool = True
