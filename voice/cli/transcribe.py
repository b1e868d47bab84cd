"""`voice transcribe`: files transcribed and summarised in this process, without a server or database."""

from __future__ import annotations

import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.progress import Progress

from voice.cli.common import err
from voice.core.config import get_settings

if TYPE_CHECKING:
    from voice.core.config import Settings
    from voice.pipeline.process import FileResult
    from voice.transcription.engines import Engine
    from voice.triage.model import CallContext


@dataclass(frozen=True)
class Call:
    """One file's call record (NAME.json beside it, the flags over it) and the language hint it names."""

    record: Path | None
    fields: dict[str, Any]  # from, to, mailbox, started_at as the API reads them
    language: str | None


def _language_option(value: str | None) -> str | None:
    """--language checked as the API checks its language field, before the model loads."""
    from voice.core.languages import known_languages

    try:
        return ",".join(known_languages(value)) or None
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def transcribe(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="audio files")],
    engine: Annotated[Optional[str], typer.Option(help="faster-whisper | openai-whisper")] = None,  # noqa: UP045
    model: Annotated[Optional[str], typer.Option(help="tiny.en, base, ... or a folder")] = None,  # noqa: UP045
    language: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            help="the language (forced), or the languages expected joined by commas (detection chooses "
            "among them), e.g. en or en,de; else NAME.json's, the mailbox's or the configured ones",
            callback=_language_option,
        ),
    ] = None,
    format: Annotated[str, typer.Option("--format", help="text | json")] = "text",
    caller_id: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--caller-id", help="the caller's number (one file; else NAME.json's \"from\")"),
    ] = None,
    mailbox: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help='the mailbox called (one file; else NAME.json\'s "mailbox")'),
    ] = None,
    started_at: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--started-at", help="the call's start, ISO 8601 (one file; else NAME.json's \"started_at\")"
        ),
    ] = None,
) -> None:
    """Transcribe and summarise files locally (no server, no database).

    A NAME.json beside NAME.wav is read as its call record, the JSON `voice submit` sends ("from", "to",
    "mailbox", "started_at"; its "language", e.g. "en,es", is the file's unless --language is given). Triage
    then reads the call as the service would: numbers said without a country code in the mailbox's region
    (VOICE_SUMMARY__MAILBOX_REGIONS), else the caller id's country, else the default region; times against
    the call's start. --caller-id, --mailbox and --started-at give a single file's record and win over its
    NAME.json. JSON output shows the call record used and the region."""
    from voice.core.memory import tune_malloc
    from voice.pipeline.process import analyse
    from voice.transcription.engines import ENGINES, get_engine

    settings = get_settings()
    if engine and engine not in ENGINES:
        raise typer.BadParameter(f"choose one of {', '.join(ENGINES)}", param_hint="--engine")
    flags = {"from": caller_id, "mailbox": mailbox, "started_at": started_at}
    if len(files) > 1 and any(flags.values()):
        raise typer.BadParameter(
            "--caller-id, --mailbox and --started-at describe one file; for several, put a NAME.json "
            "beside each NAME.wav"
        )
    calls = [_call(path, flags) for path in files]  # every record checked before the model loads
    # Files side by side, as many as the model runs at once (a single file gets every core).
    side_by_side = min(settings.transcription.parallel, len(files))
    tune_malloc(settings.worker.malloc_arenas, settings.worker.malloc_mmap_threshold_kb)  # as `voice serve`
    eng = get_engine(settings.transcription.model_copy(update={"parallel": side_by_side}), model, engine)

    def one(path: Path, call: Call) -> tuple[FileResult, CallContext, tuple[str, ...]]:
        context = _context(call, settings)
        mailbox_ = call.fields.get("mailbox")
        # As the service: the file's own languages, else its mailbox's expected ones, else the settings'.
        hint = settings.transcription.languages_for(mailbox_, language or call.language)
        with tempfile.TemporaryDirectory(prefix="voice-") as tmp:
            result = analyse(
                path, Path(tmp), settings, eng, hint, context, redact_pii=settings.redaction.applies(mailbox_)
            )
        return result, context, hint

    failures = 0  # printed in the order given
    with (
        Progress(console=err, transient=True, disable=not err.is_terminal) as progress,
        ThreadPoolExecutor(max(1, side_by_side)) as pool,
    ):
        task = progress.add_task("transcribing", total=len(files))
        for path, call, (result, context, hint) in zip(
            files, calls, pool.map(one, files, calls), strict=True
        ):
            progress.advance(task)
            failures += result.status == "failed"
            _print(path, result, eng, call, context, hint, format)
    raise typer.Exit(1 if failures == len(files) else 0)


def _call(path: Path, flags: dict[str, str | None]) -> Call:
    """NAME.json beside ``path`` with the flags over it, checked as the API checks a call record."""
    from pydantic import ValidationError

    from api.schemas import CallIn
    from voice.core.languages import known_languages

    sidecar = path.with_suffix(".json")
    raw: dict[str, Any] = {}
    if sidecar.exists():
        try:
            raw = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise typer.BadParameter(f"{sidecar} is not a JSON call record: {exc}") from None
        if not isinstance(raw, dict):
            raise typer.BadParameter(f"{sidecar} is not a JSON call record: an object is needed")
    raw = {**raw, **{k: v for k, v in flags.items() if v is not None}}
    try:
        call = CallIn.model_validate(raw)
    except ValidationError as exc:
        where = sidecar if sidecar.exists() else "the call record"
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise typer.BadParameter(f"{where}: {problems}") from None
    fields = {
        "from": call.from_number,
        "to": call.to_number,
        "mailbox": call.mailbox,
        "started_at": call.started_at,
    }
    try:
        languages = known_languages(raw.get("language"))  # "en,es" or ["en", "es"], as --language takes
    except (ValueError, TypeError, AttributeError) as exc:
        raise typer.BadParameter(f"{sidecar}: language: {exc}") from None
    return Call(sidecar if sidecar.exists() else None, fields, ",".join(languages) or None)


def _context(call: Call, settings: Settings) -> CallContext:
    from voice.triage.context import call_context

    # As the service: a call without a start is read as starting when it arrived, which is now.
    f = call.fields
    return call_context(
        f["from"], f["mailbox"], f["started_at"], settings.summary, received_at=datetime.now(UTC)
    )


def _print(
    path: Path,
    result: FileResult,
    eng: Engine,
    call: Call,
    context: CallContext,
    hint: tuple[str, ...],
    format: str,
) -> None:
    from voice.triage.context import region_of

    tr, sm = result.transcript, result.summary
    region = region_of(context)
    if format != "json":
        print(f"== {path} [{result.status}]" + (f" {result.reason}" if result.reason else ""))
        if call.record is not None or any(call.fields.values()):
            who = call.fields["from"] or "unknown caller"
            print(f"   call from {who} to {call.fields['mailbox'] or 'no mailbox'}; numbers read in {region}")
        if tr and tr.text:
            print(tr.text)
        if sm:
            print(f"Summary: {sm.text}")
        return
    started = call.fields["started_at"]
    record = {
        "file": str(path),
        "status": result.status,
        "reason": result.reason,
        "call": {
            "record": str(call.record) if call.record else None,
            **call.fields,
            "from": context.caller_id,  # in E.164, as the API stores it
            "started_at": started.isoformat() if started else None,
        },
        "region": region,
        "languages_expected": list(hint),
        "language": tr.language if tr else None,
        "duration_s": round(result.audio.duration_s, 3) if result.audio else None,
        "text": tr.text if tr else "",
        "segments": [s.as_dict() for s in tr.segments] if tr else [],
        "confidence": tr.confidence if tr else None,
        "summary": sm.as_dict() if sm else None,
        "engine": eng.name,
        "model": eng.model,
        "source": result.audio.source.as_dict() if result.audio else None,
        "timings": result.timings,
    }
    print(json.dumps(record, ensure_ascii=False), flush=True)
