"""`voice ingest`: voicemails brought in from other systems (Asterisk's app_voicemail spool)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from voice.cli.common import KeyOption, err
from voice.core.config import get_settings

app = typer.Typer(help="Bring voicemails in from other systems.", no_args_is_help=True)


@app.command("asterisk")
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
