"""`voice ack`: acknowledgements to callers by SMS or WhatsApp (docs/acknowledgements.md): a team's settings
and templates, and the messages sent."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from voice.cli.common import err, open_session

app = typer.Typer(
    help="Acknowledgements to callers by SMS or WhatsApp (docs/acknowledgements.md).", no_args_is_help=True
)

OptStr = Optional[str]  # noqa: UP045
OptFloat = Optional[float]  # noqa: UP045
Team = Annotated[str, typer.Argument(help="the team's name")]


def _refuse(exc: Exception) -> typer.Exit:
    err.print(f"error: {exc}", style="red", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _configure(team: str, **given: object) -> None:
    from voice.core.config import get_settings
    from voice.integrations.acks import account_problem
    from voice.storage import acks
    from voice.storage.teams import TeamError

    with open_session() as session:
        try:
            row = acks.configure(session, team, acks.SettingsIn(**given))  # type: ignore[arg-type]
        except (TeamError, ValueError) as exc:
            raise _refuse(exc) from None
        problem = account_problem(get_settings(), row)
        if problem:
            raise _refuse(ValueError(problem))
        session.commit()
        state = "on" if row.enabled else "off"
        hours = f"{row.allowed_from}-{row.allowed_until}"
        print(
            f"{team}: acknowledgements {state}, {row.channel} from {row.sender}, "
            f"once per {row.repeat_hours:g} h, caller's hours {hours}, max wait {row.max_wait_hours:g} h"
        )


@app.command("enable")
def ack_enable(
    team: Team,
    sender: Annotated[OptStr, typer.Option("--sender", help="+E.164, MG... or whatsapp:+...")] = None,
    channel: Annotated[OptStr, typer.Option("--channel", help="sms or whatsapp")] = None,
    account_sid: Annotated[OptStr, typer.Option("--account", help="a configured Twilio AccountSid")] = None,
    repeat_hours: Annotated[
        OptFloat, typer.Option("--repeat-hours", help="one per caller this often")
    ] = None,
    max_wait_hours: Annotated[OptFloat, typer.Option("--max-wait-hours", help="then dropped")] = None,
    allowed_from: Annotated[OptStr, typer.Option("--from", help="caller's local HH:MM")] = None,
    allowed_until: Annotated[OptStr, typer.Option("--until", help="caller's local HH:MM")] = None,
    business_name: Annotated[OptStr, typer.Option("--business-name")] = None,
) -> None:
    """Switch acknowledgements on for a team (the first time, with --sender)."""
    _configure(
        team, enabled=True, sender=sender, channel=channel, account_sid=account_sid,
        repeat_hours=repeat_hours, max_wait_hours=max_wait_hours, allowed_from=allowed_from,
        allowed_until=allowed_until, business_name=business_name,
    )  # fmt: skip


@app.command("disable")
def ack_disable(team: Team) -> None:
    """Switch acknowledgements off for a team (messages not sent yet are skipped)."""
    _configure(team, enabled=False)


@app.command("template")
def ack_template(
    team: Team,
    body: Annotated[str, typer.Argument(help="a Jinja2 template; '-': read stdin")],
    intent: Annotated[str, typer.Option("--intent", help="a triage intent, or * for any")] = "*",
    language: Annotated[str, typer.Option("--language", help="a language code, or * for any")] = "*",
    hours: Annotated[str, typer.Option("--hours", help="business, after or any")] = "any",
) -> None:
    """Write the template for an intent, language and hours. Variables: caller_name, topic, team, callback_by,
    business_name."""
    from voice.acks import templates
    from voice.storage import acks
    from voice.storage.teams import TeamError

    text = sys.stdin.read().strip() if body == "-" else body
    with open_session() as session:
        try:
            templates.check(text)
            row = acks.set_template(session, team, text, intent, language, hours)
        except (TeamError, ValueError) as exc:
            raise _refuse(exc) from None
        session.commit()
        print(f"{team}: template intent={row.intent} language={row.language} hours={row.hours}")


@app.command("untemplate")
def ack_untemplate(
    team: Team,
    intent: Annotated[str, typer.Option("--intent")] = "*",
    language: Annotated[str, typer.Option("--language")] = "*",
    hours: Annotated[str, typer.Option("--hours")] = "any",
) -> None:
    """Remove the template for an intent, language and hours."""
    from voice.storage import acks
    from voice.storage.teams import TeamError

    with open_session() as session:
        try:
            found = acks.delete_template(session, team, intent, language, hours)
        except TeamError as exc:
            raise _refuse(exc) from None
        if not found:
            raise _refuse(ValueError("no such template"))
        session.commit()
        print(f"{team}: template intent={intent} language={language} hours={hours} removed")


@app.command("show")
def ack_show(team: Team) -> None:
    """A team's settings and templates."""
    from voice.storage import acks
    from voice.storage.teams import TeamError, find_team

    with open_session() as session:
        try:
            row = acks.settings_of(session, find_team(session, team).id)
        except TeamError as exc:
            raise _refuse(exc) from None
        if row is None:
            raise _refuse(ValueError(f"team {team!r} has no acknowledgement settings: voice ack enable"))
        print(f"{team}: {'on' if row.enabled else 'off'}, {row.channel} from {row.sender}")
        for t in acks.templates_of(session, row.team_id):
            print(f"  intent={t.intent} language={t.language} hours={t.hours}: {t.body}")


@app.command("list")
def ack_list(
    team: Annotated[OptStr, typer.Option("--team")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 50,
) -> None:
    """The latest acknowledgements: voicemail, status, to, reason or message SID."""
    from voice.storage import acks
    from voice.storage.teams import TeamError, find_team

    with open_session() as session:
        try:
            team_id = find_team(session, team).id if team else None
        except TeamError as exc:
            raise _refuse(exc) from None
        for row in acks.recent(session, team_id, limit):
            detail = row.message_sid or row.reason or ""
            print(
                f"{row.created_at:%Y-%m-%d %H:%M} {row.voicemail_id} {row.status:<11} "
                f"{row.to_number or '-'} {detail}"
            )
