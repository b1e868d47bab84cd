"""The ``voice`` command line: serve, transcribe files, submit files to a server, migrate."""

from __future__ import annotations

import json
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.console import Console
from rich.progress import Progress

from voice.core.config import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

app = typer.Typer(
    help="Voice: voicemail transcription and triage.", no_args_is_help=True, pretty_exceptions_enable=False
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
keys_app = typer.Typer(
    help="API keys (stored hashed; a key is shown once, when created).", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")
ingest_app = typer.Typer(help="Bring voicemails in from other systems.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
users_app = typer.Typer(help="People who sign in to the web inbox.", no_args_is_help=True)
app.add_typer(users_app, name="users")
eval_app = typer.Typer(help="Measure quality on labelled data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
retention_app = typer.Typer(help="Delete what the retention policy says is due.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")
storage_app = typer.Typer(help="Stored audio: encryption at rest.", no_args_is_help=True)
app.add_typer(storage_app, name="storage")
KeyOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--key", envvar="VOICE_API_KEY", help="API key (or set VOICE_API_KEY)", show_default=False),
]
err = Console(stderr=True)

AUDIO_SUFFIXES = {".wav", ".mp3", ".ogg", ".opus", ".amr", ".awb", ".m4a", ".aac", ".flac", ".webm", ".gsm"}


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="bind address")] = None,  # noqa: UP045
    port: Annotated[Optional[int], typer.Option(help="port")] = None,  # noqa: UP045
    worker: Annotated[bool, typer.Option(help="run the embedded worker")] = True,
    workers: Annotated[
        int, typer.Option(help="API processes (with VOICE_DISPATCH=celery; the embedded worker wants 1)")
    ] = 1,
) -> None:
    """Run the HTTP API with the in-process worker."""
    import os

    import uvicorn

    settings = get_settings()
    if workers > 1 and settings.dispatch == "local" and worker:
        raise typer.BadParameter(
            "several API processes each with an embedded worker would load the model several times: "
            "use VOICE_DISPATCH=celery with `voice worker`, or --no-worker",
            param_hint="--workers",
        )
    # The app is built in each API process from the environment, so the flag travels there.
    os.environ["VOICE_WORKER__ENABLED"] = "true" if worker else "false"
    settings.worker.enabled = worker
    # A string reference keeps voice/ from importing api/ (api imports voice, never the reverse).
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host or settings.api.host,
        port=port or settings.api.port,
        workers=workers,
        log_level=settings.log_level.lower(),
    )


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="worker processes (one transcription each)")] = 1,
    queues: Annotated[Optional[str], typer.Option(help="comma-separated (default: both)")] = None,  # noqa: UP045
) -> None:
    """Run a Celery worker (VOICE_DISPATCH=celery): the pipeline for voicemails sent by `voice serve`."""
    import os

    from voice.core import logs
    from voice.core.memory import limit_malloc_arenas
    from voice.storage import db, vault
    from voice.worker.celery_app import app_for

    settings = get_settings()
    logs.setup(settings.log_level)  # before Celery's: it then keeps this root handler, redacting
    vault.private_dir(settings.data_dir)
    db.upgrade(settings.db_url)
    limit_malloc_arenas(settings.worker.malloc_arenas)  # inherited by the prefork children

    names = queues or f"{settings.celery.queue},{settings.celery.reprocess_queue}"
    # A node name per process: two workers on one host must not share one (RabbitMQ refuses the second).
    node = f"voice-{os.getpid()}@%h"
    app_for(settings).worker_main(
        ["worker", f"--hostname={node}", f"--concurrency={concurrency}", f"--queues={names}",
         f"--loglevel={settings.log_level}", "--pool=prefork", "--without-gossip", "--without-mingle",
         "--without-heartbeat"]
    )  # fmt: skip


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Queue depth, jobs in flight, overdue voicemails, webhook backlog and stage timings (last hour)."""
    from rich.table import Table

    from voice.usecases.stats import snapshot

    with _session() as session:
        snap = snapshot(session)
    if as_json:
        print(
            json.dumps(
                {
                    "queued": snap.queued,
                    "in_flight": snap.in_flight,
                    "overdue": snap.overdue,
                    "by_status": snap.by_status,
                    "webhooks": snap.webhooks,
                    "stages": {k: {str(q): v for q, v in qs.items()} for k, qs in snap.stages.items()},
                }
            )
        )
        return
    console = Console()
    console.print(
        f"queued {snap.queued}, in flight {snap.in_flight}, overdue {snap.overdue}, "
        f"processed in the last hour {snap.revisions_last_hour}"
    )
    console.print("by status: " + ", ".join(f"{k} {v}" for k, v in sorted(snap.by_status.items())))
    console.print("webhooks: " + (", ".join(f"{k} {v}" for k, v in sorted(snap.webhooks.items())) or "none"))
    table = Table(title="seconds per stage, last hour")
    for column in ("stage", "p50", "p95", "p99"):
        table.add_column(column, justify="right" if column != "stage" else "left")
    for stage, qs in snap.stages.items():
        table.add_row(stage.removesuffix("_s"), *(f"{qs[q]:.2f}" for q in (0.5, 0.95, 0.99)))
    console.print(table)  # fmt: skip


@app.command()
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


@app.command()
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
    files = sorted(
        p
        for path in paths
        for p in ([path] if path.is_file() else path.iterdir())
        if p.suffix.lower() in AUDIO_SUFFIXES
    )

    def say(line: str, style: str | None = None) -> None:  # one line each, whatever the terminal's width
        err.print(line, style=style, markup=False, highlight=False, soft_wrap=True)

    def waiting(line: str) -> None:
        say(line, "yellow")

    def refused_key(r: httpx.Response) -> None:
        if r.status_code in (401, 403):
            say(f"{apiclient.detail(r)} (pass --key or set VOICE_API_KEY)", "red")
            raise typer.Exit(2)

    deadline = time.monotonic() + timeout
    ids: dict[str, Path] = {}
    problems = 0
    with httpx.Client(base_url=url, timeout=60, headers=headers) as client:
        try:
            for f in files:
                call_json = f.with_suffix(".json")
                data = {"call": call_json.read_text()} if call_json.exists() else {}
                with f.open("rb") as fh:
                    r = apiclient.send(
                        client,
                        "POST",
                        "/v1/voicemails",
                        deadline=deadline,
                        on_wait=waiting,
                        files={"file": (f.name, fh)},
                        data=data,
                    )
                refused_key(r)
                if r.status_code != 202:
                    problems += 1
                    say(f"{f}: not queued, {apiclient.ApiError(r)}", "red")
                    continue
                ids[r.json()["id"]] = f
                say(f"queued {f} as {r.json()['id']}")
            pending = set(ids) if wait else set()
            while pending and time.monotonic() < deadline:
                try:
                    finished, gone = apiclient.finished_voicemails(
                        client, pending, deadline=deadline, on_wait=waiting
                    )
                except apiclient.ApiError as exc:
                    if exc.status_code in (401, 403):
                        raise
                    waiting(f"could not ask how the voicemails are doing ({exc}); asking again")
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
                    say(f"{ids[vm_id].name}: {vm_id} is no longer on the server", "red")
                if pending:  # a second a round, longer for many: a round costs one request per 100
                    time.sleep(min(10.0, max(1.0, len(pending) / 100)))
        except apiclient.ApiError as exc:
            say(f"{exc} (pass --key or set VOICE_API_KEY)", "red")
            raise typer.Exit(2) from None
        except httpx.HTTPError as exc:
            say(f"cannot reach {url}: {exc}", "red")
            raise typer.Exit(1) from None
    if pending:
        say(f"{len(pending)} voicemail(s) still processing after {timeout:.0f} s")
        problems += 1
    raise typer.Exit(1 if problems else 0)


def _when(value: str | None, option: str) -> datetime | None:
    """An ISO date or date-time from the command line; naive means UTC."""
    from datetime import UTC, datetime

    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            "use an ISO date or time, e.g. 2026-11-01 or 2026-11-01T08:00", param_hint=option
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


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


@app.command()
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
    sm = _sessionmaker()
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
            since=_when(since, "--since"),
            until=_when(until, "--until"),
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
            run = runs.create_run(session, selection, target, _cli_actor(), executor)
            made = {"run_id": run.id, "voicemails": run.selected, "stage": run.stage}
            audit.record(session, _cli_actor(), "reprocess", None, **made)
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


@app.command()
def revisions(
    voicemail_id: Annotated[str, typer.Argument(help="voicemail id")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """A voicemail's transcript revisions side by side, with the word error rate between each and the last."""
    from rich.table import Table

    from voice.storage import store
    from voice.usecases.reprocess import revision_rows_out

    with _session() as session:
        vm = store.get_voicemail(session, voicemail_id)
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


def _cli_actor() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


@app.command()
def erase(
    caller: Annotated[str, typer.Option(help="the calling number, any format")],
    dry_run: Annotated[bool, typer.Option(help="show what would be erased")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """Erase every voicemail and call record of a calling number (audio, transcripts, notes, history)."""
    from voice.usecases import erasure

    settings = get_settings()
    sm = _sessionmaker()
    found = erasure.erase_caller(sm, settings, caller, _cli_actor(), dry_run=True)
    busy = f", {len(found.skipped)} still processing (left for now)" if found.skipped else ""
    counts = f"{found.revisions} revisions, {found.notes} notes"
    print(f"{caller}: {len(found.voicemails)} voicemails ({counts}){busy}")
    if dry_run or not found.voicemails:
        return
    if not yes and not typer.confirm("Erase them for good?"):
        raise typer.Exit(1)
    done = erasure.erase_caller(sm, settings, caller, _cli_actor())
    print(
        f"erased {len(done.voicemails)} voicemails, {done.call_records} call records, "
        f"{done.revisions} revisions, {done.notes} notes, {done.audio_files} audio files; "
        f"the audit trail keeps {done.caller}"
    )


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[bool, typer.Option(help="show what would be deleted")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Apply the retention policy now (`voice serve` also does, every VOICE_RETENTION__INTERVAL_S)."""
    from voice.usecases import retention

    settings = get_settings()
    sm = _sessionmaker()
    total = retention.RetentionReport(dry_run=dry_run)
    while True:  # in batches, until nothing is due
        report = retention.apply(sm, settings, dry_run=dry_run)
        total.audio += report.audio
        total.voicemails += report.voicemails
        total.audio_files += report.audio_files
        total.orphans += report.orphans
        if dry_run or not (report.audio or report.voicemails):
            break
    if as_json:
        out = {"audio": total.audio, "voicemails": total.voicemails, "orphans": total.orphans}
        print(json.dumps({"dry_run": dry_run, **out}))
        return
    r = settings.retention
    verb = "would delete" if dry_run else "deleted"
    audio = f"audio after {r.audio_days:g} days" if r.audio_days else "audio kept"
    whole = f"everything after {r.delete_days:g} days" if r.delete_days else "transcripts kept"
    overrides = f", {len(r.mailboxes)} mailbox overrides" if r.mailboxes else ""
    print(
        f"{verb}: audio of {len(total.audio)} voicemails, {len(total.voicemails)} voicemails whole"
        f" (policy: {audio}, {whole}{overrides}); {len(total.orphans)} audio folders without a voicemail"
    )
    for vm_id in total.audio:
        print(f"  audio      {vm_id}")
    for vm_id in total.voicemails:
        print(f"  voicemail  {vm_id}")
    for folder in total.orphans:
        print(f"  orphan     {folder}")


@storage_app.command("rekey")
def storage_rekey() -> None:
    """Encrypt every stored audio file with the current key: plain files (written before a key was set)
    and files under an old key (after a rotation). Safe to run again; run it with the service up."""
    from sqlalchemy import select

    from voice.storage import vault
    from voice.storage.models import Voicemail

    settings = get_settings()
    keyring = vault.keyring(settings.storage)
    if not keyring.enabled:
        raise typer.BadParameter("no key: set VOICE_STORAGE__ENCRYPTION_KEY first")

    rewritten = kept = 0
    with _session() as session:
        rows = session.execute(select(Voicemail.source_path, Voicemail.audio_path)).all()
    for row in rows:
        for name in row:
            path = Path(name) if name else None
            if path is None or not path.is_file():
                continue
            if vault.encrypt_file(path, keyring):
                rewritten += 1
            else:
                kept += 1
    print(f"encrypted {rewritten} audio files with the current key; {kept} already were")


@app.command("audit")
def audit_log(
    since: Annotated[Optional[str], typer.Option(help="ISO date/time (UTC)")] = None,  # noqa: UP045
    until: Annotated[Optional[str], typer.Option(help="ISO date/time (UTC)")] = None,  # noqa: UP045
    actor: Annotated[Optional[str], typer.Option(help='e.g. "key:crm", "user:dana"')] = None,  # noqa: UP045
    action: Annotated[Optional[str], typer.Option(help="read, list, listen, export, update, ...")] = None,  # noqa: UP045
    voicemail: Annotated[Optional[str], typer.Option(help="one voicemail's id")] = None,  # noqa: UP045
    limit: Annotated[int, typer.Option(help="at most this many")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object a line")] = False,
) -> None:
    """The audit trail: who read, changed, reprocessed, exported or erased which voicemail."""
    from voice.storage import audit

    with _session() as session:
        found = audit.events(
            session,
            audit.AuditFilter(_when(since, "--since"), _when(until, "--until"), actor, action, voicemail),
            limit,
        )
    for e in found:
        if as_json:
            row = {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "voicemail": e.voicemail_id}
            print(json.dumps({**row, "detail": e.detail}, ensure_ascii=False))
        else:
            detail = " ".join(f"{k}={v}" for k, v in (e.detail or {}).items())
            print(f"{str(e.at)[:19]}  {e.actor:<24} {e.action:<9} {e.voicemail_id or '-':<32} {detail}")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply Alembic migrations to the configured database."""
    from voice.storage import db

    settings = get_settings()
    db.upgrade(settings.db_url, revision)
    err.print(f"database at revision {revision}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help='"0006", "-1" (one back) or "base" (drops everything)')],
) -> None:
    """Undo migrations down to REVISION (for rolling back a release; back up first)."""
    from voice.storage import db

    settings = get_settings()
    db.downgrade(settings.db_url, revision)
    err.print(f"database at revision {revision}")


@ingest_app.command("asterisk")
def ingest_asterisk(
    spool: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="e.g. /var/spool/asterisk/voicemail")
    ],
    url: Annotated[str, typer.Option(help="Voice server base URL")] = "http://127.0.0.1:8000",
    key: KeyOption = None,
    watch: Annotated[bool, typer.Option(help="keep watching the spool for new messages")] = False,
    interval: Annotated[float, typer.Option(help="seconds between scans with --watch")] = 5.0,
    settle: Annotated[float, typer.Option(help="a message must be unchanged this long")] = 2.0,
    state: Annotated[Optional[Path], typer.Option(help="file remembering what was sent")] = None,  # noqa: UP045
) -> None:
    """Send app_voicemail messages (INBOX/msgNNNN.txt + audio) to a Voice server, each once.

    The server refuses a message it already has (source asterisk + msg_id), so a lost state file or
    two ingesters never make duplicates; the state file only saves re-uploading. A message that cannot
    be sent (audio linked from outside the spool, refused by the server) is skipped with a warning and
    remembered, until its file changes; the exit status is 1 when a scan met such a message."""
    import hashlib

    import httpx

    from voice.integrations import asterisk

    if not key:
        raise typer.BadParameter("an ingest key is needed (--key or VOICE_API_KEY)", param_hint="--key")
    digest = hashlib.sha256(str(spool.resolve()).encode()).hexdigest()[:12]
    state_path = state or get_settings().data_dir / "ingest" / f"asterisk-{digest}.json"
    problems = 0
    with httpx.Client(base_url=url, timeout=120, headers={"Authorization": f"Bearer {key}"}) as client:
        ingester = asterisk.Ingester(
            spool,
            client,
            asterisk.State(state_path),
            settle,
            get_settings().summary.default_region,
            out=lambda line: print(line, flush=True),
            warn=lambda line: err.print(line, style="yellow", markup=False, highlight=False, soft_wrap=True),
        )
        while True:
            try:
                problems += ingester.scan_once()
            except asterisk.KeyRefused as exc:
                err.print(str(exc), style="red", markup=False, highlight=False, soft_wrap=True)
                raise typer.Exit(2) from None
            if not watch:
                break
            time.sleep(interval)
    raise typer.Exit(1 if problems else 0)


@eval_app.command("triage")
def eval_triage(
    file: Annotated[Optional[Path], typer.Option(help="labelled JSONL (default: tests/data/triage)")] = None,  # noqa: UP045
    split: Annotated[str, typer.Option(help="dev | test | all")] = "all",
    misses: Annotated[bool, typer.Option(help="list every wrong field")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Per-field accuracy of the built-in triage on a labelled set of transcripts."""
    from rich.table import Table

    from voice.triage import evaluate

    path = file or evaluate.DEFAULT_SET
    if not path.exists():
        raise typer.BadParameter(f"{path} not found; pass --file", param_hint="--file")
    examples = evaluate.load(path, split)
    report = evaluate.evaluate(examples, region=get_settings().summary.default_region)
    if as_json:
        print(json.dumps({"n": report.n, "ms_per_voicemail": report.ms_per_voicemail, **report.metrics}))
        return
    table = Table(title=f"triage on {report.n} voicemails ({split}) from {path.name}")
    table.add_column("field")
    table.add_column("score", justify="right")
    for name, value in report.metrics.items():
        table.add_row(name, f"{value:.1f}" if "words" in name else f"{value:.3f}")
    table.add_row("ms per voicemail", f"{report.ms_per_voicemail:.2f}")
    Console().print(table)
    langs = ", ".join(f"{k} {v}" for k, v in sorted(evaluate.languages(examples).items()))
    err.print(f"languages: {langs}")
    if misses:
        for vm_id, field, detail in report.confusions:
            print(f"{vm_id}  {field:<16} {detail}")


def _read_password(from_stdin: bool) -> str:
    import sys

    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="the name they sign in with")],
    role: Annotated[str, typer.Option(help="agent | admin")] = "agent",
    password_stdin: Annotated[bool, typer.Option(help="read the password from standard input")] = False,
) -> None:
    """Create a user (asks for the password twice, or reads one line with --password-stdin)."""
    from voice.storage import users

    password = _read_password(password_stdin)
    with _session() as session:
        try:
            user = users.create_user(session, username, password, role)
        except users.UserError as exc:
            raise typer.BadParameter(str(exc)) from exc
        session.commit()
    err.print(f"created {role} {user.username!r}")


@users_app.command("list")
def users_list() -> None:
    """Every user with role, last sign-in and state."""
    from voice.storage import users

    with _session() as session:
        for u in users.list_users(session):
            state = "disabled" if u.disabled_at else "active"
            print(f"{u.username:<24} {u.role:<6} {state:<9} last sign-in {u.last_login_at}")


@users_app.command("set-password")
def users_set_password(
    username: Annotated[str, typer.Argument()],
    password_stdin: Annotated[bool, typer.Option(help="read the password from standard input")] = False,
) -> None:
    """Give a user a new password."""
    from voice.storage import users

    password = _read_password(password_stdin)
    with _session() as session:
        try:
            users.set_password(session, username, password)
        except users.UserError as exc:
            raise typer.BadParameter(str(exc)) from exc
        session.commit()
    err.print(f"password changed for {username!r}; their web sessions were ended")


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Argument()]) -> None:
    """Stop a user from signing in and end their web sessions (their notes and history stay)."""
    from voice.storage import users

    with _session() as session:
        try:
            users.disable_user(session, username)
        except users.UserError as exc:
            raise typer.BadParameter(str(exc)) from exc
        session.commit()
    err.print(f"disabled {username!r}; their web sessions were ended")


def _sessionmaker() -> sessionmaker[Session]:
    """Sessions on the configured database, migrated first (the CLI may run before any server)."""
    from voice.storage import db

    settings = get_settings()
    db.upgrade(settings.db_url)
    return db.make_sessionmaker(db.make_engine(settings.db_url))


def _session() -> Session:
    return _sessionmaker()()


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="who uses it, e.g. crm")],
    role: Annotated[str, typer.Option(help="ingest | agent | admin")],
    webhook_url: Annotated[Optional[str], typer.Option(help="default completion webhook URL")] = None,  # noqa: UP045
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Create a key and print it (the only time it is shown)."""
    from voice.storage import keys

    with _session() as session:
        try:
            new = keys.create_key(session, name, role, webhook_url)
        except keys.ApiKeyError as exc:
            raise typer.BadParameter(str(exc)) from exc
        session.commit()
    if as_json:
        print(
            json.dumps(
                {
                    "id": new.id,
                    "name": new.name,
                    "role": new.role,
                    "key": new.key,
                    "webhook_secret": new.webhook_secret,
                    "webhook_url": new.webhook_url,
                }
            )
        )
        return
    print(new.key)
    err.print(f"key {new.name!r} ({new.role}) id {new.id}", soft_wrap=True)
    err.print(f"webhook secret: {new.webhook_secret}", soft_wrap=True)
    err.print("Store the key now: it cannot be shown again.")


@keys_app.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Every key with its role and state (never the secrets)."""
    from voice.storage import keys

    with _session() as session:
        rows = keys.list_keys(session)
    out = [
        {
            "id": r.id,
            "name": r.name,
            "role": r.role,
            "prefix": r.prefix,
            "created_at": r.created_at.isoformat(),
            "last_used_at": r.last_used_at and r.last_used_at.isoformat(),
            "revoked": r.revoked_at is not None,
        }
        for r in rows
    ]
    if as_json:
        print(json.dumps(out))
        return
    for r in out:
        state = "revoked" if r["revoked"] else "active"
        print(
            f"{r['id']}  {r['name']:<20} {r['role']:<7} vk_{r['prefix']}_…  {state}"
            f"  last used {r['last_used_at']}"
        )


@keys_app.command("revoke")
def keys_revoke(key: Annotated[str, typer.Argument(help="key id or name")]) -> None:
    """Revoke a key: it stops working at once."""
    from voice.storage import keys

    with _session() as session:
        try:
            row = keys.revoke_key(session, key)
        except keys.ApiKeyError as exc:
            raise typer.BadParameter(str(exc)) from exc
        session.commit()
    err.print(f"revoked {row.name!r} ({row.id})")


def main() -> None:
    import os

    from voice.core import logs

    # Whatever a Voice process writes (database, audio, ffmpeg's output, state files) is its user's alone.
    os.umask(0o077)
    logs.setup()  # every command's log lines lose URLs' query strings and passwords
    app(prog_name="voice")


if __name__ == "__main__":
    main()
