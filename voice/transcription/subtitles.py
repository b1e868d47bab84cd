"""Subtitle formats: a transcript's segments as SRT or WebVTT cues."""

from __future__ import annotations

from voice.transcription.transcribe import Segment


def _stamp(seconds: float, sep: str) -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def subtitles(segments: tuple[Segment, ...], kind: str) -> str:
    """SRT or WebVTT cues, one per segment."""
    sep = "," if kind == "srt" else "."
    blocks = []
    for i, seg in enumerate(segments, 1):
        timing = f"{_stamp(seg.start, sep)} --> {_stamp(seg.end, sep)}"
        blocks.append(f"{i}\n{timing}\n{seg.text}" if kind == "srt" else f"{timing}\n{seg.text}")
    body = "\n\n".join(blocks)
    return (body + "\n") if kind == "srt" else f"WEBVTT\n\n{body}\n"
