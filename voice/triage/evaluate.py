"""Score triage against labelled voicemails (JSONL; `voice eval triage --help` gives the fields): every field
triage outputs, over all rows and per language, row by row. The call context is built as the service builds it
(voice.triage.context), so a row's caller id, mailbox and start count as they would in production."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from voice.core.config import SummarySettings
from voice.triage.classify import triage
from voice.triage.context import call_context, parse_start
from voice.triage.model import INTENTS, CallContext, Triage

__all__ = [
    "DATA_DIR",
    "DEFAULT_SET",
    "FIELDS",
    "INTENTS",
    "BadRow",
    "Example",
    "Metric",
    "Report",
    "Row",
    "context_for",
    "default_files",
    "evaluate",
    "load",
    "load_files",
    "macro_f1",
    "score",
]

DATA_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "triage"
# The set the floors in tests/unit/test_evaluate.py were measured on; `voice eval triage` reads every *.jsonl.
DEFAULT_SET = DATA_DIR / "voicemails.jsonl"

# The fields scored, as triage outputs them; each row's gold labels use the same names.
FIELDS = (
    "intent",
    "urgency",
    "callback_number",
    "caller_name",
    "organisation",
    "email",
    "references",
    "spam",
    "no_message",
)


class BadRow(ValueError):
    """A labelled row that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Example:
    id: str
    split: str
    language: str
    transcript: str
    caller_id: str | None
    started_at: datetime | None
    expected: dict[str, Any]
    mailbox: str | None = None
    audio: Path | None = None  # resolved against the JSONL file's folder


def default_files() -> list[Path]:
    """Every labelled set in tests/data/triage."""
    return sorted(DATA_DIR.glob("*.jsonl"))


def load(path: Path, split: str = "all") -> list[Example]:
    """The rows of one JSONL file in ``split`` (dev, test or all)."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if split != "all" and row.get("split", "dev") != split:
                continue
            out.append(_example(row, path, number))
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise BadRow(f"{path}:{number}: {exc}") from None
    return out


def load_files(paths: Iterable[Path], split: str = "all") -> list[Example]:
    return [example for path in paths for example in load(path, split)]


def _example(row: dict[str, Any], path: Path, number: int) -> Example:
    text = row["text"] if "text" in row else row["transcript"]
    expected = row["expected"]
    if not isinstance(text, str) or not isinstance(expected, dict):
        raise ValueError('"text" must be a string and "expected" an object')
    unknown = set(expected) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown labels {sorted(unknown)}; known: {', '.join(FIELDS)}")
    audio = row.get("audio")
    return Example(
        id=str(row.get("id") or f"{path.name}:{number}"),
        split=row.get("split", "dev"),
        language=(row.get("language") or "en").lower(),
        transcript=text,
        caller_id=row.get("caller_id"),
        started_at=parse_start(row.get("started_at")),
        expected=expected,
        mailbox=row.get("mailbox"),
        audio=(path.parent / audio) if audio else None,
    )


def context_for(example: Example, settings: SummarySettings) -> CallContext:
    """The row's call as the service would read it (voice.triage.context)."""
    return call_context(example.caller_id, example.mailbox, example.started_at, settings)


def predicted(t: Triage) -> dict[str, Any]:
    """What triage said, in the labels' terms."""
    return {
        "intent": t.intent,
        "urgency": t.urgency,
        "callback_number": t.callback_number,
        "caller_name": t.caller_name,
        "organisation": t.organisation,
        "email": t.email.lower() if t.email else None,
        "references": sorted([r.kind, r.value] for r in t.references),
        "spam": "spam" in t.flags,
        "no_message": t.intent == "no_message" or "no_speech" in t.flags,
    }


def gold(example: Example) -> dict[str, Any]:
    """The labels the row gives, in the same terms as ``predicted`` (a label left out is not there)."""
    want = {k: v for k, v in example.expected.items() if k in FIELDS}
    if "email" in want and want["email"]:
        want["email"] = want["email"].lower()  # addresses are read case-blind
    if "references" in want:
        want["references"] = sorted(
            [str(kind), str(value)] for kind, value in _pairs(want["references"] or [])
        )
    if "spam" in want:
        want["spam"] = bool(want["spam"])
    if "no_message" in want:
        want["no_message"] = bool(want["no_message"])
    elif "intent" in want:
        want["no_message"] = want["intent"] == "no_message"
    return want


def _pairs(references: list[Any]) -> list[tuple[Any, Any]]:
    # [[kind, value], ...] as documented; {"kind": .., "value": ..} as the API writes them is read too.
    return [(r["kind"], r["value"]) if isinstance(r, dict) else (r[0], r[1]) for r in references]


@dataclass(frozen=True)
class Row:
    """One labelled voicemail scored: the labels, what triage said, and the fields it got wrong."""

    example: Example
    want: dict[str, Any]
    got: dict[str, Any]
    summary_words: int

    @property
    def wrong(self) -> list[str]:
        return [f for f in FIELDS if f in self.want and self.want[f] != self.got[f]]

    def as_dict(self) -> dict[str, Any]:
        ex = self.example
        return {"id": ex.id, "split": ex.split, "language": ex.language, "wrong": self.wrong,
                "expected": self.want, "got": self.got}  # fmt: skip


def macro_f1(pairs: list[tuple[str, str]], labels: Iterable[str]) -> float:
    """Mean F1 over the labels that occur in the expected answers."""
    present = [label for label in labels if any(e == label for e, _ in pairs)]
    scores = []
    for label in present:
        tp = sum(1 for e, p in pairs if e == label and p == label)
        fp = sum(1 for e, p in pairs if e != label and p == label)
        fn = sum(1 for e, p in pairs if e == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


Metric = float | None  # None: no row this metric applies to (e.g. spam recall for a language with no spam)


def _share(rows: list[Row], field: str, only_said: bool = False) -> Metric:
    """Rows where ``field`` is right, among those labelled (and, ``only_said``, where it was said)."""
    scored = [r for r in rows if field in r.want and (r.want[field] or not only_said)]
    return sum(r.want[field] == r.got[field] for r in scored) / len(scored) if scored else None


def _detection(rows: list[Row], field: str) -> tuple[Metric, Metric]:
    """(precision, recall) of a yes/no field; None where nothing was predicted, or nothing is there."""
    pairs = [(bool(r.want[field]), bool(r.got[field])) for r in rows if field in r.want]
    tp = sum(1 for e, p in pairs if e and p)
    predicted_yes, actual_yes = sum(p for _, p in pairs), sum(e for e, _ in pairs)
    return (tp / predicted_yes if predicted_yes else None, tp / actual_yes if actual_yes else None)


def _references_f1(rows: list[Row]) -> Metric:
    """Micro F1 over every (kind, value) said: partial credit for finding some of several references."""
    scored = [r for r in rows if "references" in r.want]
    want = [{tuple(x) for x in r.want["references"]} for r in scored]
    got = [{tuple(x) for x in r.got["references"]} for r in scored]
    tp = sum(len(w & g) for w, g in zip(want, got, strict=True))
    n_want, n_got = sum(map(len, want)), sum(map(len, got))
    if not n_want and not n_got:
        return None
    return 2 * tp / (n_want + n_got)


def metrics(rows: list[Row]) -> dict[str, Metric]:
    """Every score for ``rows``: one per field (two or three for e-mail, references, spam and no_message)."""
    intents = [(r.want["intent"], r.got["intent"]) for r in rows if "intent" in r.want]
    spam_p, spam_r = _detection(rows, "spam")
    none_p, none_r = _detection(rows, "no_message")
    words = [r.summary_words for r in rows]
    return {
        "intent accuracy": _share(rows, "intent"),
        "intent macro-F1": macro_f1(intents, INTENTS) if intents else None,
        "urgency accuracy": _share(rows, "urgency"),
        "callback_number exact": _share(rows, "callback_number"),
        "caller_name exact": _share(rows, "caller_name"),
        "organisation exact": _share(rows, "organisation"),
        "email exact": _share(rows, "email"),
        "email exact (where said)": _share(rows, "email", only_said=True),
        "references exact": _share(rows, "references"),
        "references exact (where said)": _share(rows, "references", only_said=True),
        "references F1": _references_f1(rows),
        "spam precision": spam_p,
        "spam recall": spam_r,
        "no_message precision": none_p,
        "no_message recall": none_r,
        "summary words, mean": sum(words) / len(words) if words else None,
        "summary words, max": float(max(words)) if words else None,
    }


@dataclass(frozen=True)
class Report:
    n: int
    metrics: dict[str, Metric]  # over every row
    by_language: dict[str, dict[str, Metric]]  # the same, per language (most rows first)
    counts: dict[str, int]  # rows per language
    rows: list[Row]
    ms_per_voicemail: float

    @property
    def confusions(self) -> list[tuple[str, str, str]]:
        """(id, field, "expected -> got") for every miss."""
        return [(r.example.id, f, f"{r.want[f]!r} -> {r.got[f]!r}") for r in self.rows for f in r.wrong]

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "ms_per_voicemail": self.ms_per_voicemail, **self.metrics,
                "languages": self.counts, "by_language": self.by_language,
                "rows": [r.as_dict() for r in self.rows]}  # fmt: skip


def score(results: list[tuple[Example, Triage]], seconds: float = 0.0) -> Report:
    """The report for triage results already made (by ``evaluate``, or from audio by voice eval --audio)."""
    rows = [Row(ex, gold(ex), predicted(t), len(t.summary.split())) for ex, t in results]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.example.language] = counts.get(r.example.language, 0) + 1
    counts = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    by_language = {lang: metrics([r for r in rows if r.example.language == lang]) for lang in counts}
    per_row = seconds * 1000 / max(len(rows), 1)
    return Report(len(rows), metrics(rows), by_language, counts, rows, per_row)


def evaluate(
    examples: list[Example],
    summarise: Callable[[Example], Triage] | None = None,
    settings: SummarySettings | None = None,
) -> Report:
    """Triage each row's text (or ``summarise`` it) and score it; ``settings`` gives the regions."""
    regions = settings or SummarySettings()

    def builtin(ex: Example) -> Triage:
        return triage(ex.transcript, ex.language, context_for(ex, regions))

    run = summarise or builtin
    started = time.perf_counter()
    results = [(ex, run(ex)) for ex in examples]
    return score(results, time.perf_counter() - started)
