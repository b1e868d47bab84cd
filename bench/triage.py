"""`python -m bench.triage`: how long the built-in triage takes per voicemail, and the memory it adds.

Triage runs on every transcript inside the worker, so its budget is 20 ms per voicemail on this machine with
no network and no model. This times `triage()` on every transcript of the labelled sets (tests/data/triage/,
both splits, every language), after one warm-up pass (the first call compiles regular expressions and loads
phonenumbers' metadata), and prints p50, p95 and max per language with the resident memory the triage
modules added. JSON on the last line for scripts.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "triage"
BUDGET_MS = 20.0


def _rows(files: list[Path]) -> list[dict]:
    rows = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "files", nargs="*", type=Path, help="labelled JSONL (default: tests/data/triage/*.jsonl)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over the set")
    args = parser.parse_args(argv)
    files = args.files or sorted(DATA.glob("*.jsonl"))
    rows = [r for r in _rows(files) if (r.get("transcript") or r.get("text") or "").strip()]

    # Settings and the call context (pydantic, SQLAlchemy) are loaded in the service whatever triage does.
    from voice.core.config import SummarySettings
    from voice.triage.context import call_context, parse_start

    before = _rss_mb()
    from voice.triage.classify import triage

    settings = SummarySettings()

    def run(row: dict) -> None:
        # The call record read as the service reads it (mailbox region, else caller id country, else default).
        start = parse_start(row.get("started_at"))
        context = call_context(row.get("caller_id"), row.get("mailbox"), start, settings)
        triage(row.get("transcript") or row.get("text") or "", row.get("language"), context)

    for row in rows:  # warm-up: compiled patterns, phonenumbers metadata, VADER lexicon
        run(row)
    added_mb = _rss_mb() - before
    times: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        for row in rows:
            t = time.perf_counter()
            run(row)
            times.setdefault(row.get("language") or "?", []).append((time.perf_counter() - t) * 1000)
    times["all"] = [x for lang, xs in times.items() for x in xs]

    def pct(xs: list[float], q: float) -> float:
        return statistics.quantiles(xs, n=100, method="inclusive")[int(q) - 1] if len(xs) > 1 else xs[0]

    result: dict[str, object] = {
        "voicemails": len(rows),
        "repeat": args.repeat,
        "memory_added_mb": round(added_mb, 1),
    }
    print(f"triage on {len(rows)} transcripts from {', '.join(f.name for f in files)}, {args.repeat} passes")
    print(f"{'language':<9} {'n':>5} {'mean ms':>8} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")
    per: dict[str, dict[str, float]] = {}
    for lang in sorted(times, key=lambda k: (k == "all", k)):
        xs = times[lang]
        figures = {"mean": statistics.fmean(xs), "p50": pct(xs, 50), "p95": pct(xs, 95), "max": max(xs)}
        per[lang] = {k: round(v, 3) for k, v in figures.items()}
        print(
            f"{lang:<9} {len(xs):>5} "
            + " ".join(f"{figures[k]:>7.2f}" for k in ("mean", "p50", "p95", "max"))
        )
    print(f"memory added by the triage modules: {added_mb:.1f} MB (peak RSS {_rss_mb():.0f} MB)")
    over = per["all"]["p95"] > BUDGET_MS
    print(f"budget {BUDGET_MS:.0f} ms per voicemail at p95: {'OVER' if over else 'within'}")
    result["ms"] = per
    print(json.dumps(result))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
