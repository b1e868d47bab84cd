#!/usr/bin/env bash
# Set up (or reuse) .venv, migrate the database, start `voice serve` on the embedded default (SQLite in WAL
# mode, ./data, in-process worker, packaged Whisper weights) and feed it the five voicemails in samples/ (a
# billing question, an urgent leak, an appointment in Spanish, a robocall, a hang-up; see samples/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PORT=${VOICE_API__PORT:-8000}
# The one step that migrates the database (creating it the first time); the server and the commands below
# only check that it is at this version's schema.
.venv/bin/voice db upgrade
# Every endpoint but /healthz needs an API key: make an admin key for this machine once and keep it
# in ./data/quickstart.key (the database keeps only its hash).
KEYFILE="${VOICE_DATA_DIR:-data}/quickstart.key"
if [ ! -s "$KEYFILE" ]; then
  mkdir -p "$(dirname "$KEYFILE")"
  .venv/bin/voice keys create --name quickstart --role admin > "$KEYFILE.tmp" && mv "$KEYFILE.tmp" "$KEYFILE"
  chmod 600 "$KEYFILE"
fi
VOICE_API_KEY=$(cat "$KEYFILE")
export VOICE_API_KEY
# A web inbox user "admin" with a random password, kept beside the key (mode 0600).
PWFILE="${VOICE_DATA_DIR:-data}/quickstart.password"
if [ ! -s "$PWFILE" ]; then
  .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(12))" > "$PWFILE.tmp"
  chmod 600 "$PWFILE.tmp"
  .venv/bin/voice users create admin --role admin --password-stdin < "$PWFILE.tmp" && mv "$PWFILE.tmp" "$PWFILE"
fi
.venv/bin/voice serve --port "$PORT" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' INT TERM
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 1
done
.venv/bin/voice submit samples/ --url "http://127.0.0.1:$PORT"
echo "Voice is running on http://127.0.0.1:$PORT (API docs at /docs). Ctrl-C stops it."
echo "Admin API key (in $KEYFILE): curl -H \"Authorization: Bearer \$(cat $KEYFILE)\" http://127.0.0.1:$PORT/v1/voicemails"
echo "Web inbox: http://127.0.0.1:$PORT/ as admin, password in $PWFILE"
wait $SERVER
