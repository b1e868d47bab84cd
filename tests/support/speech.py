"""The speech clips in shared/speech beside the checkout, their reference texts, and word error rate."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import jiwer
import pytest

from tests.support.paths import ROOT

SPEECH = Path(os.environ.get("VOICE_SPEECH_DIR", ROOT.parent / "shared" / "speech"))


def _manifest() -> dict[str, dict[str, str]]:
    with (SPEECH / "manifest.tsv").open() as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    header = rows[0]
    return {r[0]: dict(zip(header, r, strict=False)) | {"reference": r[-1]} for r in rows[1:]}


MANIFEST = _manifest() if (SPEECH / "manifest.tsv").exists() else {}

_NORMALISE = jiwer.Compose(
    [
        jiwer.ToLowerCase(),
        jiwer.SubstituteRegexes({r"\bet cetera\b": "etc"}),  # one word, two spellings (Whisper writes both)
        jiwer.SubstituteWords({"mister": "mr", "mr.": "mr"}),
        jiwer.RemovePunctuation(),
        jiwer.RemoveMultipleSpaces(),
        jiwer.Strip(),
        jiwer.ReduceToListOfListOfWords(),
    ]
)


def wer(reference: str, hypothesis: str) -> float:
    return float(
        jiwer.wer(reference, hypothesis, reference_transform=_NORMALISE, hypothesis_transform=_NORMALISE)
    )


def reference(clip: str) -> str:
    return MANIFEST[clip]["reference"]


def clip_path(clip: str) -> Path:
    path = SPEECH / f"{clip}.flac"
    if not path.exists():
        pytest.fail(f"speech clip {path} missing: tests need shared/speech beside the checkout")
    return path
