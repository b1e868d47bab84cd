"""kill -9 of `voice serve` mid-transcription: after restart the voicemail completes exactly once."""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.support.audio import concat_clips
from tests.support.http_servers import AudioServer
from tests.support.serve import make_server
from tests.support.speech import reference, wer

pytestmark = pytest.mark.e2e


def test_kill_9_during_transcription_resumes_once(audio_server: AudioServer, tmp_path: Path) -> None:
    # A long voicemail (four LibriSpeech clips, about 59 s) so the kill lands inside transcription.
    clips = [
        "en_ls_198-209-0000",
        "en_ls_3436-172162-0000",
        "en_ls_5703-47212-0000",
        "en_ls_1272-141231-0002",
    ]
    long = concat_clips(clips, audio_server.root / "long.wav", "-ar", "8000", "-c:a", "pcm_mulaw")
    server = make_server(tmp_path, VOICE_WORKER__LEASE_S="4", VOICE_TRANSCRIPTION__CPU_THREADS="1")
    server.start()
    try:
        vm_id = server.post_url(f"{audio_server.url}/{long.name}")
        deadline = time.monotonic() + 120
        while server.get(vm_id)["status"] != "transcribing":
            assert time.monotonic() < deadline, server.get(vm_id)
            time.sleep(0.05)
        server.stop(signal.SIGKILL)
        assert server.proc is not None and server.proc.returncode == -signal.SIGKILL
        server.start()
        vm = server.wait(vm_id, timeout=240)
    finally:
        server.stop()
    assert vm["status"] == "done", vm
    assert wer(" ".join(reference(c) for c in clips), vm["text"]) < 0.3
    with sqlite3.connect(server.data_dir / "voice.db") as conn:
        revisions = conn.execute("SELECT count(*) FROM transcript_revisions WHERE voicemail_id=?", (vm_id,))
        assert revisions.fetchone()[0] == 1
        attempts = conn.execute("SELECT attempts FROM voicemails WHERE id=?", (vm_id,)).fetchone()[0]
        assert attempts == 2
    statuses = [e["status"] for e in vm["history"]]
    assert statuses.count("transcribing") == 2 and statuses.count("done") == 1
