"""`voice transcribe`: files transcribed and summarised in this process, without a server or database."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import Progress

from voice.cli.common import err
from voice.core.config import get_settings


def transcribe(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="audio files")],
    engine: Annotated[Optional[str], typer.Option(help="faster-whisper | openai-whisper")] = None,  # noqa: UP045
    model: Annotated[Optional[str], typer.Option(help="tiny.en, base, ... or a folder")] = None,  # noqa: UP045
    language: Annotated[Optional[str], typer.Option(help="language hint, e.g. en")] = None,  # noqa: UP045
    format: Annotated[str, typer.Option("--format", help="text | json")] = "text",
) -> None:
    """Transcribe and summarise files locally (no server, no database)."""
    from voice.pipeline.process import analyse
    from voice.transcription.engines import ENGINES, get_engine

    settings = get_settings()
    if engine and engine not in ENGINES:
        raise typer.BadParameter(f"choose one of {', '.join(ENGINES)}", param_hint="--engine")
    eng = get_engine(settings.transcription, model=model, engine=engine)
    failures = 0
    with Progress(console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("transcribing", total=len(files))
        for path in files:
            with tempfile.TemporaryDirectory(prefix="voice-") as tmp:
                result = analyse(
                    path, Path(tmp), settings, eng, language, redact_pii=settings.redaction.redact_pii
                )
            progress.advance(task)
            failures += result.status == "failed"
            tr, sm = result.transcript, result.summary
            record = {
                "file": str(path),
                "status": result.status,
                "reason": result.reason,
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
            if format == "json":
                print(json.dumps(record, ensure_ascii=False), flush=True)
            else:
                print(f"== {path} [{result.status}]" + (f" {result.reason}" if result.reason else ""))
                if tr and tr.text:
                    print(tr.text)
                if sm:
                    print(f"Summary: {sm.text}")
    raise typer.Exit(1 if failures == len(files) else 0)
