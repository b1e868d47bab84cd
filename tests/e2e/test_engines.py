"""Both engines on the same packaged weights give the same words."""

from __future__ import annotations

import pytest
from faster_whisper import WhisperModel

from tests.support.audio import concat_clips
from tests.support.speech import clip_path, reference, wer
from voice.audio.normalise import normalise
from voice.audio.speech_detection import detect_speech, speech_only
from voice.core.config import Settings
from voice.transcription.engines import get_engine
from voice.transcription.engines.faster_whisper_engine import FasterWhisperEngine
from voice.transcription.transcribe import transcribe

pytestmark = pytest.mark.e2e

CLIPS = ["en_jfk_inaugural", "en_ls_1272-128104-0000", "en_arctic_aew_a0001"]


@pytest.mark.parametrize("clip", CLIPS)
def test_engines_agree(clip: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path)
    audio = normalise(clip_path(clip), tmp_path / "n.wav", settings.audio)
    activity, samples = detect_speech(audio.path, settings.audio)
    speech = speech_only(samples, activity, 16000, settings.audio.speech_level_dbfs)  # as the pipeline does
    texts = {}
    # One beam for both: faster-whisper narrows it for a full window (full_window_beam_size): this clip. And
    # float32 for both: int8's words move with the CPU's kernels (on an AMD Zen 5 this clip's "fill up" was
    # "Philip"), which says nothing about the weights being the same; int8's accuracy is the benchmark's.
    same_beam = settings.transcription.model_copy(
        update={"full_window_beam_size": 0, "compute_type": "float32"}
    )
    for engine in ("faster-whisper", "openai-whisper"):
        result = transcribe(get_engine(same_beam, model="tiny.en", engine=engine), speech)
        texts[engine] = result.text
        assert result.language == "en" and result.engine == engine and result.model == "tiny.en"
        assert wer(reference(clip), result.text) <= 0.3, (engine, result.text)
    assert wer(texts["faster-whisper"], texts["openai-whisper"]) < 0.05, texts


@pytest.mark.parametrize(("clip", "language"), [("de_fleurs_004", "de"), ("en_jfk_inaugural", "en")])
def test_language_detection_reuses_the_first_window(clip: str, language: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """With no language hint, the window is encoded once (faster-whisper alone encodes it twice), and
    the words are the ones faster-whisper's own detect-then-decode gives."""
    settings = Settings(data_dir=tmp_path)
    audio = normalise(clip_path(clip), tmp_path / "n.wav", settings.audio)
    activity, samples = detect_speech(audio.path, settings.audio)
    speech = speech_only(samples, activity, 16000)
    engine = get_engine(settings.transcription, model="base", engine="faster-whisper")
    assert isinstance(engine, FasterWhisperEngine)

    before = engine.encodes
    ours = engine.transcribe(speech.samples, None)
    assert engine.encodes - before == 1
    assert ours.language == language and ours.language_probability > 0.5

    before = engine.encodes
    kwargs = engine.decode_kwargs(full_window=engine.full_window(speech.samples))
    segments, info = WhisperModel.transcribe(engine._model, speech.samples, **kwargs)
    theirs = "".join(s.text for s in segments)
    assert engine.encodes - before == 2
    assert info.language == language
    assert "".join(s.text for s in ours.segments) == theirs
    assert wer(reference(clip), theirs) <= 0.3, theirs

    before = engine.encodes
    hinted = engine.transcribe(speech.samples, language)  # a hint: no detection at all
    assert engine.encodes - before == 1 and hinted.segments == ours.segments


LONG = ["en_ls_198-209-0000", "en_ls_3436-172162-0000", "en_ls_5703-47212-0000"]  # about 45 s of speech


@pytest.mark.parametrize("clips", [["en_jfk_inaugural"], LONG], ids=["one-window", "three-windows"])
def test_batched_pipeline_on_cpu(clips: list[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The GPU path (faster-whisper's batched pipeline), run on CPU with the options a CUDA worker gets."""
    settings = Settings(data_dir=tmp_path)
    settings.transcription.batch_size = 8
    audio = normalise(concat_clips(clips, tmp_path / "long.wav"), tmp_path / "n.wav", settings.audio)
    activity, samples = detect_speech(audio.path, settings.audio)
    speech = speech_only(samples, activity, 16000, settings.audio.speech_level_dbfs)
    engine = FasterWhisperEngine("tiny.en", settings.transcription)
    assert engine.batch_size == 8 and engine._batched is not None
    result = transcribe(engine, speech)
    expected = " ".join(reference(c) for c in clips)
    assert wer(expected, result.text) <= 0.15, result.text
    # Segment times are on the recording's clock and in order, even across the pipeline's chunks.
    starts = [s.start for s in result.segments]
    assert starts == sorted(starts) and result.segments[-1].end <= audio.duration_s + 0.5
    assert len(result.segments) >= len(clips)


def test_batched_pipeline_is_off_on_cpu_by_default(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = FasterWhisperEngine("tiny.en", Settings(data_dir=tmp_path).transcription)
    assert engine.device == "cpu" and engine.compute_type == "int8" and engine._batched is None
