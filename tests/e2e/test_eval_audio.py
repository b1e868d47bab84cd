"""`voice eval triage --audio`: labelled rows whose recordings go through the whole pipeline (real ffmpeg,
real Whisper base weights), scored beside triage of the rows' own words, with the transcripts' error rate."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.paths import ROOT, VOICE

pytestmark = pytest.mark.e2e

BILLING = (
    "Hi, this is Daniel Brooks from Brooks Bakery. I'm calling about invoice number 4471. We were charged "
    "twice for the November delivery. Could you call me back at 212 555 0147? Thank you."
)
CITA = (
    "Hola, buenos días, soy María López. Tengo cita el jueves a las cuatro de la tarde, pero no puedo ir. "
    "¿Me la pueden cambiar al viernes por la mañana? Mi número es el 612 345 678. Muchas gracias."
)
ROWS = [
    {"id": "billing", "audio": "audio/billing_invoice.wav", "language": "en", "caller_id": "+16465550112",
     "mailbox": "billing", "started_at": "2026-11-23T09:15:00Z", "text": BILLING,
     "expected": {"intent": "billing", "callback_number": "+12125550147", "caller_name": "Daniel Brooks",
                  "organisation": "Brooks Bakery", "references": [["invoice", "4471"]], "spam": False}},
    {"id": "cita", "audio": "audio/es_appointment.ogg", "language": "es", "caller_id": "+34910000000",
     "mailbox": "citas", "started_at": "2026-11-23T10:02:00Z", "text": CITA,
     "expected": {"intent": "appointment", "callback_number": "+34612345678", "caller_name": "María López"}},
    {"id": "hangup", "audio": "audio/hangup.wav", "text": "", "caller_id": "+13125550176",
     "expected": {"intent": "no_message", "no_message": True}},
    {"id": "text only", "text": "Please call me back.", "expected": {"intent": "callback_request"}},
]  # fmt: skip


def test_audio_beside_text(tmp_path: Path) -> None:
    (tmp_path / "audio").mkdir()
    for name in ("billing_invoice.wav", "es_appointment.ogg", "hangup.wav"):
        shutil.copy(ROOT / "samples" / name, tmp_path / "audio" / name)
    labelled = tmp_path / "mine.jsonl"
    labelled.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS), encoding="utf-8")
    report = tmp_path / "report.json"
    out = subprocess.run(
        [
            VOICE,
            "eval",
            "triage",
            "--file",
            str(labelled),
            "--audio",
            "--model",
            "base",
            "--output",
            str(report),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "HF_HUB_OFFLINE": "1", "COLUMNS": "200"},
    )
    assert "1 row(s) name no audio and are left out" in out.stderr
    assert "on text / on audio" in out.stdout and "audio: WER" in out.stdout
    doc = json.loads(report.read_text())
    assert doc["n"] == 3 and doc["languages"] == {"en": 2, "es": 1}
    heard = {h["id"]: h for h in doc["audio"]["heard"]}
    assert heard["billing"]["status"] == "done" and heard["billing"]["language"] == "en"
    assert heard["billing"]["wer"] < 0.2, heard["billing"]
    assert heard["cita"]["status"] == "done" and heard["cita"]["language"] == "es"  # detected, not given
    assert heard["cita"]["wer"] < 0.1, heard["cita"]  # "6, uno, dos..." is "612..." digit by digit
    assert heard["hangup"]["status"] == "no_speech" and heard["hangup"]["wer"] is None
    assert doc["audio"]["asr"]["language right"] == 1.0
    assert doc["audio"]["asr"]["speech taken for none"] == 0.0
    # The words as said: triage gets every label right; from the audio the same, as heard.
    assert [r["wrong"] for r in doc["rows"]] == [[], [], []]
    on_audio = {r["id"]: r for r in doc["audio"]["rows"]}
    assert on_audio["billing"]["got"]["callback_number"] == "+12125550147"
    assert on_audio["billing"]["got"]["references"] == [["invoice", "4471"]]
    assert on_audio["cita"]["got"]["callback_number"] == "+34612345678"  # read in the caller id's region
    assert on_audio["hangup"]["got"]["no_message"] is True
    assert doc["audio"]["by_language"]["es"]["intent accuracy"] == 1.0
