#!/usr/bin/env bash
# Set up (or reuse) .venv, lint, type-check and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
VOICE_EXTRAS=test bash scripts/setup.sh
.venv/bin/ruff check voice api tests bench scripts
.venv/bin/ruff format --check voice api tests bench scripts
# mypy (about 30 s, one core) runs beside the tests and is waited for at the end; its failure fails the run.
.venv/bin/mypy voice api &
mypy_pid=$!
.venv/bin/lint-imports  # the layer contract in pyproject.toml: imports point one way
.venv/bin/hadolint Dockerfile
# Two pytest workers, a test file each at a time (--dist loadfile: a file's fixtures and servers stay in one
# process): much of the suite waits on subprocesses, services and browsers, so two workers on two cores took
# the suite from 807 s to 522 s. VOICE_TEST_WORKERS=0 runs it in one process. Files go to the workers in the
# order tests/conftest.py sorts them (e2e first), not xdist's (most tests first), which left one worker on a
# long e2e file at the end. The slowest tests are listed at the end, so a growing suite shows where its time
# goes.
.venv/bin/python -m pytest -n "${VOICE_TEST_WORKERS:-2}" --dist loadfile --no-loadscope-reorder --durations=25 "$@"
wait "$mypy_pid"
