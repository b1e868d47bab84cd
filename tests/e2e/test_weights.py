import json

import numpy as np
import pytest

from voice.core.transcription_settings import TranscriptionSettings
from voice.transcription.convert import read_ctranslate2, to_openai_state
from voice.transcription.weights import PACKAGED, ModelNotFound, resolve_model, sha256_of

pytestmark = pytest.mark.e2e


def test_packaged_models_assemble_and_match_sha(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = TranscriptionSettings(cache_dir=tmp_path)
    for name in ("tiny.en", "base"):
        path = resolve_model(name, settings)
        assert path == tmp_path / name
        assert sha256_of(path / "model.bin") == PACKAGED[name].sha256
        assert (path / "tokenizer.json").exists() and (path / "config.json").exists()
    mtime = (tmp_path / "base" / "model.bin").stat().st_mtime
    resolve_model("base", settings)  # reused, not rebuilt
    assert (tmp_path / "base" / "model.bin").stat().st_mtime == mtime


def test_configured_path_wins_and_unknown_model_fails_fast(tmp_path) -> None:  # type: ignore[no-untyped-def]
    tiny = resolve_model("tiny.en", TranscriptionSettings(cache_dir=tmp_path))
    settings = TranscriptionSettings(cache_dir=tmp_path, model_paths={"small": tiny}, allow_download=False)
    assert resolve_model("small", settings) == tiny
    with pytest.raises(ModelNotFound, match="downloads are disabled"):
        resolve_model("medium", settings)


def test_converter_maps_every_openai_whisper_parameter(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import whisper

    path = resolve_model("base", TranscriptionSettings(cache_dir=tmp_path))
    dims, state = to_openai_state(
        read_ctranslate2(path / "model.bin"), json.loads((path / "config.json").read_text())
    )
    assert dims["n_audio_layer"] == 6 and dims["n_audio_head"] == 8 and dims["n_vocab"] == 51865
    model = whisper.model.Whisper(whisper.model.ModelDimensions(**dims))
    expected = model.state_dict()
    assert set(expected) == set(state)
    for key, tensor in expected.items():
        assert tuple(tensor.shape) == state[key].shape, key
        assert state[key].dtype == np.float32
