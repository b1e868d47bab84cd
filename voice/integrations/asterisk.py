"""Read Asterisk / FreePBX app_voicemail spools.

The layout is ``<spool>/<context>/<mailbox>/<folder>/msgNNNN.txt`` (folders INBOX, Old, Urgent, Work,
...), each message's metadata in a ``[message]`` section next to its audio in one or more formats
(``msgNNNN.wav``, ``.WAV`` = WAV49/GSM, ``.gsm``, ``.ulaw``, ...). Message numbers change when a
message is moved or another is deleted, so a message is known by its ``msg_id`` (Asterisk 11+), or,
for older spools, by its context, mailbox, origtime and caller id.
"""

from __future__ import annotations

import configparser
import contextlib
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from voice.core.phone import fit_number
from voice.integrations import apiclient

# Best first: wideband and lossless before narrowband, PCM before GSM.
AUDIO_PREFERENCE = (
    ".wav16",
    ".sln16",
    ".g722",
    ".wav",
    ".flac",
    ".sln",
    ".ulaw",
    ".alaw",
    ".WAV",
    ".gsm",
    ".g729",
)
_MSG = re.compile(r"^msg\d{4}\.txt$")
_CALLERID = re.compile(r'^\s*"?(?P<name>[^"<]*?)"?\s*<(?P<number>[^>]*)>\s*$')
# A header field is repaired, not refused: losing a caller's message over an odd header is worse.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# The columns the server stores these in (voice.storage.models.CallRecord / Voicemail).
NUMBER_MAX, MAILBOX_MAX, ID_MAX = 64, 100, 200
META_VALUE_MAX = 500
MESSAGE_FILE_MAX = 64 * 1024  # a msgNNNN.txt is a few hundred bytes
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # before this (or in the future), origtime is a broken clock


@dataclass(frozen=True)
class SpoolMessage:
    txt: Path
    audio: Path
    key: str  # stable across renumbering: msg_id, or a digest of what identifies it
    context: str
    mailbox: str
    folder: str
    caller_name: str | None
    caller_number: str | None
    started_at: datetime | None
    duration_s: float | None
    info: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # what was repaired, for a warning
    raw: dict[str, str] = field(default_factory=dict)  # header values kept as they came, when changed

    @property
    def mailbox_address(self) -> str:
        """Asterisk's own notation: ``1234`` in the default context, ``1234@sales`` elsewhere."""
        return self.mailbox if self.context == "default" else f"{self.mailbox}@{self.context}"

    def call_record(self) -> dict[str, object]:
        """The call record to post, in the API's shape."""
        meta = {
            "context": self.context,
            "folder": self.folder,
            "caller_id_name": self.caller_name,
            "urgent": self.folder == "Urgent" or self.info.get("flag", "").lower() == "urgent",
            **{
                k: self.info[k]
                for k in ("msg_id", "callerchan", "origmailbox", "exten", "rdnis")
                if self.info.get(k)
            },
        }
        meta.update(self.raw)
        return {
            "external_id": self.key,
            "source": "asterisk",
            "from": self.caller_number,
            "mailbox": self.mailbox_address,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "duration_s": self.duration_s,
            "metadata": {
                k: v[:META_VALUE_MAX] if isinstance(v, str) else v
                for k, v in meta.items()
                if v not in (None, "")
            },
        }


class NotReady(ValueError):
    """The message is still being written (no duration yet, or files changed a moment ago)."""


def parse_message_file(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(
        delimiters=("=",), comment_prefixes=(";", "#"), interpolation=None, strict=False
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    if path.stat().st_size > MESSAGE_FILE_MAX:
        raise ValueError(f"{path} is larger than {MESSAGE_FILE_MAX} bytes; not a message file")
    try:
        parser.read_string(path.read_text(encoding="utf-8", errors="replace"))
    except configparser.Error as exc:  # a ValueError only for some of its kinds
        raise ValueError(f"{path} is not a message file: {exc}") from exc
    if not parser.has_section("message"):
        raise ValueError(f"{path} has no [message] section")
    return {k: _CONTROL.sub(" ", v).strip() for k, v in parser.items("message")}


def _started(origtime: str, now: float) -> datetime | None:
    """origtime as a time, or None when it is not one a message can have been left at."""
    if not origtime.isdigit():
        return None
    try:
        started = datetime.fromtimestamp(int(origtime), UTC)
    except (OverflowError, OSError, ValueError):
        return None
    latest = datetime.fromtimestamp(now, UTC) + timedelta(days=1)
    return started if EARLIEST <= started <= latest else None


def _inside(path: Path, root: Path | None) -> None:
    """ValueError when ``path`` (after links) is outside the spool: its files are the PBX's, no one else's."""
    if root is not None and not path.resolve().is_relative_to(root.resolve()):
        raise ValueError(f"{path.name} links outside the spool (to {path.resolve()}); not sent")


def parse_callerid(value: str | None) -> tuple[str | None, str | None]:
    """``"Maria Lopez" <2125550134>`` -> (name, number); a bare number or "Unknown" works too."""
    if not value:
        return None, None
    if m := _CALLERID.match(value):
        name, number = m.group("name").strip() or None, m.group("number").strip() or None
    elif re.fullmatch(r"\+?[\d\s().-]{3,}", value.strip()):
        name, number = None, value.strip()
    else:
        name, number = value.strip(), None
    if name and name.lower() in {"unknown", "anonymous", "restricted", "unavailable"}:
        name = None
    return name, number


def _audio_for(txt: Path) -> Path | None:
    for suffix in AUDIO_PREFERENCE:
        candidate = txt.with_suffix(suffix)
        if candidate.exists() and candidate.stat().st_size > 0:
            return candidate
    return None


def read_message(
    txt: Path,
    settle_s: float = 2.0,
    now: float | None = None,
    root: Path | None = None,
    region: str = "US",
) -> SpoolMessage:
    """One message, or NotReady while Asterisk is still writing it, or ValueError when it is broken.

    Files that link outside ``root`` (the spool) are refused; an impossible origtime is left out and a
    caller id the server cannot store is normalised or cut, the raw value going into metadata."""
    _inside(txt, root)
    info = parse_message_file(txt)
    if "duration" not in info:  # app_voicemail writes the duration last
        raise NotReady(f"{txt.name} has no duration yet")
    audio = _audio_for(txt)
    if audio is None:
        raise ValueError(f"{txt} has no audio file beside it ({', '.join(AUDIO_PREFERENCE)})")
    _inside(audio, root)
    now = time.time() if now is None else now
    if now - max(txt.stat().st_mtime, audio.stat().st_mtime) < settle_s:
        raise NotReady(f"{txt.name} changed less than {settle_s:.0f} s ago")
    # The voicemail context and mailbox are the folders (the file's own "context" field is the
    # caller's dialplan context).
    folder, mailbox_dir, context_dir = txt.parent, txt.parent.parent, txt.parent.parent.parent
    context = context_dir.name
    mailbox = mailbox_dir.name or info.get("origmailbox", "")
    address = mailbox if (context or "default") == "default" else f"{mailbox}@{context}"
    if len(address) > MAILBOX_MAX:  # it routes the message: cutting it could send it to someone else
        raise ValueError(f"mailbox {address[:40]}... is longer than {MAILBOX_MAX} characters")
    notes: list[str] = []
    raw: dict[str, str] = {}
    name, number = parse_callerid(info.get("callerid"))
    if number and (len(number) > NUMBER_MAX or ":" in number):
        fitted = fit_number(number, region, NUMBER_MAX)
        if fitted != number:
            raw["from_as_received"] = number
            notes.append(f"caller id {number[:40]}... stored as {fitted}")
            number = fitted
    started = _started(info.get("origtime", ""), now)
    if started is None and info.get("origtime"):
        raw["origtime"] = info["origtime"]
        notes.append(f"origtime {info['origtime'][:30]} is not a plausible time; sent without started_at")
    duration = float(info["duration"]) if re.fullmatch(r"\d{1,9}(\.\d{1,6})?", info["duration"]) else None
    key = info.get("msg_id") or (f"{context}/{mailbox}/{info.get('origtime', '')}/{info.get('callerid', '')}")
    if len(key) > ID_MAX:  # a digest still names one message; a cut key could name two
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return SpoolMessage(
        txt=txt,
        audio=audio,
        key=key,
        context=context or "default",
        mailbox=mailbox,
        folder=folder.name,
        caller_name=name[:META_VALUE_MAX] if name else None,
        caller_number=number,
        started_at=started,
        duration_s=duration,
        info=info,
        notes=tuple(notes),
        raw=raw,
    )


def signature(txt: Path) -> tuple[int, list[list[Any]]]:
    """What a skipped message is remembered by: its .txt's mtime and its audio files' names, mtimes and
    sizes. The audio counts too: rsync copies msg0000.txt before msg0000.wav, and a message skipped for
    having no audio must be tried again when the audio arrives, though its .txt never changes."""
    audio = []
    for suffix in AUDIO_PREFERENCE:
        with contextlib.suppress(OSError):  # not there (yet)
            st = txt.with_suffix(suffix).lstat()
            audio.append([suffix, st.st_mtime_ns, st.st_size])
    return txt.lstat().st_mtime_ns, audio


def scan(spool: Path) -> Iterator[Path]:
    """Every msgNNNN.txt under ``spool`` (a whole spool, a context, or one mailbox), oldest first."""
    found = [p for p in spool.rglob("msg*.txt") if _MSG.match(p.name) and p.parent.name != "tmp"]
    yield from sorted(found, key=lambda p: (p.stat().st_mtime, str(p)))


class State:
    """The ingester's memory, one JSON file: messages sent ({key: voicemail id}), and messages skipped
    ({path in the spool: {"mtime_ns", "audio", "reason"}}) so a bad one is warned about once, not on every
    scan, and tried again only when its .txt or its audio files change (see ``signature``). A file from
    before skipping existed is all "sent"."""

    def __init__(self, path: Path) -> None:
        self.path = path
        data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        if "sent" not in data:
            data = {"sent": data, "skipped": {}}
        self.sent: dict[str, str] = data["sent"]
        self.skipped: dict[str, dict[str, Any]] = data.get("skipped", {})

    def is_skipped(self, rel: str, mtime_ns: int, audio: list[list[Any]] | None = None) -> bool:
        entry = self.skipped.get(rel, {})
        return entry.get("mtime_ns") == mtime_ns and entry.get("audio", []) == (audio or [])

    def skip(self, rel: str, mtime_ns: int, reason: str, audio: list[list[Any]] | None = None) -> None:
        self.skipped[rel] = {"mtime_ns": mtime_ns, "audio": audio or [], "reason": reason[:300]}
        self._save()

    def remember(self, key: str, vm_id: str, rel: str | None = None) -> None:
        self.sent[key] = vm_id
        if rel is not None:
            self.skipped.pop(rel, None)  # skipped before (its audio had not come): sent now
        self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"sent": self.sent, "skipped": self.skipped}, indent=0))
        os.replace(tmp, self.path)  # atomic: a crash never leaves half a state file


class KeyRefused(Exception):
    """The server refuses the key (401/403): no message will go until someone fixes it."""


# Answers that say this message itself is unacceptable, so sending it again would get the same answer.
# Others (404 from a wrong --url, 5xx, 507 for a full disk) are about the server: tried again next scan.
_REFUSED = (413, 422)


@dataclass
class Ingester:
    """Send a spool's messages to a Voice server, each once; ``scan_once`` returns the problems it met
    this time (messages skipped or not sent), so ``voice ingest asterisk`` can exit non-zero."""

    spool: Path
    client: httpx.Client
    state: State
    settle_s: float = 2.0
    region: str = "US"
    out: Callable[[str], None] = print
    warn: Callable[[str], None] = print

    def scan_once(self) -> int:
        problems = 0
        for txt in scan(self.spool):
            rel = str(txt.relative_to(self.spool))
            try:
                if self.state.is_skipped(rel, *signature(txt)):
                    continue
                msg = read_message(txt, self.settle_s, root=self.spool, region=self.region)
            except NotReady:
                continue  # picked up on a later scan
            except (ValueError, OSError) as exc:
                problems += 1
                self.warn(f"skipped {rel}: {exc}")
                self._skip(rel, txt, str(exc))
                continue
            if msg.key in self.state.sent:
                continue
            for note in msg.notes:
                self.warn(f"{rel}: {note}")
            try:
                problems += self._send(rel, msg)
            except httpx.HTTPError as exc:  # the server is down or unreachable: try the rest later
                self.warn(f"{rel}: not sent, the server did not answer ({exc}); will try again")
                return problems + 1
            except (ValueError, OSError) as exc:  # its audio changed or went since it was read
                problems += 1
                self.warn(f"skipped {rel}: {exc}")
                self._skip(rel, txt, str(exc))
        return problems

    def _skip(self, rel: str, txt: Path, reason: str) -> None:
        with contextlib.suppress(OSError):  # gone meanwhile: nothing to remember
            mtime_ns, audio = signature(txt)
            self.state.skip(rel, mtime_ns, reason, audio)

    def _send(self, rel: str, msg: SpoolMessage) -> int:
        _inside(msg.audio, self.spool)  # again, just before opening: the spool may have changed
        with msg.audio.resolve().open("rb") as fh:
            r = apiclient.send(
                self.client,
                "POST",
                "/v1/voicemails",
                deadline=time.monotonic() + 300,
                on_wait=self.warn,
                files={"file": (msg.audio.name, fh)},
                # No Idempotency-Key: a message moved to Old/ is the same message with other
                # metadata; (source, msg_id) is what makes it one voicemail.
                data={"call": json.dumps(msg.call_record()), "recording_id": msg.key},
            )
        if r.status_code in (401, 403):
            raise KeyRefused(f"{rel}: {apiclient.ApiError(r)} (check the ingest key)")
        if r.status_code != 202:
            if r.status_code in _REFUSED:
                self.warn(f"skipped {rel}: the server refused it, {apiclient.ApiError(r)}")
                self._skip(rel, msg.txt, str(apiclient.ApiError(r)))
            else:
                self.warn(f"{rel}: not sent, {apiclient.ApiError(r)}; will try again")
            return 1
        vm_id = str(r.json()["id"])
        self.state.remember(msg.key, vm_id, rel)
        replay = " (the server already had it)" if r.headers.get("idempotent-replayed") else ""
        self.out(f"{rel} -> {vm_id}{replay}")
        return 0
