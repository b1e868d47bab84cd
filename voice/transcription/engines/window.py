"""Whisper's 30 s window on a short voicemail: encode what was said and a few seconds after it, not 30 s.

faster-whisper cuts each window to 30 s and pads a shorter one with zero columns; the encoder then spends most
of a 6 s voicemail's time on padding (on these CPUs it is over half of all transcription time). CTranslate2's
encoder takes a shorter input, and the decoder attends only to what is there. Whisper does need some of that
padding after the speech to place its final timestamp and stop (with 1-2 s it looped on noisy mobile audio in
our measurements), so a few seconds of it stay. Speech shorter than FULL_WINDOW_BELOW_FRAMES keeps the full
window: on 2-3 s noisy phone cuts the choice between two expected languages went wrong in 3 of 57 against 1
of 57 with the full window (no minimum window length between 10 and 20 s did better), and the saving on so
little speech is small. Figures: bench/README.md, "Levers".
"""

from __future__ import annotations

import numpy as np

FULL_WINDOW_BELOW_FRAMES = 400  # 4 s of speech (100 feature frames a second)


def trim_padding(
    features: np.ndarray, padding_frames: int, full_below: int = FULL_WINDOW_BELOW_FRAMES
) -> np.ndarray:
    """``features`` (mels x frames, one window) without its zero padding beyond ``padding_frames`` columns.

    A window with no padding (30 s of audio), or with under ``full_below`` frames of audio, comes back as it
    is. The length is kept even: the encoder's first convolution halves it.
    """
    if features.ndim != 2:
        return features
    sound = np.flatnonzero(np.any(features != 0.0, axis=0))
    content = int(sound[-1]) + 1 if sound.size else 0
    keep = kept_frames(content, padding_frames, features.shape[-1], full_below)
    return features if keep >= features.shape[-1] else features[:, :keep]


def kept_frames(
    content: int, padding_frames: int, window: int = 3000, full_below: int = FULL_WINDOW_BELOW_FRAMES
) -> int:
    """How many of a ``window``-frame window's columns are encoded when ``content`` of them are audio."""
    if content < full_below:
        return window
    keep = min(window, content + padding_frames)
    return min(window, keep + keep % 2)
