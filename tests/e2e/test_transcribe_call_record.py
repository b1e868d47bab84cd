"""`voice transcribe` reads each file's call record (NAME.json beside it, or the flags for one file) as the
service does: a number said the national way is found in the caller's country (real ffmpeg, Whisper base)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import ROOT, VOICE

pytestmark = pytest.mark.e2e
ENV = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "HF_HUB_OFFLINE": "1"}


def _transcribe(*args: str) -> list[dict[str, Any]]:
    out = subprocess.run(
        [VOICE, "transcribe", "--model", "base", "--format", "json", *args],
        capture_output=True,
        text=True,
        check=True,
        env=ENV,
    )
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_each_file_is_triaged_with_its_own_call_record(tmp_path: Path) -> None:
    # The Spanish caller says "el seis, uno, dos..." (612 345 678): a number only in Spain's plan.
    with_record, bare = tmp_path / "with", tmp_path / "bare"
    for folder in (with_record, bare):
        folder.mkdir()
        shutil.copy(ROOT / "samples" / "es_appointment.ogg", folder / "cita.ogg")
    shutil.copy(ROOT / "samples" / "es_appointment.json", with_record / "cita.json")
    shutil.copy(ROOT / "samples" / "billing_invoice.wav", with_record / "billing.wav")  # no record: defaults

    cita, billing = _transcribe(str(with_record / "cita.ogg"), str(with_record / "billing.wav"))
    assert cita["call"]["record"] == str(with_record / "cita.json")
    assert cita["call"]["from"] == "+34612345678" and cita["call"]["mailbox"] == "citas"
    assert cita["call"]["started_at"] == "2026-11-23T10:02:00+00:00"
    assert cita["region"] == "ES" and cita["summary"]["callback_number"] == "+34612345678"
    assert billing["call"]["record"] is None and billing["region"] == "US"
    assert billing["summary"]["callback_number"] == "+12125550147"

    (alone,) = _transcribe(str(bare / "cita.ogg"))
    assert alone["region"] == "US" and alone["summary"]["callback_number"] is None  # not valid in the US
    (flagged,) = _transcribe(str(bare / "cita.ogg"), "--caller-id", "+34910000000", "--mailbox", "citas")
    assert flagged["call"]["record"] is None and flagged["call"]["from"] == "+34910000000"
    assert flagged["region"] == "ES" and flagged["summary"]["callback_number"] == "+34612345678"
