"""`voice eval`: quality measured on labelled data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from voice.cli.common import err
from voice.core.config import get_settings

if TYPE_CHECKING:
    from voice.core.config import Settings
    from voice.pipeline.evaluation import Heard
    from voice.triage.evaluate import Example, Metric, Report

app = typer.Typer(help="Measure quality on labelled data.", no_args_is_help=True)

# Shown by --help through Rich, which would read "[kind, value]" as markup: hence the backslash.
ROW_FORMAT = """\
Labelled data is JSONL, one voicemail per line:
  "text" (or "transcript")  the words said, as a person would write them ("" for a hang-up)
  "language"                its ISO 639-1 code (en, es, de, fr, pt, it, zh...); default en
  "caller_id"               the caller's number, as the call record's "from" ("+34612345678")
  "mailbox"                 the mailbox called: its region is VOICE_SUMMARY__MAILBOX_REGIONS's
  "started_at"              the call's start, ISO 8601 ("2026-11-23T09:15:00Z"): "by 5" is read from it
  "audio"                   for --audio: the recording, a path relative to the JSONL file
  "id", "split"             the row's name (default FILE:LINE); "dev" (default) or "test" (held out)
  "expected"                the gold labels; a label left out is not scored for that row:
    "intent"                callback_request, appointment, billing, support, sales_lead, complaint,
                            cancellation, delivery, personal, wrong_number, spam_robocall, no_message, other
    "urgency"               low, normal, high or urgent
    "callback_number"       E.164 ("+12125550134"), or null when no number is said
    "caller_name"           as said ("Maria Lopez"), or null
    "organisation"          as said ("Acme Plumbing"), or null
    "email"                 "maria.lopez@acme.com", or null
    "references"            every reference said, [\\[kind, value], ...]: [["invoice", "4471"]]; [] for none
    "spam"                  true for a robocall or a scam
    "no_message"            true when nothing was said (default: intent is no_message)
Numbers said without a country code are read as the service reads them: in the mailbox's region, else the
caller id's country, else VOICE_SUMMARY__DEFAULT_REGION.
Example: {"id": "b1", "language": "en", "caller_id": "+12125550134", "started_at": "2026-11-23T09:15:00Z",
"text": "Hi, Maria from Acme, about invoice 4471, call me on 212 555 0188.", "expected": {"intent": "billing",
"urgency": "normal", "callback_number": "+12125550188", "caller_name": "Maria", "organisation": "Acme",
"email": null, "references": [["invoice", "4471"]], "spam": false}}"""

FileOption = Annotated[
    Optional[list[Path]],  # noqa: UP045
    typer.Option(
        "--file",
        exists=True,
        dir_okay=False,
        help="labelled JSONL, repeatable (default: tests/data/triage/*.jsonl)",
    ),
]


@app.command("triage", epilog=ROW_FORMAT)
def eval_triage(
    file: FileOption = None,
    # dev by default: --rows and --misses would otherwise print the held-out rows one should not tune on.
    # A row without "split" is dev, so anyone's own data is read whole.
    split: Annotated[str, typer.Option(help="dev | test (held out) | all")] = "dev",
    rows: Annotated[
        bool, typer.Option("--rows", help="print every row: what triage said, misses marked")
    ] = False,
    misses: Annotated[bool, typer.Option(help="list every wrong field, one a line")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON (no table)")] = False,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="also write the report as JSON to this file"),
    ] = None,
    audio: Annotated[
        bool,
        typer.Option(
            "--audio", help="also run the whole pipeline on each row's audio (rows without are left out)"
        ),
    ] = False,
    model: Annotated[Optional[str], typer.Option(help="--audio: tiny.en, base, ... or a folder")] = None,  # noqa: UP045
    engine: Annotated[Optional[str], typer.Option(help="--audio: faster-whisper | openai-whisper")] = None,  # noqa: UP045
    given_language: Annotated[
        bool,
        typer.Option("--given-language", help="--audio: give each row's language to Whisper (else detected)"),
    ] = False,
) -> None:
    """Score the built-in triage on labelled voicemails: every field it outputs, per language and over all.

    Each row's text is triaged with its call record read as the service reads it. With --audio, each row's
    recording also goes through the whole pipeline (normalise, detect speech, transcribe, triage; no
    database): each cell then reads "on text / on audio", so transcription and triage errors can be told
    apart, beside the transcript's word error rate against the row's text and how often its language was heard
    right."""
    from voice.triage import evaluate

    if split not in ("dev", "test", "all"):
        raise typer.BadParameter("choose dev, test or all", param_hint="--split")
    paths = file or evaluate.default_files()
    try:
        examples = evaluate.load_files(paths, split)
    except (OSError, evaluate.BadRow) as exc:
        raise typer.BadParameter(str(exc), param_hint="--file") from None
    if audio:
        examples = _with_audio(examples)
    if not examples:
        raise typer.BadParameter(f"no {split} rows in {', '.join(map(str, paths))}", param_hint="--split")
    settings = get_settings()
    text = evaluate.evaluate(examples, settings=settings.summary)
    heard = _hear(examples, settings, model, engine, given_language) if audio else None
    heard_report = evaluate.score([(h.example, h.triage) for h in heard]) if heard is not None else None
    doc = _document(paths, split, text, heard_report, heard)
    if output is not None:
        output.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if as_json:
        print(json.dumps(doc, ensure_ascii=False))
        return
    _table(text, heard_report, heard, f"{split} rows of {', '.join(p.name for p in paths)}")
    if rows:
        _rows(text, heard_report, heard)
    if misses:
        for vm_id, field, detail in text.confusions:
            print(f"{vm_id}  {field:<16} {detail}")


def _with_audio(examples: list[Example]) -> list[Example]:
    chosen = [ex for ex in examples if ex.audio is not None]
    missing = [str(ex.audio) for ex in chosen if ex.audio is not None and not ex.audio.is_file()]
    if missing:
        raise typer.BadParameter(f"audio not found: {', '.join(missing[:5])}", param_hint="--audio")
    if len(chosen) < len(examples):
        err.print(f"--audio: {len(examples) - len(chosen)} row(s) name no audio and are left out")
    return chosen


def _hear(
    examples: list[Example], settings: Settings, model: str | None, engine: str | None, given: bool
) -> list[Heard]:
    from rich.progress import Progress

    from voice.pipeline.evaluation import hear
    from voice.transcription.engines import ENGINES, get_engine

    if engine and engine not in ENGINES:
        raise typer.BadParameter(f"choose one of {', '.join(ENGINES)}", param_hint="--engine")
    eng = get_engine(settings.transcription, model=model, engine=engine)
    with Progress(console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("transcribing", total=len(examples))
        return hear(examples, settings, eng, given, lambda _: progress.advance(task))


def _document(
    paths: list[Path], split: str, text: Report, audio: Report | None, heard: list[Heard] | None
) -> dict[str, Any]:
    """The report as JSON: the text's scores at the top (as before --audio existed), the audio's beside."""
    doc: dict[str, Any] = {"files": [str(p) for p in paths], "split": split, **text.as_dict()}
    if audio is not None and heard is not None:
        from voice.pipeline.evaluation import asr_by_language, asr_metrics

        doc["audio"] = {
            **audio.as_dict(),
            "asr": asr_metrics(heard),
            "asr_by_language": asr_by_language(heard, list(audio.counts)),
            "heard": [h.as_dict() for h in heard],
        }
    return doc


def _cell(name: str, value: Metric) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if "words" in name else f"{value:.3f}"


def _table(text: Report, audio: Report | None, heard: list[Heard] | None, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"triage on {text.n} {title}" + (": on text / on audio" if audio else ""))
    table.add_column("field", no_wrap=True)
    for lang, n in text.counts.items():
        table.add_column(f"{lang} ({n})", justify="right")
    table.add_column(f"all ({text.n})", justify="right")
    for name, value in text.metrics.items():
        cells = [*(m[name] for m in text.by_language.values()), value]
        if audio is None:
            table.add_row(name, *(_cell(name, v) for v in cells))
            continue
        heard_cells = [*(audio.by_language[lang][name] for lang in text.counts), audio.metrics[name]]
        table.add_row(
            name, *(f"{_cell(name, t)} / {_cell(name, a)}" for t, a in zip(cells, heard_cells, strict=True))
        )
    if heard is not None:
        from voice.pipeline.evaluation import asr_by_language, asr_metrics

        by_language, overall = asr_by_language(heard, list(text.counts)), asr_metrics(heard)
        for name, value in overall.items():
            table.add_row(
                f"audio: {name}",
                *(_cell(name, by_language[lang][name]) for lang in text.counts),
                _cell(name, value),
            )
    table.add_row("ms per voicemail (text)", *([""] * len(text.counts)), f"{text.ms_per_voicemail:.2f}")
    console = Console()
    # Piped to a file or another program, the table keeps one line per field (rich would fold it to 80).
    (console if console.is_terminal else Console(width=200)).print(table)


def _rows(text: Report, audio: Report | None, heard: list[Heard] | None) -> None:
    """Each row: every field triage gave (✗ where it differs from the label), and what the audio gave."""
    from voice.triage.evaluate import FIELDS

    for i, row in enumerate(text.rows):
        ex = row.example
        print(f"== {ex.id} ({ex.language}, {ex.split}): {len(row.wrong)} wrong on text" + (
            f", {len(audio.rows[i].wrong)} on audio" if audio else ""))  # fmt: skip
        if heard is not None:
            h = heard[i]
            wer = h.as_dict()["wer"]
            print(f"   heard [{h.status}, {h.language}, WER {wer if wer is not None else '-'}]: {h.text}")
        for field in FIELDS:
            if field not in row.want:
                continue
            got = json.dumps(row.got[field], ensure_ascii=False)
            line = f" {'✗' if field in row.wrong else ' '} {field:<16} {got}"
            if audio is not None:
                heard_row = audio.rows[i]
                mark = "✗" if field in heard_row.wrong else " "
                line += f"  | audio {mark} {json.dumps(heard_row.got[field], ensure_ascii=False)}"
            if field in row.wrong or (audio is not None and field in audio.rows[i].wrong):
                line += f"  (expected {json.dumps(row.want[field], ensure_ascii=False)})"
            print(line)
