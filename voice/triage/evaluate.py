"""Score triage against a labelled set of voicemail transcripts (JSONL, see tests/data/triage/)."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from voice.triage.classify import triage
from voice.triage.model import INTENTS, CallContext, Triage

__all__ = ["DEFAULT_SET", "INTENTS", "Example", "Report", "evaluate", "load", "macro_f1"]

DEFAULT_SET = Path(__file__).resolve().parents[2] / "tests" / "data" / "triage" / "voicemails.jsonl"


@dataclass(frozen=True)
class Example:
    id: str
    split: str
    language: str
    transcript: str
    caller_id: str | None
    started_at: datetime | None
    expected: dict[str, Any]


def load(path: Path, split: str = "all") -> list[Example]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if split != "all" and row.get("split") != split:
            continue
        started = row.get("started_at")
        out.append(
            Example(
                id=row["id"],
                split=row.get("split", "dev"),
                language=row["language"],
                transcript=row["transcript"],
                caller_id=row.get("caller_id"),
                started_at=datetime.fromisoformat(started.replace("Z", "+00:00")) if started else None,
                expected=row["expected"],
            )
        )
    return out


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


@dataclass(frozen=True)
class Report:
    n: int
    metrics: dict[str, float]
    confusions: list[tuple[str, str, str]]  # (id, field, "expected -> got") for the misses
    ms_per_voicemail: float


def evaluate(
    examples: list[Example], summarise: Callable[[Example], Triage] | None = None, region: str = "US"
) -> Report:
    def builtin(ex: Example) -> Triage:
        context = CallContext(started_at=ex.started_at, caller_id=ex.caller_id, region=region)
        return triage(ex.transcript, ex.language, context)

    run = summarise or builtin
    started = time.perf_counter()
    results = [(ex, run(ex)) for ex in examples]
    elapsed = time.perf_counter() - started
    misses: list[tuple[str, str, str]] = []

    def share(
        field: str, got: Callable[[Triage], Any], only: Callable[[Example], bool] = lambda e: True
    ) -> float:
        rows = [(ex, t) for ex, t in results if only(ex)]
        hits = 0
        for ex, t in rows:
            want, have = ex.expected.get(field), got(t)
            if want == have:
                hits += 1
            else:
                misses.append((ex.id, field, f"{want!r} -> {have!r}"))
        return hits / len(rows) if rows else 0.0

    intents = [(ex.expected["intent"], t.intent) for ex, t in results]
    spam_pairs = [(bool(ex.expected.get("spam")), "spam" in t.flags) for ex, t in results]
    tp = sum(1 for e, p in spam_pairs if e and p)
    fp = sum(1 for e, p in spam_pairs if not e and p)
    fn = sum(1 for e, p in spam_pairs if e and not p)
    lengths = [len(t.summary.split()) for _, t in results]
    english = [(e, t) for e, t in results if e.language.startswith("en")]
    metrics = {
        "intent accuracy": share("intent", lambda t: t.intent),
        "intent macro-F1": macro_f1(intents, INTENTS),
        "intent macro-F1 (English)": macro_f1(
            [(e.expected["intent"], t.intent) for e, t in english], INTENTS
        ),
        "callback_number exact": share("callback_number", lambda t: t.callback_number),
        "caller_name exact": share("caller_name", lambda t: t.caller_name),
        "urgency accuracy": share("urgency", lambda t: t.urgency),
        "spam precision": tp / (tp + fp) if tp + fp else 1.0,
        "spam recall": tp / (tp + fn) if tp + fn else 1.0,
        "email exact (where said)": share(
            "email", lambda t: t.email, lambda e: bool(e.expected.get("email"))
        ),
        "references found (where said)": share(
            "references",
            lambda t: [[r.kind, r.value] for r in t.references][:1] or [],
            lambda e: bool(e.expected.get("references")),
        ),
        "summary words, mean": sum(lengths) / len(lengths) if lengths else 0.0,
        "summary words, max": float(max(lengths, default=0)),
    }
    return Report(len(results), metrics, misses, elapsed * 1000 / max(len(results), 1))


def languages(examples: list[Example]) -> Counter[str]:
    return Counter(ex.language for ex in examples)
