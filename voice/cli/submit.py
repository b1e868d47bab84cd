"""`voice submit`: audio files uploaded to a running server, and their results waited for."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from voice.cli.common import KeyOption, err

if TYPE_CHECKING:
    import httpx

AUDIO_SUFFIXES = {".wav", ".mp3", ".ogg", ".opus", ".amr", ".awb", ".m4a", ".aac", ".flac", ".webm", ".gsm"}


def submit(
    paths: Annotated[list[Path], typer.Argument(exists=True, help="audio files or folders (e.g. samples/)")],
    url: Annotated[str, typer.Option(help="server base URL")] = "http://127.0.0.1:8000",
    wait: Annotated[bool, typer.Option(help="wait for results and print them")] = True,
    timeout: Annotated[float, typer.Option(help="seconds to wait")] = 600.0,
    key: KeyOption = None,
) -> None:
    """Upload audio files to a running server. A NAME.json beside NAME.wav is sent as its call record.

    Waits out 429 and 503 answers as long as their Retry-After says (within --timeout), polls with one
    list call per 100 voicemails, and exits 1 if a file was refused, a voicemail failed or did not
    finish in time (2 for a key the server refuses)."""
    import httpx

    from voice.integrations import apiclient

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    files = _audio_files(paths)
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=url, timeout=60, headers=headers) as client:
        try:
            ids, problems = _queue(client, files, deadline)
            pending = set(ids) if wait else set()
            while pending and time.monotonic() < deadline:
                problems += _poll(client, ids, pending, deadline)
                if pending:  # a second a round, longer for many: a round costs one request per 100
                    time.sleep(min(10.0, max(1.0, len(pending) / 100)))
        except apiclient.ApiError as exc:
            _say(f"{exc} (pass --key or set VOICE_API_KEY)", "red")
            raise typer.Exit(2) from None
        except httpx.HTTPError as exc:
            _say(f"cannot reach {url}: {exc}", "red")
            raise typer.Exit(1) from None
    if pending:
        _say(f"{len(pending)} voicemail(s) still processing after {timeout:.0f} s")
        problems += 1
    raise typer.Exit(1 if problems else 0)


def _audio_files(paths: list[Path]) -> list[Path]:
    """The audio files named, and those in the folders named (not below them)."""
    return sorted(
        p
        for path in paths
        for p in ([path] if path.is_file() else path.iterdir())
        if p.suffix.lower() in AUDIO_SUFFIXES
    )


def _say(line: str, style: str | None = None) -> None:  # one line each, whatever the terminal's width
    err.print(line, style=style, markup=False, highlight=False, soft_wrap=True)


def _waiting(line: str) -> None:
    _say(line, "yellow")


def _call_fields(call_json: Path) -> dict[str, str]:
    """The form fields for a NAME.json beside the audio: the call record, and its "language" (one code or
    several, "en,es" or a list) as the upload's own language field, which the call record does not carry."""
    if not call_json.exists():
        return {}
    text = call_json.read_text()
    fields = {"call": text}
    try:
        language = json.loads(text).get("language")
    except (ValueError, AttributeError):
        return fields  # the server says what is wrong with the record
    if isinstance(language, list):
        language = ",".join(str(x) for x in language)
    if isinstance(language, str) and language.strip():
        fields["language"] = language
    return fields


def _queue(client: httpx.Client, files: list[Path], deadline: float) -> tuple[dict[str, Path], int]:
    """Upload each file: the ids the server queued (with their file) and how many files it refused."""
    from voice.integrations import apiclient

    ids: dict[str, Path] = {}
    problems = 0
    for f in files:
        data = _call_fields(f.with_suffix(".json"))
        with f.open("rb") as fh:
            r = apiclient.send(
                client,
                "POST",
                "/v1/voicemails",
                deadline=deadline,
                on_wait=_waiting,
                files={"file": (f.name, fh)},
                data=data,
            )
        if r.status_code in (401, 403):
            _say(f"{apiclient.detail(r)} (pass --key or set VOICE_API_KEY)", "red")
            raise typer.Exit(2)
        if r.status_code != 202:
            problems += 1
            _say(f"{f}: not queued, {apiclient.ApiError(r)}", "red")
            continue
        ids[r.json()["id"]] = f
        _say(f"queued {f} as {r.json()['id']}")
    return ids, problems


def _poll(client: httpx.Client, ids: dict[str, Path], pending: set[str], deadline: float) -> int:
    """One round of asking: prints what finished, takes it out of ``pending``; the number of problems."""
    from voice.integrations import apiclient

    problems = 0
    try:
        finished, gone = apiclient.finished_voicemails(client, pending, deadline=deadline, on_wait=_waiting)
    except apiclient.ApiError as exc:
        if exc.status_code in (401, 403):
            raise
        _waiting(f"could not ask how the voicemails are doing ({exc}); asking again")
        finished, gone = [], set()
    for vm in finished:
        pending.discard(vm["id"])
        problems += vm["status"] == "failed"
        summary = (vm.get("summary") or {}).get("text") or vm.get("status_reason") or ""
        print(f"{ids[vm['id']].name}: {vm['status']}: {summary}")
        if vm.get("text"):
            print(f"    {vm['text']}")
    for vm_id in gone:
        pending.discard(vm_id)
        problems += 1
        _say(f"{ids[vm_id].name}: {vm_id} is no longer on the server", "red")
    return problems
