"""The ``voice`` command line: serve, transcribe files, submit files to a server, migrate.

Each command lives in the module named after what it does; this file assembles them into one app.
Commands register in the order ``voice --help`` lists them.
"""

from __future__ import annotations

import typer

from voice.cli import (
    acks,
    channels,
    crm,
    db,
    evaluate,
    ingest,
    keys,
    privacy,
    reprocess,
    routing,
    serve,
    status,
    storage,
    submit,
    teams,
    transcribe,
    users,
)

app = typer.Typer(
    help="Voice: voicemail transcription and triage.", no_args_is_help=True, pretty_exceptions_enable=False
)
app.command()(serve.serve)
app.command()(serve.worker)
app.command()(status.status)
app.command()(transcribe.transcribe)
app.command()(submit.submit)
app.command()(reprocess.reprocess)
app.command()(reprocess.revisions)
app.command()(privacy.erase)
app.command("audit")(privacy.audit_log)
app.add_typer(db.app, name="db")
app.add_typer(keys.app, name="keys")
app.add_typer(ingest.app, name="ingest")
app.add_typer(users.app, name="users")
app.add_typer(teams.app, name="teams")
app.add_typer(routing.app, name="routing")
app.add_typer(channels.app, name="channels")
app.add_typer(acks.app, name="ack")
app.add_typer(crm.app, name="crm")
app.add_typer(evaluate.app, name="eval")
app.add_typer(privacy.retention_app, name="retention")
app.add_typer(storage.app, name="storage")


def main() -> None:
    import os

    from voice.core import logs

    # Whatever a Voice process writes (database, audio, ffmpeg's output, state files) is its user's alone.
    os.umask(0o077)
    logs.setup()  # every command's log lines lose URLs' query strings and passwords
    app(prog_name="voice")


if __name__ == "__main__":
    main()
