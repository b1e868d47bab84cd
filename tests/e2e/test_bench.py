"""The benchmarks' short forms: load (the full run is `python -m bench.load --rate 200 --duration 60`) and
performance against openai-whisper (the full run is `python -m bench`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT
from tests.support.services import require

pytestmark = pytest.mark.e2e


def test_short_load_run_loses_nothing() -> None:
    require("127.0.0.1", 5432, "PostgreSQL")
    require("127.0.0.1", 6379, "Redis")
    out = subprocess.run(
        [sys.executable, "-m", "bench.load", "--rate", "30", "--duration", "4"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["sent"] == 120 and result["accepted"] == 120 and result["errors"] == 0
    assert result["lost"] == 0 and result["duplicated"] == 0 and result["stored"] == 120
    assert result["p99_ms"] > 0
    print(out.stdout.splitlines()[0])


def test_short_performance_run_prints_its_table_and_json(tmp_path: Path) -> None:
    """`python -m bench --short`: the reference and Voice on the same few voicemail files."""
    out = tmp_path / "bench.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--short", "--out", str(out), "--cache", str(tmp_path / "cache")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert "Voice vs openai-whisper" in run.stdout and "tiny.en" in run.stdout and "by group" in run.stdout
    result = json.loads(out.read_text())["models"]["tiny.en"]
    rows = result["sets"]["short"]
    ref, voice = rows["openai-whisper"], rows["voice"]
    assert ref["files"] == voice["files"] == 5 and ref["audio_s"] == voice["audio_s"] > 20
    assert voice["statuses"] == {"done": 3, "no_speech": 2, "failed": 0}, voice["failures"]
    assert voice["no_speech_words"] == 0  # nothing stored for a voicemail with no speech
    assert voice["false_no_speech"] == []  # and no caller's words dropped as no speech
    assert voice["wer"] is not None and voice["wer"] < 10 and ref["wer"] < 10
    assert voice["throughput"] > 0 and voice["ratio"] > 0 and result["latency_p50_s"] > 0
    # Every figure also per group: the split, both conditions, the length buckets.
    assert {"dev", "landline", "mobile", "under 8 s"} <= set(rows["groups"])
    assert sum(g["voice"]["files"] for n, g in rows["groups"].items() if n in ("landline", "mobile")) == 5
    assert result["reference_peak_rss_mb"] > 100 and result["peak_rss_mb"] > 100
    print(run.stdout)


def test_triage_bench_times_every_language() -> None:
    """`python -m bench.triage`: per-language times of the built-in triage over the labelled sets."""
    run = subprocess.run(
        [sys.executable, "-m", "bench.triage", "--repeat", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["voicemails"] >= 150
    assert {"en", "es", "de", "fr", "pt", "zh", "all"} <= set(result["ms"])
    assert 0 < result["ms"]["all"]["p50"] <= result["ms"]["all"]["p95"] <= result["ms"]["all"]["max"]
    print(run.stdout)
