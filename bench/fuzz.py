"""More schemathesis cases than CI runs, against fresh servers on SQLite and PostgreSQL: every operation,
admin credentials, the checks of tests/e2e/test_fuzz.py (no 500, responses as their schema says), valid and
invalid cases, and hostile values (NUL and other control characters, huge text, NaN/Infinity, deep JSON)
in every parameter and body field.

    python -m bench.fuzz                  # 100 per operation and mode, 100 hostile: ~6,000 a database
    python -m bench.fuzz --examples 500 --db postgresql
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=100, help="cases per operation and mode")
    parser.add_argument("--hostile", type=int, help="hostile cases per operation (default: --examples)")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args(argv)
    env = {
        **os.environ,
        "VOICE_FUZZ_EXAMPLES": str(args.examples),
        "VOICE_FUZZ_HOSTILE": str(args.hostile if args.hostile is not None else args.examples),
    }
    command = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "tests/e2e/test_fuzz.py"]
    if args.db != "both":
        command += ["-k", args.db]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
