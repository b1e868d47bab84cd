"""`voice eval`: quality measured on labelled data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from voice.cli.common import err
from voice.core.config import get_settings

app = typer.Typer(help="Measure quality on labelled data.", no_args_is_help=True)


@app.command("triage")
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
