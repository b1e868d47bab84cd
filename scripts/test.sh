#!/usr/bin/env bash
# Set up (or reuse) .venv, lint, type-check and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
VOICE_EXTRAS=test bash scripts/setup.sh
.venv/bin/ruff check voice api tests bench scripts
.venv/bin/ruff format --check voice api tests bench scripts
.venv/bin/mypy voice api
.venv/bin/lint-imports  # the layer contract in pyproject.toml: imports point one way
.venv/bin/hadolint Dockerfile
# The slowest tests are listed at the end, so a growing suite shows where its time goes.
.venv/bin/python -m pytest --durations=25 "$@"
