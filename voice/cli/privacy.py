"""Personal data: `voice erase` (a caller's data), `voice retention run`, `voice audit` (who saw what)."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from voice.cli.common import cli_actor, open_session, parse_when, session_factory
from voice.core.config import get_settings

retention_app = typer.Typer(help="Delete what the retention policy says is due.", no_args_is_help=True)


def erase(
    caller: Annotated[str, typer.Option(help="the calling number, any format")],
    dry_run: Annotated[bool, typer.Option(help="show what would be erased")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """Erase every voicemail and call record of a calling number (audio, transcripts, notes, history)."""
    from voice.usecases import erasure

    settings = get_settings()
    sm = session_factory()
    found = erasure.erase_caller(sm, settings, caller, cli_actor(), dry_run=True)
    busy = f", {len(found.skipped)} still processing (left for now)" if found.skipped else ""
    counts = f"{found.revisions} revisions, {found.notes} notes"
    print(f"{caller}: {len(found.voicemails)} voicemails ({counts}){busy}")
    for sent in found.sent_to_crm:  # not erased by Voice: the CRM's own deletion does that (docs/crm.md)
        print(f"  sent to {sent['connector']} ({sent['kind']}): {sent['ids']}; erase it there too")
    if dry_run or not found.voicemails:
        return
    if not yes and not typer.confirm("Erase them for good?"):
        raise typer.Exit(1)
    done = erasure.erase_caller(sm, settings, caller, cli_actor())
    print(
        f"erased {len(done.voicemails)} voicemails, {done.call_records} call records, "
        f"{done.revisions} revisions, {done.notes} notes, {done.audio_files} audio files; "
        f"the audit trail keeps {done.caller}"
    )


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[bool, typer.Option(help="show what would be deleted")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Apply the retention policy now (`voice serve` also does, every VOICE_RETENTION__INTERVAL_S)."""
    from voice.usecases import retention

    settings = get_settings()
    sm = session_factory()
    total = retention.RetentionReport(dry_run=dry_run)
    while True:  # in batches, until nothing is due
        report = retention.apply(sm, settings, dry_run=dry_run)
        total.audio += report.audio
        total.voicemails += report.voicemails
        total.audio_files += report.audio_files
        total.orphans += report.orphans
        if dry_run or not (report.audio or report.voicemails):
            break
    if as_json:
        out = {"audio": total.audio, "voicemails": total.voicemails, "orphans": total.orphans}
        print(json.dumps({"dry_run": dry_run, **out}))
        return
    r = settings.retention
    verb = "would delete" if dry_run else "deleted"
    audio = f"audio after {r.audio_days:g} days" if r.audio_days else "audio kept"
    whole = f"everything after {r.delete_days:g} days" if r.delete_days else "transcripts kept"
    overrides = f", {len(r.mailboxes)} mailbox overrides" if r.mailboxes else ""
    print(
        f"{verb}: audio of {len(total.audio)} voicemails, {len(total.voicemails)} voicemails whole"
        f" (policy: {audio}, {whole}{overrides}); {len(total.orphans)} audio folders without a voicemail"
    )
    for vm_id in total.audio:
        print(f"  audio      {vm_id}")
    for vm_id in total.voicemails:
        print(f"  voicemail  {vm_id}")
    for folder in total.orphans:
        print(f"  orphan     {folder}")


def audit_log(
    since: Annotated[Optional[str], typer.Option(help="ISO date/time (UTC)")] = None,  # noqa: UP045
    until: Annotated[Optional[str], typer.Option(help="ISO date/time (UTC)")] = None,  # noqa: UP045
    actor: Annotated[Optional[str], typer.Option(help='e.g. "key:crm", "user:dana"')] = None,  # noqa: UP045
    action: Annotated[Optional[str], typer.Option(help="read, list, listen, export, update, ...")] = None,  # noqa: UP045
    voicemail: Annotated[Optional[str], typer.Option(help="one voicemail's id")] = None,  # noqa: UP045
    limit: Annotated[int, typer.Option(help="at most this many")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object a line")] = False,
) -> None:
    """The audit trail: who read, changed, reprocessed, exported or erased which voicemail."""
    from voice.storage import audit

    with open_session() as session:
        found = audit.events(
            session,
            audit.AuditFilter(
                parse_when(since, "--since"), parse_when(until, "--until"), actor, action, voicemail
            ),
            limit,
        )
    for e in found:
        if as_json:
            row = {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "voicemail": e.voicemail_id}
            print(json.dumps({**row, "detail": e.detail}, ensure_ascii=False))
        else:
            detail = " ".join(f"{k}={v}" for k, v in (e.detail or {}).items())
            print(f"{str(e.at)[:19]}  {e.actor:<24} {e.action:<9} {e.voicemail_id or '-':<32} {detail}")
