"""More schemathesis cases than CI runs, against a fresh server: every endpoint, admin credentials, the checks
of tests/test_fuzz.py (no 500, responses as their schema says).

    python -m bench.fuzz                  # 200 examples per operation (about 4,500 cases)
    python -m bench.fuzz --examples 1000
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
    parser.add_argument("--examples", type=int, default=200, help="generated cases per operation")
    args = parser.parse_args(argv)
    env = {**os.environ, "VOICE_FUZZ_EXAMPLES": str(args.examples)}
    command = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "tests/test_fuzz.py"]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
