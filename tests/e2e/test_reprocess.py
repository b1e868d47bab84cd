"""Reprocessing voicemails (voice/usecases/reprocess.py) with real weights and real audio: new revisions,
old text kept on failure, agent state untouched, summarise-only without audio, and the CLI killed and
resumed."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.support.audio import encode
from tests.support.paths import VOICE
from tests.support.seed import seed_voicemail
from tests.support.speech import reference, wer
from voice.core.config import Settings
from voice.storage import db, runs
from voice.storage.models import ReprocessItem, TranscriptRevision, Voicemail, VoicemailEvent, VoicemailNote
from voice.usecases import reprocess

CLIPS = ["en_arctic_a0010", "en_arctic_a0024", "en_arctic_aew_a0001", "en_arctic_aew_a0002"]
CALLBACK_TEXT = (
    "Hi, this is Maria Lopez from Acme Plumbing. Please call me back at 212 555 0134 about invoice 4471, "
    "it is urgent."
)


def _settings(tmp: Path) -> Settings:
    return Settings(
        data_dir=tmp,
        transcription={"model": "tiny.en", "cpu_threads": 2, "allow_download": False},
        reprocess={"window": 2},
    )


def _db(settings: Settings) -> sessionmaker[Session]:
    db.upgrade(settings.db_url)
    return db.make_sessionmaker(db.make_engine(settings.db_url))


@pytest.fixture(scope="module")
def voicemail_audio(tmp_path_factory: pytest.TempPathFactory, have_ffmpeg: str) -> dict[str, Path]:
    """The clips as a phone system stores them: 8 kHz mu-law WAV."""
    from tests.support.speech import clip_path

    out = tmp_path_factory.mktemp("vm-audio")
    return {c: encode(clip_path(c), out / f"{c}.wav", "-ar", "8000", "-c:a", "pcm_mulaw") for c in CLIPS}


def _run(sm: sessionmaker[Session], target: runs.Target, **sel: object) -> str:
    with sm() as session:
        run = runs.create_run(session, runs.Selection(**sel), target, "test")  # type: ignore[arg-type]
        session.commit()
        return run.id


@pytest.mark.e2e
def test_thirty_voicemails_get_new_revisions_and_keep_agent_state(
    tmp_path: Path, voicemail_audio: dict[str, Path]
) -> None:
    settings = _settings(tmp_path)
    sm = _db(settings)
    clips = [CLIPS[i % len(CLIPS)] for i in range(30)]
    with sm() as session:
        ids = [
            seed_voicemail(session, source=voicemail_audio[c], model="base", text="old words") for c in clips
        ]
        session.commit()
    run_id = _run(sm, runs.Target(model="tiny.en"), model="base")
    seen: list[runs.Progress] = []
    final = reprocess.work_through(settings, sm, run_id, on_progress=seen.append)

    assert final.state == "done" and final.selected == 30
    assert final.counts["done"] == 30 and final.ended == 30
    assert sum(final.counts.values()) == final.selected  # counts add up
    assert [p.ended for p in seen] == sorted(p.ended for p in seen)  # progress only moves forward
    assert final.per_min and final.audio_per_wall and final.eta_s is None  # nothing left to wait for
    texts = []
    with sm() as session:
        for vm_id in ids:
            vm = session.get(Voicemail, vm_id)
            assert vm is not None and vm.status == "done"
            assert [r.number for r in vm.revisions] == [1, 2]
            old, new = vm.revisions
            assert vm.current_revision_id == new.id and new.run_id == run_id
            assert (old.model, old.text) == ("base", "old words")  # the earlier revision is kept as it was
            assert new.model == "tiny.en" and new.summary is not None
            texts.append(new.text)
            # Agent state is not the pipeline's to touch.
            assert (vm.agent_state, vm.assignee) == ("in_progress", "dana")
            notes = session.scalars(select(VoicemailNote.text).where(VoicemailNote.voicemail_id == vm_id))
            assert list(notes) == ["called once, no answer"]
            assert any(run_id in (e.detail or "") for e in vm.events)
        # The new words are the callers' (a few short clips, so a corpus-level WER).
        assert wer(" ".join(reference(c) for c in clips), " ".join(texts)) < 0.2
        rows = reprocess.revision_rows_out(session, session.get(Voicemail, ids[0]))  # type: ignore[arg-type]
        assert rows[0]["wer_vs_previous"] is None and rows[1]["wer_vs_previous"] > 50  # "old words" vs speech
        assert rows[1]["current"] and not rows[0]["current"]


def test_summarise_only_decodes_no_audio(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    sm = _db(settings)
    with sm() as session:  # no audio anywhere: a run that tried to decode would skip or fail them all
        ids = [seed_voicemail(session, text=CALLBACK_TEXT, intent="other") for _ in range(100)]
        session.commit()
    run_id = _run(sm, runs.Target(stage="summarise"))
    started = time.perf_counter()
    final = reprocess.work_through(settings, sm, run_id)
    elapsed = time.perf_counter() - started
    assert final.counts["done"] == 100 and final.ended == 100, final
    with sm() as session:
        for vm_id in ids:
            vm = session.get(Voicemail, vm_id)
            assert vm is not None
            old, new = vm.revisions
            assert new.text == old.text == CALLBACK_TEXT and new.run_id == run_id
            assert set(new.timings) == {"summarise_s"}  # no fetch, normalise or transcribe stage
            assert new.summary is not None and new.summary.callback_number == "+12125550134"
            assert new.summary.caller_name == "Maria Lopez" and new.summary.urgency in ("high", "urgent")
            assert vm.priority == new.summary.priority
    print(f"summarise-only: 100 voicemails in {elapsed:.2f} s")


@pytest.mark.e2e
def test_broken_and_missing_audio_are_reported_and_the_rest_finish(
    tmp_path: Path, voicemail_audio: dict[str, Path]
) -> None:
    settings = _settings(tmp_path)
    sm = _db(settings)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt " + os.urandom(2000))
    gone = tmp_path / "purged.wav"  # retention deleted it
    with sm() as session:
        good = [seed_voicemail(session, source=voicemail_audio[c], model="m1") for c in CLIPS[:3]]
        broken = seed_voicemail(session, source=junk, model="m1", text="the old text stays")
        purged = seed_voicemail(session, source=gone, model="m1", text="kept too")
        session.commit()
    run_id = _run(sm, runs.Target(), model="m1")
    final = reprocess.work_through(settings, sm, run_id)
    assert (final.counts["done"], final.counts["failed"], final.counts["skipped"]) == (3, 1, 1)
    with sm() as session:
        found = session.scalars(select(ReprocessItem).where(ReprocessItem.run_id == run_id))
        items = {i.voicemail_id: i for i in found}
        assert "audio" in (items[broken].reason or "") or "decode" in (items[broken].reason or "")
        assert items[purged].reason and "no longer stored" in items[purged].reason
        for vm_id, text in ((broken, "the old text stays"), (purged, "kept too")):
            vm = session.get(Voicemail, vm_id)
            assert vm is not None and vm.status == "done" and len(vm.revisions) == 1
            assert vm.current_revision is not None and vm.current_revision.text == text
        history = session.scalars(select(VoicemailEvent.detail).where(VoicemailEvent.voicemail_id == broken))
        assert any("failed" in (d or "") and "current transcript is kept" in (d or "") for d in history)
        assert all(len(session.get(Voicemail, g).revisions) == 2 for g in good)  # type: ignore[union-attr]


def _done(sm: sessionmaker[Session], run_id: str) -> int:
    with sm() as session:
        return int(
            session.scalar(
                select(func.count()).where(ReprocessItem.run_id == run_id, ReprocessItem.state == "done")
            )
            or 0
        )


@pytest.mark.e2e
def test_cli_run_killed_halfway_resumes_and_does_each_voicemail_once(
    tmp_path: Path, voicemail_audio: dict[str, Path]
) -> None:
    settings = _settings(tmp_path)
    sm = _db(settings)
    with sm() as session:
        ids = [seed_voicemail(session, source=voicemail_audio[CLIPS[i % 4]], model="base") for i in range(10)]
        session.commit()
    env = {
        **os.environ,
        "VOICE_DATA_DIR": str(tmp_path),
        "VOICE_TRANSCRIPTION__MODEL": "tiny.en",
        "VOICE_TRANSCRIPTION__CPU_THREADS": "2",
        "VOICE_TRANSCRIPTION__ALLOW_DOWNLOAD": "false",
        "HF_HUB_OFFLINE": "1",
    }
    dry = subprocess.run(
        [VOICE, "reprocess", "--current-model", "base", "--dry-run"], env=env, capture_output=True, text=True
    )
    assert dry.returncode == 0 and dry.stdout.startswith("10 voicemails, 0.5 audio minutes"), dry.stdout

    def start(*args: str) -> subprocess.Popen[str]:
        # Ctrl-C's default, whatever this suite inherited: a shell starts a background job (`... &`) with
        # SIGINT ignored, and an ignored SIGINT stays ignored in the children (the run then just finished).
        return subprocess.Popen(
            [VOICE, "reprocess", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )  # fmt: skip

    def stop_when_done(proc: subprocess.Popen[str], n: int, sig: int) -> str:
        deadline = time.monotonic() + 120
        while _done(sm, run_id) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=30)
        return out

    proc = start("--current-model", "base", "--model", "tiny.en")
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith("run ") and "10 voicemails" in first, first
    run_id = first.split()[1].rstrip(":")

    # Ctrl-C: the run pauses, the item in hand goes back, the process says how to carry on.
    out = stop_when_done(proc, 2, signal.SIGINT)
    assert proc.returncode == 130 and f"voice reprocess --resume {run_id}" in out, out
    with sm() as session:
        paused = runs.progress(session, run_id)
    assert paused.state == "paused" and paused.counts["running"] == paused.counts["queued"] == 0, paused
    assert 2 <= paused.counts["done"] < 10

    # kill -9 after resuming: no goodbye, an item is likely held mid-transcription.
    stop_when_done(start("--resume", run_id), paused.counts["done"] + 2, signal.SIGKILL)
    halfway = _done(sm, run_id)
    assert 4 <= halfway < 10
    with sm() as session:
        held = runs.progress(session, run_id).counts["running"]
    print(f"paused at {paused.counts['done']}, killed at {halfway} of 10 done, {held} held by the dead one")

    resumed = subprocess.run(
        [VOICE, "reprocess", "--resume", run_id], env=env, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"run {run_id} done: 10/10 ended (done 10, failed 0, skipped 0)" in resumed.stdout, resumed.stdout
    with sm() as session:
        per_voicemail = dict(
            session.execute(
                select(TranscriptRevision.voicemail_id, func.count())
                .where(TranscriptRevision.run_id == run_id)
                .group_by(TranscriptRevision.voicemail_id)
            ).all()
        )
        assert per_voicemail == {vm_id: 1 for vm_id in ids}  # each exactly once: none twice, none skipped

    shown = subprocess.run([VOICE, "revisions", ids[0], "--json"], env=env, capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    import json

    rows = json.loads(shown.stdout)
    assert [r["number"] for r in rows] == [1, 2] and rows[1]["run_id"] == run_id and rows[1]["current"]
