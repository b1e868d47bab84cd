#!/usr/bin/env bash
# Set up (or reuse) .venv, start `voice serve` on the embedded default (SQLite in WAL mode, ./data,
# in-process worker, packaged Whisper weights) and feed it the voicemails in samples/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PORT=${VOICE_API__PORT:-8000}
.venv/bin/voice serve --port "$PORT" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' INT TERM
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 1
done
.venv/bin/voice submit samples/ --url "http://127.0.0.1:$PORT"
echo "Voice is running on http://127.0.0.1:$PORT (API docs at /docs). Ctrl-C stops it."
wait $SERVER
