"""The benchmark's tables: one row per set and engine, then each set's groups side by side; printed with rich,
or as Markdown for bench/README.md (``python -m bench.report results.json``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ENGINES = ("openai-whisper", "voice")
COLUMNS = (
    "model", "set", "engine", "files", "audio s", "wall s", "audio s / s", "ratio", "WER %", "WER dev %",
    "WER test %", "no-speech words", "false no-speech", "p50 s", "p95 s", "peak MB",
)  # fmt: skip
GROUP_COLUMNS = (
    "group",
    "files",
    "audio s",
    "reference s",
    "Voice s",
    "ratio",
    "reference WER %",
    "Voice WER %",
    "difference (95% interval)",
)
TEXT_COLUMNS = ("model", "set", "engine", "group")


def main_rows(report: dict[str, Any]) -> Iterator[list[str]]:
    for model, run in report["models"].items():
        for set_name, rows in run["sets"].items():
            for engine in (e for e in ENGINES if e in rows):
                r, g, voice = rows[engine], rows["groups"], engine == "voice"
                yield [
                    model, set_name, engine, str(r["files"]), f"{r['audio_s']:.0f}", f"{r['wall_s']:.1f}",
                    _num(r["throughput"]), _ratio(r, engine), _num(r["wer"], 1),
                    _group_wer(g, "dev", engine), _group_wer(g, "test (held out)", engine),
                    str(r["no_speech_words"]), str(len(r["false_no_speech"])),
                    _num(run["latency_p50_s"]) if voice else "", _num(run["latency_p95_s"]) if voice else "",
                    _num(run["peak_rss_mb"] if voice else run["reference_peak_rss_mb"], 0),
                ]  # fmt: skip


def group_rows(groups: dict[str, Any]) -> Iterator[list[str]]:
    for name, row in groups.items():
        v, r = row["voice"], row.get("openai-whisper")
        yield [
            name, str(v["files"]), f"{v['audio_s']:.0f}", _num(r and r["wall_s"], 1), _num(v["wall_s"], 1),
            f"{row['ratio']:.2f}x" if "ratio" in row else "", _num(r and r["wer"], 1), _num(v["wer"], 1),
            _difference(row.get("wer_difference")),
        ]  # fmt: skip


def _difference(d: dict[str, float] | None) -> str:
    """Voice's WER minus the reference's, in points, and the 95% paired bootstrap interval over files."""
    return "" if not d else f"{d['points']:+.1f} ({d['low']:+.1f} to {d['high']:+.1f})"


def print_report(report: dict[str, Any]) -> None:
    console = Console(width=170)
    m = report["machine"]
    console.print(
        _table(f"Voice vs openai-whisper on {m['cores']} cores ({m['cpu']})", COLUMNS, main_rows(report))
    )
    for model, run in report["models"].items():
        for set_name, rows in run["sets"].items():
            title = f"{model}, {set_name} set, by group (Voice's time: the set's wall time by worker time)"
            console.print(_table(title, GROUP_COLUMNS, group_rows(rows["groups"])))
        _print_notes(model, run)


def markdown(report: dict[str, Any]) -> str:
    parts = [_markdown_table(COLUMNS, main_rows(report))]
    for model, run in report["models"].items():
        for set_name, rows in run["sets"].items():
            parts += [
                f"{model}, {set_name} set, by group:",
                _markdown_table(GROUP_COLUMNS, group_rows(rows["groups"])),
            ]
    return "\n\n".join(parts)


def _table(title: str, columns: tuple[str, ...], rows: Iterator[list[str]]) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="left" if column in TEXT_COLUMNS else "right")
    for row in rows:
        table.add_row(*row)
    return table


def _markdown_table(columns: tuple[str, ...], rows: Iterator[list[str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return "\n".join([*lines, *("| " + " | ".join(row) + " |" for row in rows)])


def _print_notes(model: str, run: dict[str, Any]) -> None:
    print(
        f"{model}: latency on a {run['latency_audio_s']} s voicemail p50 {_num(run['latency_p50_s'])} s, "
        f"WER {_num(run['latency_wer'], 1)}"
    )
    for set_name, rows in run["sets"].items():
        v = rows["voice"]
        print(f"  {set_name}: statuses {v['statuses']}; seconds per stage {v['stages_s']}")
        for engine in (e for e in ENGINES if e in rows):
            print(f"    {engine} WER by language {rows[engine]['wer_by_language']}")
            for name in rows[engine]["false_no_speech"]:
                print(f"    {engine}: no words for {name}")
        for failure in v["failures"]:
            print("    failed:", failure)


def _ratio(row: dict[str, Any], engine: str) -> str:
    if "ratio" in row:
        return f"{row['ratio']:.2f}x"
    return "1x" if engine == "openai-whisper" else "-"  # a --voice-only run has no reference


def _group_wer(groups: dict[str, Any], name: str, engine: str) -> str:
    row = groups.get(name, {}).get(engine)
    return _num(row and row["wer"], 1)


def _num(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


if __name__ == "__main__":
    print(markdown(json.loads(Path(sys.argv[1]).read_text())))
