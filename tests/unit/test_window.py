"""voice.transcription.engines.window: a short window is encoded with some of its padding, not 30 s."""

from __future__ import annotations

import numpy as np
import pytest

from voice.transcription.engines.window import trim_padding


def _window(content_frames: int, total: int = 3000) -> np.ndarray:
    rng = np.random.default_rng(0)
    features = np.zeros((80, total), dtype=np.float32)
    features[:, :content_frames] = rng.normal(size=(80, content_frames)).astype(np.float32)
    return features


@pytest.mark.parametrize(
    ("content", "padding", "kept"), [(600, 500, 1100), (601, 500, 1102), (2800, 500, 3000)]
)
def test_keeps_the_audio_and_some_of_the_padding(content: int, padding: int, kept: int) -> None:
    features = _window(content)
    out = trim_padding(features, padding)
    assert out.shape == (80, kept)
    assert np.array_equal(out[:, :content], features[:, :content])  # every frame of the audio kept
    assert not out[:, content:].any()  # and only padding after it


def test_a_full_window_and_a_batch_are_left_alone() -> None:
    full = _window(3000)
    assert trim_padding(full, 500) is full
    batch = np.stack([_window(600), _window(900)])
    assert trim_padding(batch, 500) is batch  # the batched pipeline's windows keep their 30 s


def test_a_quiet_frame_inside_the_audio_does_not_end_it() -> None:
    features = _window(900)
    features[:, 300:310] = 0.0  # digital silence mid-message is not padding
    assert trim_padding(features, 100).shape[-1] == 1000
