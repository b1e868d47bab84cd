import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, reference, wer

VOICE = str(Path(sys.executable).parent / "voice")


def test_transcribe_json_lines(tmp_path: Path) -> None:
    files = [ROOT / "samples" / "en_mulaw_voicemail.wav", ROOT / "samples" / "hangup_line_noise.wav"]
    out = subprocess.run(
        [VOICE, "transcribe", *map(str, files), "--model", "tiny.en", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "HF_HUB_OFFLINE": "1"},
    )
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["status"] for r in lines] == ["done", "no_speech"]
    first = lines[0]
    for key in ("file", "status", "language", "duration_s", "text", "segments", "summary", "engine", "model"):
        assert key in first
    assert first["engine"] == "faster-whisper" and first["model"] == "tiny.en" and first["language"] == "en"
    assert wer(reference("en_ls_1272-128104-0000"), first["text"]) < 0.2
    assert set(first["summary"]) >= {
        "text", "caller_name", "organisation", "callback_number", "callback_time", "email", "references",
        "intent", "intent_confidence", "urgency", "urgency_reasons", "sentiment", "flags", "priority",
    }  # fmt: skip
    assert lines[1]["text"] == "" and lines[1]["summary"]["intent"] == "no_message"
    assert lines[1]["summary"]["flags"] == ["no_speech"]


def test_db_upgrade_on_postgres_when_available() -> None:
    """The same migrations run on PostgreSQL (the scale-out store)."""
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "VOICE_DATABASE_URL": url}
    subprocess.run([VOICE, "db", "upgrade"], check=True, env=env, capture_output=True)
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {
        "call_records",
        "voicemails",
        "voicemail_events",
        "transcript_revisions",
        "summaries",
        "api_keys",
        "webhook_deliveries",
        "webhook_attempts",
    } <= tables
