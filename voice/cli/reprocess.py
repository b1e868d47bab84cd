"""`voice reprocess` (make, resume and follow a reprocessing run) and `voice revisions`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.progress import Progress

from voice.cli.common import cli_actor, err, open_session, parse_when, session_factory
from voice.core.config import get_settings


def _rate(value: str | None) -> float | None:
    """ "30/min", "2/s", "120/h" or a bare number per minute."""
    if not value:
        return None
    number, _, unit = value.strip().partition("/")
    per = {"": 1.0, "min": 1.0, "m": 1.0, "s": 60.0, "sec": 60.0, "h": 1 / 60, "hour": 1 / 60}.get(
        unit.strip()
    )
    try:
        rate = float(number) * per if per is not None else -1.0
    except ValueError:
        rate = -1.0
    if rate <= 0:
        raise typer.BadParameter("say how many per minute, e.g. 30/min (or 2/s, 600/h)", param_hint="--rate")
    return rate


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    return (
        f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
        if seconds >= 3600
        else f"{seconds // 60}m{seconds % 60:02d}s"
    )


def _progress_line(p: Any) -> str:
    c = p.counts
    rate = f"{p.per_min:.1f}/min" if p.per_min is not None else "-/min"
    speed = f", {p.audio_per_wall:.1f} audio s/s" if p.audio_per_wall is not None else ""
    return (
        f"run {p.run_id} {p.state}: {p.ended}/{p.selected} ended (done {c['done']}, failed {c['failed']}, "
        f"skipped {c['skipped']}), in flight {c['queued'] + c['running']}, {rate}{speed}"
        + (f", ETA {_duration(p.eta_s)}" if p.state == "running" else "")
    )


def reprocess(
    ids: Annotated[
        Optional[list[str]], typer.Argument(help="voicemail ids (or use --ids-file / filters)")  # noqa: UP045
    ] = None,
    ids_file: Annotated[
        Optional[Path], typer.Option(exists=True, dir_okay=False, help="a file of ids, one a line")  # noqa: UP045
    ] = None,
    since: Annotated[Optional[str], typer.Option(help="received at or after (ISO date/time, UTC)")] = None,  # noqa: UP045
    until: Annotated[Optional[str], typer.Option(help="received before (ISO date/time, UTC)")] = None,  # noqa: UP045
    mailbox: Annotated[Optional[str], typer.Option(help="this mailbox only")] = None,  # noqa: UP045
    status: Annotated[Optional[str], typer.Option(help="done | no_speech | failed")] = None,  # noqa: UP045
    language: Annotated[Optional[str], typer.Option(help="current transcript's language")] = None,  # noqa: UP045
    current_engine: Annotated[
        Optional[str], typer.Option(help="current transcript made by this engine")  # noqa: UP045
    ] = None,
    current_model: Annotated[
        Optional[str], typer.Option(help="current transcript made with this model")  # noqa: UP045
    ] = None,
    intent: Annotated[Optional[str], typer.Option(help="current triage intent, e.g. billing")] = None,  # noqa: UP045
    confidence_below: Annotated[
        Optional[float], typer.Option(help="current transcript confidence under this (0-1)")  # noqa: UP045
    ] = None,
    stage: Annotated[
        str, typer.Option(help="transcribe (audio again) | summarise (stored transcript)")
    ] = "transcribe",
    engine: Annotated[Optional[str], typer.Option(help="engine for the new transcripts")] = None,  # noqa: UP045
    model: Annotated[Optional[str], typer.Option(help="model for the new transcripts")] = None,  # noqa: UP045
    summariser: Annotated[Optional[str], typer.Option(help="builtin | llm (default: as configured)")] = None,  # noqa: UP045
    rate: Annotated[Optional[str], typer.Option(help="at most this many, e.g. 30/min")] = None,  # noqa: UP045
    dry_run: Annotated[
        bool, typer.Option(help="print how many and how many audio minutes, then stop")
    ] = False,
    resume: Annotated[Optional[str], typer.Option(help="carry on with this run id")] = None,  # noqa: UP045
    detach: Annotated[bool, typer.Option(help="make the run and leave it to the service's workers")] = False,
) -> None:
    """Re-run chosen voicemails with a new model or summariser; each gets a new transcript revision.

    With VOICE_DISPATCH=local this process does the work (at lower CPU priority); with celery it feeds the
    reprocessing queue. Ctrl-C pauses the run: `voice reprocess --resume RUN_ID` carries on."""

    from voice.storage import audit, runs
    from voice.transcription.engines import ENGINES

    settings = get_settings()
    sm = session_factory()
    if engine and engine not in ENGINES:
        raise typer.BadParameter(f"choose one of {', '.join(ENGINES)}", param_hint="--engine")
    if status and status not in ("done", "no_speech", "failed"):
        raise typer.BadParameter("choose done, no_speech or failed", param_hint="--status")
    # With the local dispatcher this process works the run, unless it is left to `voice serve` (--detach).
    executor = "cli" if settings.dispatch == "local" and not detach else "service"
    if resume:
        with sm() as session:
            try:
                run = runs.resume(session, resume, executor=executor)
            except runs.RunError as exc:
                raise typer.BadParameter(str(exc), param_hint="--resume") from exc
            session.commit()
            run_id, selected, audio_s = run.id, run.selected, run.audio_s
        err.print(f"resuming run {run_id}")
    else:
        chosen = [*(ids or []), *(ids_file.read_text().split() if ids_file else [])]
        selection = runs.Selection(
            ids=tuple(dict.fromkeys(chosen)),
            since=parse_when(since, "--since"),
            until=parse_when(until, "--until"),
            mailbox=mailbox,
            status=status,
            language=language,
            engine=current_engine,
            model=current_model,
            intent=intent,
            confidence_below=confidence_below,
        )
        target = runs.Target(stage, engine, model, summariser, _rate(rate))
        try:
            target.check(bool(settings.summary.llm.base_url))
        except runs.RunError as exc:
            raise typer.BadParameter(str(exc)) from exc
        with sm() as session:
            if dry_run:
                found = runs.preview(session, selection)
                minutes = found.audio_s / 60
                print(f"{found.count} voicemails, {minutes:.1f} audio minutes (dry run: nothing changed)")
                if found.not_taken:
                    listed = " ".join(found.not_taken[:20])
                    err.print(f"{len(found.not_taken)} id(s) unknown or still processing: {listed}")
                return
            run = runs.create_run(session, selection, target, cli_actor(), executor)
            made = {"run_id": run.id, "voicemails": run.selected, "stage": run.stage}
            audit.record(session, cli_actor(), "reprocess", None, **made)
            session.commit()
            run_id, selected, audio_s = run.id, run.selected, run.audio_s
        print(f"run {run_id}: {selected} voicemails, {audio_s / 60:.1f} audio minutes", flush=True)
    if detach:
        err.print("left to the service's workers; follow it with GET /v1/reprocess-runs/" + run_id)
        return
    try:
        final = _follow(settings, sm, run_id, selected)
    except KeyboardInterrupt:
        err.print(f"paused; carry on with: voice reprocess --resume {run_id}")
        raise typer.Exit(130) from None
    print(_progress_line(final), flush=True)
    raise typer.Exit(1 if final.counts["failed"] and not final.counts["done"] else 0)


def _follow(settings: Any, sm: Any, run_id: str, selected: int) -> Any:
    """Work (local) or feed (celery) the run, showing progress: a bar on a terminal, lines otherwise."""
    import os

    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn

    from voice.storage import runs
    from voice.usecases import reprocess

    last_line = [0.0]
    with Progress(
        TextColumn("reprocessing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        TextColumn("{task.fields[detail]}"), console=err, disable=not err.is_terminal,
    ) as bar:  # fmt: skip
        task = bar.add_task("run", total=selected, detail="")

        def show(p: runs.Progress) -> None:
            c = p.counts
            bar.update(task, completed=p.ended, detail=f"failed {c['failed']} skipped {c['skipped']}")
            if not err.is_terminal and time.monotonic() - last_line[0] >= 5:
                last_line[0] = time.monotonic()
                print(_progress_line(p), flush=True)

        if settings.dispatch == "celery":
            from voice.worker.dispatch import Dispatch

            dispatch = Dispatch(settings)
            try:
                while True:
                    dispatch.pump_runs(sm)
                    with sm() as session:
                        p = runs.progress(session, run_id)
                    show(p)
                    if p.state != "running" or not any(p.counts[s] for s in ("pending", "queued", "running")):
                        return p
                    time.sleep(1.0)
            except KeyboardInterrupt:
                with sm() as session:
                    runs.pause(session, run_id)
                    session.commit()
                raise
            finally:
                dispatch.close()
        os.nice(max(0, settings.reprocess.nice))  # a `voice serve` on this host keeps the CPU for fresh ones
        return reprocess.work_through(settings, sm, run_id, on_progress=show)


def revisions(
    voicemail_id: Annotated[str, typer.Argument(help="voicemail id")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """A voicemail's transcript revisions side by side, with the word error rate between each and the last."""
    from rich.table import Table

    from voice.storage import inbox
    from voice.usecases.reprocess import revision_rows_out

    with open_session() as session:
        vm = inbox.get_voicemail(session, voicemail_id)
        if vm is None:
            raise typer.BadParameter(f"no voicemail {voicemail_id}")
        rows = revision_rows_out(session, vm)
    if as_json:
        print(json.dumps(rows, default=str, ensure_ascii=False))
        return
    table = Table(title=f"voicemail {voicemail_id}: {len(rows)} revision(s)", show_lines=True)
    for column in ("#", "made", "engine / model", "summariser", "run", "WER vs prev %", "text", "summary"):
        table.add_column(column, overflow="fold")
    for r in rows:
        wer = "" if r["wer_vs_previous"] is None else f"{r['wer_vs_previous']:.1f}"
        table.add_row(
            f"{r['number']}{' *' if r['current'] else ''}", str(r["created_at"])[:19],
            f"{r['engine']} {r['model']}", r["summariser"] or "", (r["run_id"] or "")[:8], wer, r["text"],
            r["summary"] or "",
        )  # fmt: skip
    Console().print(table)
    err.print("* current revision")
