"""`voice ack`: acknowledgements to callers by SMS or WhatsApp (docs/acknowledgements.md): a team's settings
and templates, and the messages sent."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from voice.cli.common import err, open_session

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(
    help="Acknowledgements to callers by SMS or WhatsApp (docs/acknowledgements.md).", no_args_is_help=True
)

OptStr = Optional[str]  # noqa: UP045
OptFloat = Optional[float]  # noqa: UP045
Team = Annotated[str, typer.Argument(help="the team's name")]
Mailbox = Annotated[
    OptStr, typer.Option("--mailbox", help="one of the team's mailboxes: its own settings, not the team's")
]


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


def _configure_mailbox(team: str, mailbox: str, **given: object) -> None:
    """A mailbox's override: the options given change; the account is checked on the settings in effect."""
    from voice.core.config import get_settings
    from voice.integrations.acks import account_problem
    from voice.storage import ack_mailboxes
    from voice.storage.models import AckSettings
    from voice.storage.teams import TeamError

    with open_session() as session:
        try:
            eff = ack_mailboxes.configure_mailbox(session, team, mailbox, given)
        except (TeamError, ValueError) as exc:
            raise _refuse(exc) from None
        problem = account_problem(
            get_settings(), AckSettings(enabled=eff.enabled, account_sid=eff.account_sid)
        )
        if problem:
            raise _refuse(ValueError(f"mailbox {mailbox!r}: {problem}"))
        session.commit()
        state = "on" if eff.enabled else "off"
        sending = f", {eff.channel} from {eff.sender}" if eff.sender else ""
        print(f"{team} mailbox {mailbox}: acknowledgements {state}{sending}, once per {eff.repeat_hours:g} h")


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
    mailbox: Mailbox = None,
) -> None:
    """Switch acknowledgements on for a team (the first time, with --sender), or with --mailbox for one of
    its mailboxes (its own --sender, --channel, --account or --repeat-hours; the rest is the team's)."""
    if mailbox is not None:
        if any(v is not None for v in (max_wait_hours, allowed_from, allowed_until, business_name)):
            raise _refuse(ValueError("--max-wait-hours, --from, --until and --business-name are the team's"))
        given = {
            "sender": sender,
            "channel": channel,
            "account_sid": account_sid,
            "repeat_hours": repeat_hours,
        }
        _configure_mailbox(team, mailbox, enabled=True, **{k: v for k, v in given.items() if v is not None})
        return
    _configure(
        team, enabled=True, sender=sender, channel=channel, account_sid=account_sid,
        repeat_hours=repeat_hours, max_wait_hours=max_wait_hours, allowed_from=allowed_from,
        allowed_until=allowed_until, business_name=business_name,
    )  # fmt: skip


@app.command("disable")
def ack_disable(team: Team, mailbox: Mailbox = None) -> None:
    """Switch acknowledgements off for a team, or with --mailbox for one of its mailboxes while the team stays
    on (messages not sent yet are skipped)."""
    if mailbox is not None:
        _configure_mailbox(team, mailbox, enabled=False)
        return
    _configure(team, enabled=False)


@app.command("reset")
def ack_reset(
    team: Team,
    mailbox: Annotated[str, typer.Option("--mailbox", help="one of the team's mailboxes")],
) -> None:
    """Remove a mailbox's own settings: it follows the team's again."""
    from voice.storage import ack_mailboxes
    from voice.storage.teams import TeamError

    with open_session() as session:
        try:
            found = ack_mailboxes.clear_mailbox(session, team, mailbox)
        except TeamError as exc:
            raise _refuse(exc) from None
        if not found:
            raise _refuse(ValueError(f"mailbox {mailbox!r} has no settings of its own"))
        session.commit()
        print(f"{team} mailbox {mailbox}: follows the team's settings")


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


def _show_mailboxes(session: Session, team_id: str) -> None:
    from voice.storage import ack_mailboxes
    from voice.storage.models import AckSettings

    team = session.get(AckSettings, team_id)
    for box in ack_mailboxes.overrides_of(session, team_id):
        eff = ack_mailboxes.merge(team_id, team, box)
        assert eff is not None
        own = ", ".join(f"{f}={getattr(box, f)}" for f in ack_mailboxes.FIELDS if getattr(box, f) is not None)
        state = "on" if eff.enabled else "off"
        print(f"  mailbox {box.mailbox}: {state}, {eff.channel} from {eff.sender} ({own})")


@app.command("show")
def ack_show(team: Team) -> None:
    """A team's settings, its mailboxes' own settings, and its templates."""
    from voice.storage import ack_mailboxes, acks
    from voice.storage.teams import TeamError, find_team

    with open_session() as session:
        try:
            team_id = find_team(session, team).id
        except TeamError as exc:
            raise _refuse(exc) from None
        row = acks.settings_of(session, team_id)
        if row is None and not ack_mailboxes.overrides_of(session, team_id):
            raise _refuse(ValueError(f"team {team!r} has no acknowledgement settings: voice ack enable"))
        if row is None:
            print(f"{team}: off (no settings of the team's own)")
        else:
            print(f"{team}: {'on' if row.enabled else 'off'}, {row.channel} from {row.sender}")
        _show_mailboxes(session, team_id)
        for t in acks.templates_of(session, team_id):
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
