"""`voice status`: how the queue and the pipeline are doing."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from voice.cli.common import open_session


def status(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Queue depth, jobs in flight, overdue voicemails, webhook backlog and stage timings (last hour)."""
    from rich.table import Table

    from voice.usecases.stats import snapshot

    with open_session() as session:
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
                    "notifications": snap.notifications,
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
    told = ", ".join(f"{k} {v}" for k, v in sorted(snap.notifications.items()))
    console.print("notifications: " + (told or "none"))
    table = Table(title="seconds per stage, last hour")
    for column in ("stage", "p50", "p95", "p99"):
        table.add_column(column, justify="right" if column != "stage" else "left")
    for stage, qs in snap.stages.items():
        table.add_row(stage.removesuffix("_s"), *(f"{qs[q]:.2f}" for q in (0.5, 0.95, 0.99)))
    console.print(table)  # fmt: skip
