"""Read Asterisk / FreePBX app_voicemail spools.

The layout is ``<spool>/<context>/<mailbox>/<folder>/msgNNNN.txt`` (folders INBOX, Old, Urgent, Work,
...), each message's metadata in a ``[message]`` section next to its audio in one or more formats
(``msgNNNN.wav``, ``.WAV`` = WAV49/GSM, ``.gsm``, ``.ulaw``, ...). Message numbers change when a
message is moved or another is deleted, so a message is known by its ``msg_id`` (Asterisk 11+), or,
for older spools, by its context, mailbox, origtime and caller id.
"""

from __future__ import annotations

import configparser
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

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
        return {
            "external_id": self.key,
            "source": "asterisk",
            "from": self.caller_number,
            "mailbox": self.mailbox_address,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "duration_s": self.duration_s,
            "metadata": {k: v for k, v in meta.items() if v not in (None, "")},
        }


class NotReady(ValueError):
    """The message is still being written (no duration yet, or files changed a moment ago)."""


def parse_message_file(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(
        delimiters=("=",), comment_prefixes=(";", "#"), interpolation=None, strict=False
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text(encoding="utf-8", errors="replace"))
    if not parser.has_section("message"):
        raise ValueError(f"{path} has no [message] section")
    return {k: v.strip() for k, v in parser.items("message")}


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


def read_message(txt: Path, settle_s: float = 2.0, now: float | None = None) -> SpoolMessage:
    """One message, or NotReady while Asterisk is still writing it, or ValueError when it is broken."""
    info = parse_message_file(txt)
    if "duration" not in info:  # app_voicemail writes the duration last
        raise NotReady(f"{txt.name} has no duration yet")
    audio = _audio_for(txt)
    if audio is None:
        raise ValueError(f"{txt} has no audio file beside it ({', '.join(AUDIO_PREFERENCE)})")
    now = time.time() if now is None else now
    if now - max(txt.stat().st_mtime, audio.stat().st_mtime) < settle_s:
        raise NotReady(f"{txt.name} changed less than {settle_s:.0f} s ago")
    # The voicemail context and mailbox are the folders (the file's own "context" field is the
    # caller's dialplan context).
    folder, mailbox_dir, context_dir = txt.parent, txt.parent.parent, txt.parent.parent.parent
    context = context_dir.name
    mailbox = mailbox_dir.name or info.get("origmailbox", "")
    name, number = parse_callerid(info.get("callerid"))
    started = None
    if info.get("origtime", "").isdigit():
        started = datetime.fromtimestamp(int(info["origtime"]), UTC)
    duration = float(info["duration"]) if re.fullmatch(r"\d+(\.\d+)?", info["duration"]) else None
    key = info.get("msg_id") or (f"{context}/{mailbox}/{info.get('origtime', '')}/{info.get('callerid', '')}")
    return SpoolMessage(
        txt=txt,
        audio=audio,
        key=key[:200],
        context=context or "default",
        mailbox=mailbox,
        folder=folder.name,
        caller_name=name,
        caller_number=number,
        started_at=started,
        duration_s=duration,
        info=info,
    )


def scan(spool: Path) -> Iterator[Path]:
    """Every msgNNNN.txt under ``spool`` (a whole spool, a context, or one mailbox), oldest first."""
    found = [p for p in spool.rglob("msg*.txt") if _MSG.match(p.name) and p.parent.name != "tmp"]
    yield from sorted(found, key=lambda p: (p.stat().st_mtime, str(p)))
