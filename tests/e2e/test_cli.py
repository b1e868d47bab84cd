import contextlib
import json
import subprocess
from pathlib import Path

import pytest

from tests.support.paths import ROOT, VOICE
from tests.support.services import temp_postgres
from tests.support.speech import wer

pytestmark = pytest.mark.e2e


# What the caller in samples/billing_invoice.wav says (scripts/make_samples.py), as Whisper writes it.
BILLING = (
    "Hi, this is Daniel Brooks from Brooks Bakery. I'm calling about invoice number 4471. We were charged "
    "twice for the November delivery. Could you call me back at 212-555-0147? Thank you."
)


def test_transcribe_json_lines(tmp_path: Path) -> None:
    files = [ROOT / "samples" / "billing_invoice.wav", ROOT / "samples" / "hangup.wav"]
    out = subprocess.run(
        # the default model, as someone trying it first runs it (tiny.en, at the -26 dBFS speech level, heard
        # "212 5 5 A 147" for 212-555-0147 on this file)
        [VOICE, "transcribe", *map(str, files), "--format", "json"],
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
    assert first["engine"] == "faster-whisper" and first["model"] == "base" and first["language"] == "en"
    assert wer(BILLING, first["text"]) < 0.2
    card = first["summary"]
    assert set(card) >= {
        "text", "caller_name", "organisation", "callback_number", "callback_time", "email", "references",
        "intent", "intent_confidence", "urgency", "urgency_reasons", "sentiment", "flags", "priority",
    }  # fmt: skip
    # The card from the words: the number said (not the caller id in billing_invoice.json), the invoice.
    assert (card["caller_name"], card["organisation"]) == ("Daniel Brooks", "Brooks Bakery")
    assert card["callback_number"] == "+12125550147" and card["intent"] == "billing"
    assert {"kind": "invoice", "value": "4471"} in card["references"]
    assert lines[1]["text"] == "" and lines[1]["summary"]["intent"] == "no_message"
    assert lines[1]["summary"]["flags"] == ["no_speech"]


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_migrations_upgrade_an_empty_database_match_the_models_and_downgrade_cleanly(
    dialect: str, tmp_path: Path
) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine, inspect

    from voice.storage.db import include_object
    from voice.storage.models import Base

    with contextlib.ExitStack() as stack:
        if dialect == "postgresql":
            url = stack.enter_context(temp_postgres("voice_migrate"))
        else:
            url = f"sqlite:///{tmp_path / 'voice.db'}"
        env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "VOICE_DATABASE_URL": url}

        def voice_db(*args: str) -> None:
            subprocess.run([VOICE, "db", *args], check=True, env=env, capture_output=True, timeout=120)

        voice_db("upgrade")
        engine = create_engine(url)
        tables = set(inspect(engine).get_table_names())
        assert {
            "call_records", "voicemails", "voicemail_events", "transcript_revisions", "summaries",
            "api_keys", "webhook_deliveries", "webhook_attempts", "users",
        } <= tables  # fmt: skip
        assert any(t.startswith("voicemail_search") for t in tables)  # the hand-made search index
        with engine.connect() as conn:  # the migrations build exactly what the models declare
            context = MigrationContext.configure(conn, opts={"include_object": include_object})
            assert compare_metadata(context, Base.metadata) == []
        voice_db("downgrade", "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        voice_db("upgrade")  # and back up again from nothing
        assert set(inspect(engine).get_table_names()) == tables
        engine.dispose()
