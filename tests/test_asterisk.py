"""`voice ingest asterisk`: an app_voicemail spool in the formats Asterisk writes, each message once."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from tests.conftest import VOICE, VoiceServer, clip_path, ffmpeg_with_encoder, reference, wer
from voice.asterisk import parse_callerid

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
