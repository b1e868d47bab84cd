"""The long-running processes: the HTTP API (`voice serve`) and the Celery worker (`voice worker`)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from voice.cli.common import require_schema
from voice.core.config import get_settings


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
    require_schema(settings.db_url)  # the app checks again at start-up; here it is one line, not a traceback
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


def worker(
    concurrency: Annotated[int, typer.Option(help="worker processes (one transcription each)")] = 1,
    queues: Annotated[Optional[str], typer.Option(help="comma-separated (default: both)")] = None,  # noqa: UP045
) -> None:
    """Run a Celery worker (VOICE_DISPATCH=celery): the pipeline for voicemails sent by `voice serve`."""
    import os

    from voice.core import logs
    from voice.core.cpus import cores_each
    from voice.core.memory import tune_malloc
    from voice.storage import vault
    from voice.worker.celery_app import app_for

    settings = get_settings()
    logs.setup(settings.log_level)  # before Celery's: it then keeps this root handler, redacting
    vault.private_dir(settings.data_dir)
    require_schema(settings.db_url)  # here, not in each prefork child: one clear message, then no start
    # Inherited by the prefork children.
    tune_malloc(settings.worker.malloc_arenas, settings.worker.malloc_mmap_threshold_kb)
    # A prefork child takes one voicemail at a time: one transcription a process, the cores shared out among
    # the processes (transcription.parallel is for threads sharing one model, as in `voice serve`).
    threads = settings.transcription.cpu_threads or cores_each(concurrency)
    settings.transcription = settings.transcription.model_copy(update={"parallel": 1, "cpu_threads": threads})
    os.environ.update(VOICE_TRANSCRIPTION__PARALLEL="1", VOICE_TRANSCRIPTION__CPU_THREADS=str(threads))

    names = queues or f"{settings.celery.queue},{settings.celery.reprocess_queue}"
    # A node name per process: two workers on one host must not share one (RabbitMQ refuses the second).
    node = f"voice-{os.getpid()}@%h"
    app_for(settings).worker_main(
        ["worker", f"--hostname={node}", f"--concurrency={concurrency}", f"--queues={names}",
         f"--loglevel={settings.log_level}", "--pool=prefork", "--without-gossip", "--without-mingle",
         "--without-heartbeat"]
    )  # fmt: skip
