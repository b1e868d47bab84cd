"""`voice ingest asterisk`: an app_voicemail spool in the formats Asterisk writes, each message once."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support.audio import ffmpeg_with_encoder
from tests.support.paths import VOICE
from tests.support.serve import VoiceServer
from tests.support.speech import clip_path, reference, wer
from voice.integrations.asterisk import parse_callerid

MSG = """;
; Message Information file
;
[message]
origmailbox={mailbox}
context=macro-vm
macrocontext=ext-local
exten=s-NOANSWER
rdnis=unknown
priority=2
callerchan=SIP/trunk-0000004a
callerid={callerid}
origdate=Mon Nov 23 09:15:00 AM UTC 2026
origtime={origtime}
category=
{msg_id}flag=
"""


def _ffmpeg_with_gsm() -> str:
    return ffmpeg_with_encoder("libgsm_ms", "GSM and WAV49 spool files")


def _message(
    folder: Path,
    n: int,
    clip: str,
    fmt: str,
    callerid: str,
    origtime: int,
    msg_id: str | None,
    duration: bool = True,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"msg{n:04d}"
    args = {
        "wav": ["-ar", "8000", "-c:a", "pcm_s16le", "-f", "wav"],
        "WAV": ["-ar", "8000", "-c:a", "libgsm_ms", "-f", "wav"],  # Asterisk's wav49
        "gsm": ["-ar", "8000", "-c:a", "libgsm", "-f", "gsm"],
        "ulaw": ["-ar", "8000", "-f", "mulaw"],
    }[fmt]
    subprocess.run(
        [
            _ffmpeg_with_gsm(),
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(clip_path(clip)),
            "-ac",
            "1",
            *args,
            f"{stem}.{fmt}",
        ],
        check=True,
    )
    text = MSG.format(
        mailbox=folder.parent.name,
        callerid=callerid,
        origtime=origtime,
        msg_id=f"msg_id={msg_id}\n" if msg_id else "",
    )
    stem.with_suffix(".txt").write_text(text + ("duration=4\n" if duration else ""))
    return stem.with_suffix(".txt")


def _command(server: VoiceServer, spool: Path, key: str, state: Path, *extra: str) -> list[str]:
    return [
        VOICE,
        "ingest",
        "asterisk",
        str(spool),
        "--url",
        server.url,
        "--key",
        key,
        "--settle",
        "0",
        "--state",
        str(state),
        *extra,
    ]


def _ingest(server: VoiceServer, spool: Path, key: str, state: Path, *extra: str) -> list[str]:
    out = subprocess.run(
        _command(server, spool, key, state, *extra),
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return [line for line in out.stdout.splitlines() if "->" in line]


def test_callerid_forms() -> None:
    assert parse_callerid('"Maria Lopez" <2125550134>') == ("Maria Lopez", "2125550134")
    assert parse_callerid("Bob <+442079460018>") == ("Bob", "+442079460018")
    assert parse_callerid("2125550134") == (None, "2125550134")
    assert parse_callerid('"Unknown" <>') == (None, None)


def test_spool_ingested_once_in_every_format(voice_server: VoiceServer, tmp_path: Path) -> None:
    spool = tmp_path / "voicemail"
    inbox = spool / "default" / "1234" / "INBOX"
    _message(
        inbox, 0, "en_arctic_a0010", "wav", '"Maria Lopez" <2125550134>', 1795424100, "1795424100-00000001"
    )
    _message(inbox, 1, "en_arctic_a0024", "WAV", "<2125550177>", 1795424200, "1795424200-00000002")
    _message(
        spool / "default" / "1234" / "Old",
        0,
        "en_arctic_aew_a0001",
        "gsm",
        '"Bob" <2125550188>',
        1795424300,
        "1795424300-00000003",
    )
    _message(
        spool / "sales" / "2000" / "INBOX", 0, "en_arctic_axb_a0004", "ulaw", "2125550199", 1795424400, None
    )  # an older Asterisk: no msg_id
    writing = _message(
        inbox, 2, "en_arctic_a0010", "wav", "<2125550111>", 1795424500, "1795424500-00000005", duration=False
    )
    (spool / "default" / "1234" / "tmp").mkdir()
    key = voice_server.create_key("ingest", "pbx-1")["key"]
    state = tmp_path / "state.json"

    lines = _ingest(voice_server, spool, key, state)
    assert len(lines) == 4, lines
    ids = {line.split(" -> ")[0]: line.split(" -> ")[1].split()[0] for line in lines}
    expected = {
        "default/1234/INBOX/msg0000.txt": ("en_arctic_a0010", "1234", "+12125550134", "pcm_s16le", 0.3),
        "default/1234/INBOX/msg0001.txt": ("en_arctic_a0024", "1234", "+12125550177", "gsm_ms", 0.4),
        "default/1234/Old/msg0000.txt": ("en_arctic_aew_a0001", "1234", "+12125550188", "gsm", 0.4),
        "sales/2000/INBOX/msg0000.txt": (
            "en_arctic_axb_a0004",
            "2000@sales",
            "+12125550199",
            "pcm_mulaw",
            0.4,
        ),
    }
    assert set(ids) == set(expected)
    for path, (clip, mailbox, caller, codec, max_wer) in expected.items():
        vm = voice_server.wait(ids[path])
        assert vm["status"] == "done", (path, vm)
        assert wer(reference(clip), vm["text"]) <= max_wer, (path, vm["text"])
        call = vm["call"]
        assert call["source"] == "asterisk" and call["mailbox"] == mailbox and call["from_number"] == caller
        assert vm["source"]["codec"] == codec, (path, vm["source"])
        assert call["started_at"] and call["duration_s"] == 4
    maria = voice_server.get(ids["default/1234/INBOX/msg0000.txt"])
    assert maria["call"]["metadata"]["caller_id_name"] == "Maria Lopez"
    assert maria["call"]["external_id"] == maria["recording_id"] == "1795424100-00000001"
    assert maria["call"]["started_at"] == "2026-11-23T08:55:00Z"  # origtime 1795424100

    assert _ingest(voice_server, spool, key, state) == []  # nothing new
    state.unlink()  # even without its memory, the server keeps one voicemail per message
    again = _ingest(voice_server, spool, key, state)
    assert len(again) == 4 and all("already had it" in line for line in again)
    listed = httpx.get(
        voice_server.url + "/v1/voicemails?limit=500", headers=voice_server.headers(key)
    ).json()
    assert len(listed["items"]) == 4

    # --watch picks up the message Asterisk was still writing, once it is complete.
    proc = subprocess.Popen(
        _command(voice_server, spool, key, state, "--watch", "--interval", "0.3"),
        env=voice_server.env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.5)
        with writing.open("a") as fh:
            fh.write("duration=4\n")
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("default/1234/INBOX/msg0002.txt -> "), line
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
    listed = httpx.get(
        voice_server.url + "/v1/voicemails?limit=500", headers=voice_server.headers(key)
    ).json()
    assert len(listed["items"]) == 5


def test_bad_messages_are_skipped_or_repaired_once(voice_server: VoiceServer, tmp_path: Path) -> None:
    """Issue 17 item 12: an absurd origtime, an over-long caller id and audio linked from outside the
    spool neither crash the ingester nor come back on every scan; the good messages behind them go."""
    spool = tmp_path / "voicemail"
    inbox = spool / "default" / "1300" / "INBOX"
    absurd = 99999999999999999999  # OverflowError in datetime.fromtimestamp
    _message(inbox, 0, "en_arctic_a0010", "ulaw", "<2125550134>", absurd, "absurd-origtime-1")
    _message(inbox, 1, "en_arctic_a0024", "ulaw", "<2125550135>", 99999999999, "year-5138-2")
    long_caller = "sip:" + "7" * 70 + "@pbx.example.com"
    _message(inbox, 2, "en_arctic_a0010", "ulaw", f'"Far Away" <{long_caller}>', 1795424100, "long-caller-3")
    linked = _message(inbox, 3, "en_arctic_a0024", "ulaw", "<2125550136>", 1795424200, "linked-audio-4")
    outside = tmp_path / "outside.ulaw"
    linked.with_suffix(".ulaw").rename(outside)
    linked.with_suffix(".ulaw").symlink_to(outside)
    _message(inbox, 4, "en_arctic_a0024", "ulaw", "<2125550137>", 1795424300, "good-5")
    key = voice_server.create_key("ingest", "pbx-bad")["key"]
    state = tmp_path / "state.json"

    out = subprocess.run(
        _command(voice_server, spool, key, state),
        env=voice_server.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in out.stderr, out.stderr
    assert out.returncode == 1, out.stderr  # one message could not be sent: said once, loudly
    sent = {line.split(" -> ")[0]: line.split(" -> ")[1].split()[0] for line in out.stdout.splitlines()}
    assert set(sent) == {f"default/1300/INBOX/msg000{n}.txt" for n in (0, 1, 2, 4)}, out.stdout
    assert "msg0003" in out.stderr and "outside the spool" in out.stderr, out.stderr
    assert "msg0000" in out.stderr and "origtime" in out.stderr, out.stderr

    for n in (0, 1):  # sent, without a time it cannot be; the raw value kept
        vm = voice_server.get(sent[f"default/1300/INBOX/msg000{n}.txt"])
        assert vm["call"]["started_at"] is None and vm["call"]["metadata"]["origtime"] == str(
            [absurd, 99999999999][n]
        )
    far = voice_server.get(sent["default/1300/INBOX/msg0002.txt"])["call"]
    assert far["from_number"] == long_caller[:64] and far["metadata"]["from_as_received"] == long_caller
    assert far["metadata"]["caller_id_name"] == "Far Away"
    assert all(voice_server.wait(vm_id)["status"] == "done" for vm_id in sent.values())

    again = subprocess.run(
        _command(voice_server, spool, key, state),
        env=voice_server.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0 and again.stdout == "" and "msg0003" not in again.stderr, again
    # --watch starts and keeps running over the same spool (it used to die on every start).
    proc = subprocess.Popen(
        _command(voice_server, spool, key, state, "--watch", "--interval", "0.2"),
        env=voice_server.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(2)
        assert proc.poll() is None
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert "Traceback" not in stderr, stderr
    listed = httpx.get(voice_server.url + "/v1/voicemails?limit=500", headers=voice_server.headers(key))
    assert len(listed.json()["items"]) == 4


def test_read_message_refuses_links_out_and_repairs_headers(tmp_path: Path) -> None:
    from voice.integrations.asterisk import State, read_message

    spool = tmp_path / "spool"
    inbox = spool / "default" / "1400" / "INBOX"
    inbox.mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    header = MSG.format(mailbox="1400", callerid="<tel:+1-212-555-0134;ext=9>", origtime=0, msg_id="")
    (outside / "msg0000.txt").write_text(header + "duration=3\n")
    (outside / "msg0000.wav").write_bytes(b"RIFF" + b"\0" * 100)
    (inbox / "msg0000.txt").symlink_to(outside / "msg0000.txt")  # the message file itself
    (inbox / "msg0000.wav").write_bytes(b"RIFF" + b"\0" * 100)
    with pytest.raises(ValueError, match="outside the spool"):
        read_message(inbox / "msg0000.txt", 0, root=spool)
    (inbox / "msg0000.txt").unlink()
    (inbox / "msg0000.txt").write_text(header.replace("[message]", "[message]\nx=a\x00b") + "duration=3\n")
    (inbox / "msg0001.wav").symlink_to(inbox / "msg0000.wav")  # a link inside the spool is fine
    (inbox / "msg0001.txt").write_text(header + "duration=3\n")
    msg = read_message(inbox / "msg0000.txt", 0, root=spool)
    assert msg.caller_number == "+12125550134" and msg.raw["from_as_received"] == "tel:+1-212-555-0134;ext=9"
    assert msg.started_at is None and msg.raw["origtime"] == "0" and msg.info["x"] == "a b"
    assert read_message(inbox / "msg0001.txt", 0, root=spool).audio.name == "msg0001.wav"
    long_mailbox = spool / "default" / ("9" * 101) / "INBOX"
    long_mailbox.mkdir(parents=True)
    (long_mailbox / "msg0000.txt").write_text(header + "duration=3\n")
    (long_mailbox / "msg0000.wav").write_bytes(b"RIFF" + b"\0" * 100)
    with pytest.raises(ValueError, match="longer than 100"):  # it routes: not cut, not guessed
        read_message(long_mailbox / "msg0000.txt", 0, root=spool)

    old = tmp_path / "old-state.json"  # the state file before skipped messages were remembered
    old.write_text('{"1795424100-00000001": "vm1"}')
    state = State(old)
    assert state.sent == {"1795424100-00000001": "vm1"} and state.skipped == {}
    state.skip("default/1400/INBOX/msg0002.txt", 7, "links outside the spool")
    assert State(old).is_skipped("default/1400/INBOX/msg0002.txt", 7)
    assert not State(old).is_skipped("default/1400/INBOX/msg0002.txt", 8)  # changed: tried again


def test_a_message_the_server_refuses_is_remembered_not_resent(tmp_path: Path) -> None:
    from voice.integrations.asterisk import Ingester, State

    spool = tmp_path / "spool"
    inbox = spool / "default" / "1500" / "INBOX"
    inbox.mkdir(parents=True)
    for n in (0, 1):
        (inbox / f"msg000{n}.txt").write_text(
            MSG.format(mailbox="1500", callerid="<2125550134>", origtime=1795424100, msg_id=f"msg_id=m{n}\n")
            + "duration=3\n"
        )
        (inbox / f"msg000{n}.wav").write_bytes(b"RIFF" + b"\0" * 100)
    posts: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        posts.append(request.content.decode("latin-1"))
        if '"external_id": "m0"' in posts[-1]:
            refusal = [{"loc": ["body", "call", "from"], "msg": "too long"}]
            return httpx.Response(422, json={"detail": refusal})
        if len(posts) == 2:  # the other one, the first time: the database was away
            return httpx.Response(503, json={"detail": "try again shortly"}, headers={"Retry-After": "1"})
        return httpx.Response(202, json={"id": "vm1", "status": "queued"})

    warnings: list[str] = []
    with httpx.Client(transport=httpx.MockTransport(server), base_url="http://voice.test") as client:
        ingester = Ingester(spool, client, State(tmp_path / "state.json"), 0, warn=warnings.append)
        assert ingester.scan_once() == 1 and len(posts) == 3  # m0 refused; m1 sent after the wait
        skipped = "skipped default/1500/INBOX/msg0000.txt"
        assert any(skipped in w and "call.from: too long" in w for w in warnings)
        assert any("waiting 1 s" in w for w in warnings)
        assert ingester.scan_once() == 0 and len(posts) == 3  # neither is sent again
        (inbox / "msg0000.txt").write_text((inbox / "msg0000.txt").read_text() + "flag=Urgent\n")
        os.utime(inbox / "msg0000.txt", ns=(1, 2))  # changed: tried once more
        assert ingester.scan_once() == 1 and len(posts) == 4


def test_audio_that_arrives_after_its_message_file_is_sent(voice_server: VoiceServer, tmp_path: Path) -> None:
    """rsync copies msg0000.txt before msg0000.wav: the scan in between finds no audio. The message is
    sent once the audio is there, not skipped for as long as its .txt stays unchanged."""
    spool = tmp_path / "voicemail"
    inbox = spool / "default" / "1600" / "INBOX"
    txt = _message(inbox, 0, "en_arctic_a0010", "wav", "<2125550138>", 1795424400, "late-audio-1")
    audio = txt.with_suffix(".wav")
    audio.rename(tmp_path / "in-transit.wav")
    key = voice_server.create_key("ingest", "pbx-late")["key"]
    state = tmp_path / "state.json"

    def ingest() -> subprocess.CompletedProcess[str]:
        command = _command(voice_server, spool, key, state)
        return subprocess.run(command, env=voice_server.env, capture_output=True, text=True, timeout=120)

    first = ingest()
    assert first.stdout == "" and "Traceback" not in first.stderr, first
    (tmp_path / "in-transit.wav").rename(audio)
    second = ingest()
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("default/1600/INBOX/msg0000.txt -> "), second
    vm_id = second.stdout.split(" -> ")[1].split()[0]
    assert voice_server.get(vm_id)["call"]["external_id"] == "late-audio-1"
    assert json.loads(state.read_text())["skipped"] == {}  # sent: no longer remembered as skipped
