"""Every input format, through the whole pipeline, via the HTTP API of a real `voice serve`."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.support.audio import encode, ffmpeg_with_encoder
from tests.support.http_servers import AudioServer
from tests.support.serve import VoiceServer
from tests.support.speech import clip_path, reference, wer

CLIP = "en_ls_1995-1837-0001"  # 8.7 s, LibriSpeech test-clean

# name -> (file name, ffmpeg output args); "gsm" and "amr_wb" are special-cased below.
FORMATS = {
    "wav_pcm": ("a.wav", ["-ar", "16000", "-c:a", "pcm_s16le"]),
    "wav_mulaw": ("a.wav", ["-ar", "8000", "-ac", "1", "-c:a", "pcm_mulaw"]),
    "wav_alaw": ("a.wav", ["-ar", "8000", "-ac", "1", "-c:a", "pcm_alaw"]),
    "wav_gsm610": ("a.wav", None),
    "mp3": ("a.mp3", ["-c:a", "libmp3lame", "-b:a", "32k"]),
    "ogg_opus": ("a.ogg", ["-c:a", "libopus", "-b:a", "16k"]),
    "amr_nb": ("a.amr", ["-ar", "8000", "-ac", "1", "-c:a", "libopencore_amrnb", "-b:a", "7.95k"]),
    "amr_wb": (
        "a.amr",
        ["-ar", "16000", "-ac", "1", "-c:a", "libvo_amrwbenc", "-b:a", "12.65k", "-f", "amr"],
    ),
    "m4a_aac": ("a.m4a", ["-c:a", "aac", "-b:a", "32k"]),
    "flac": ("a.flac", ["-c:a", "flac"]),
    "webm_opus": ("a.webm", ["-c:a", "libopus", "-b:a", "24k", "-vn"]),
}
# 8 kHz codecs lose a lot; tiny.en on them still has to get most words.
MAX_WER = {"wav_gsm610": 0.35, "amr_nb": 0.35, "wav_mulaw": 0.3, "wav_alaw": 0.3}


def make_format(name: str, src: Path, out_dir: Path) -> Path:
    filename, args = FORMATS[name]
    dst = out_dir / f"{name}-{filename}"
    if name == "wav_gsm610":  # ffmpeg has no GSM encoder; libsndfile writes GSM 6.10 WAV
        wav = encode(src, out_dir / "gsm-src.wav", "-ar", "8000", "-ac", "1", "-c:a", "pcm_s16le")
        data, rate = sf.read(wav)
        sf.write(dst, data, rate, format="WAV", subtype="GSM610")
        return dst
    if name == "amr_wb":
        binary = ffmpeg_with_encoder("libvo_amrwbenc", "the AMR-WB fixture")
        return encode(src, dst, *args, binary=binary)
    assert args is not None
    return encode(src, dst, *args)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_format_end_to_end(fmt: str, audio_server: AudioServer, voice_server: VoiceServer) -> None:
    path = make_format(fmt, clip_path(CLIP), audio_server.root)
    vm_id = voice_server.post_url(
        f"{audio_server.url}/{path.name}", external_id=f"fmt-{fmt}", **{"from": "+12125550134"}
    )
    vm = voice_server.wait(vm_id)
    assert vm["status"] == "done", vm
    score = wer(reference(CLIP), vm["transcript"]["text"])
    assert score <= MAX_WER.get(fmt, 0.2), (fmt, score, vm["transcript"]["text"])
    src = vm["source"]
    assert src["codec"] and src["sample_rate"] and src["channels"] == 1 and src["duration_s"] > 8
    assert vm["duration_s"] == pytest.approx(8.73, abs=0.3)
    segs = vm["transcript"]["segments"]
    assert segs and all(0 <= s["start"] < s["end"] <= vm["duration_s"] + 0.5 for s in segs)
    assert 0 < vm["transcript"]["confidence"] <= 1
    assert [e["status"] for e in vm["history"]][:1] == ["queued"] and vm["history"][-1]["status"] == "done"
    assert vm["summary"]["text"]


def test_upload_multipart(voice_server: VoiceServer, tmp_path: Path) -> None:
    import httpx

    path = encode(clip_path("en_jfk_inaugural"), tmp_path / "jfk.mp3", "-c:a", "libmp3lame")
    with path.open("rb") as fh:
        r = httpx.post(
            voice_server.url + "/v1/voicemails",
            files={"file": ("../../etc/passwd", fh)},
            data={"call": '{"from": "+12125550134", "mailbox": "sales"}'},
            headers=voice_server.headers(),
            timeout=30,
        )
    assert r.status_code == 202
    vm = voice_server.wait(r.json()["id"])
    assert vm["status"] == "done"
    assert wer(reference("en_jfk_inaugural"), vm["text"]) < 0.2
    assert vm["call"]["mailbox"] == "sales"
    listed = httpx.get(
        voice_server.url + "/v1/voicemails", params={"status": "done"}, headers=voice_server.headers()
    ).json()
    assert any(item["id"] == vm["id"] for item in listed["items"])
    assert all(item["status"] == "done" for item in listed["items"])


def _silence(path: Path, seconds: float, noise: float = 0.0) -> Path:
    rng = np.random.default_rng(1)
    data = rng.normal(0, noise, int(seconds * 8000)) if noise else np.zeros(int(seconds * 8000))
    sf.write(path, data.astype(np.float32), 8000, subtype="PCM_16")
    return path


def test_bad_inputs_fail_with_reasons_and_worker_carries_on(
    audio_server: AudioServer, voice_server: VoiceServer
) -> None:
    root = audio_server.root
    good = encode(clip_path("en_ls_61-70968-0000"), root / "good.ogg", "-c:a", "libopus")
    _silence(root / "silence.wav", 8)
    _silence(root / "noise.wav", 8, noise=0.05)
    (root / "empty.wav").write_bytes(b"")
    # Seeded junk: random bytes now and then look like the start of some format to ffmpeg; the product
    # handles those too (300 of 300 random files read "not audio"), the test stays repeatable.
    (root / "notaudio.wav").write_bytes(b"%PDF-1.4\n" + np.random.default_rng(7).bytes(4000))
    full = encode(clip_path(CLIP), root / "full.mp3", "-c:a", "libmp3lame")
    (root / "truncated.mp3").write_bytes(full.read_bytes()[:300])
    (root / "huge.wav").write_bytes(os.urandom(4 * 1024 * 1024))
    long = encode(
        clip_path(CLIP), root / "long.wav", "-af", "apad=pad_dur=70", "-ar", "8000", "-c:a", "pcm_mulaw"
    )

    cases = {
        "silence.wav": ("no_speech", "silence"),
        "noise.wav": ("no_speech", "no speech"),
        "empty.wav": ("failed", "empty"),
        "notaudio.wav": ("failed", "not audio"),
        "truncated.mp3": ("failed", ""),
        "huge.wav": ("failed", "larger than"),
        long.name: ("failed", "longer than the 60 s limit"),
        "missing.wav": ("failed", "HTTP 404"),
        "status/500": ("failed", "HTTP 500"),
    }
    ids = {name: voice_server.post_url(f"{audio_server.url}/{name}") for name in cases}
    good_id = voice_server.post_url(f"{audio_server.url}/{good.name}")
    for name, (status, words) in cases.items():
        vm = voice_server.wait(ids[name])
        assert vm["status"] == status, (name, vm)
        assert vm["status_reason"] and words in vm["status_reason"], (name, vm["status_reason"])
        if status == "failed":
            assert vm["transcript"] is None and vm["text"] is None and vm["priority"] is None, name
        else:  # no speech still gets a triage card, so the inbox can sort it (last)
            assert vm["text"] == "" and vm["transcript"]["segments"] == [], name
            assert vm["summary"]["intent"] == "no_message" and vm["summary"]["flags"] == ["no_speech"], name
            assert vm["summary"]["urgency"] == "low" and vm["priority"] < 10, name
    assert audio_server.calls["/status/500"] == 3  # retried twice on 5xx
    assert audio_server.calls["/missing.wav"] == 1  # never on 4xx
    done = voice_server.wait(good_id)
    assert done["status"] == "done" and wer(reference("en_ls_61-70968-0000"), done["text"]) < 0.3


def test_fetch_retries_and_basic_auth_without_leaking(
    audio_server: AudioServer, voice_server: VoiceServer
) -> None:
    encode(clip_path("en_arctic_a0010"), audio_server.root / "arctic.wav", "-c:a", "pcm_s16le")
    flaky = voice_server.wait(voice_server.post_url(f"{audio_server.url}/flaky/arctic.wav"))
    assert flaky["status"] == "done" and audio_server.calls["/flaky/arctic.wav"] == 3
    # Each retry is in the voicemail's history, with its reason and the (growing, jittered) wait.
    retries = [e["detail"] for e in flaky["history"] if "retrying in" in (e["detail"] or "")]
    assert [r.split(" failed")[0] for r in retries] == ["attempt 1", "attempt 2"], flaky["history"]
    assert all("HTTP 503" in r for r in retries), retries
    private = voice_server.wait(voice_server.post_url(f"{audio_server.url}/private/arctic.wav"))
    assert private["status"] == "done", private
    assert wer(reference("en_arctic_a0010"), private["text"]) < 0.3
    import httpx

    listing = httpx.get(voice_server.url + "/v1/voicemails?limit=500", headers=voice_server.headers())
    assert listing.status_code == 200 and "s3cret-pw" not in listing.text
    db = voice_server.data_dir / "voice.db"
    for path in [db, Path(str(db) + "-wal"), voice_server.log]:
        if path and path.exists():
            assert b"s3cret-pw" not in path.read_bytes(), path
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    r = httpx.post(
        voice_server.url + "/v1/voicemails",
        json={"audio_url": "http://u:p@127.0.0.1/x.wav"},
        headers=voice_server.headers(),
    )
    assert r.status_code == 422 and "credentials" in r.text
