"""The load benchmark's short form (the full run is `python -m bench.load --rate 200 --duration 60`)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT, require


def test_short_load_run_loses_nothing() -> None:
    require("127.0.0.1", 5432, "PostgreSQL")
    require("127.0.0.1", 6379, "Redis")
    out = subprocess.run(
        [sys.executable, "-m", "bench.load", "--rate", "30", "--duration", "4"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["sent"] == 120 and result["accepted"] == 120 and result["errors"] == 0
    assert result["lost"] == 0 and result["duplicated"] == 0 and result["stored"] == 120
    assert result["p99_ms"] > 0
    print(out.stdout.splitlines()[0])
