"""`voice teams`: teams, the mailboxes they own and their members (docs/teams.md)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Optional

import typer

from voice.cli.common import err, open_session

app = typer.Typer(
    help="Teams own mailboxes; their members see only their voicemails (docs/teams.md).", no_args_is_help=True
)

Mailboxes = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option("--mailbox", "-m", help="a mailbox the team owns (repeat it for more)", show_default=False),
]
TimeZone = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--timezone", help="an IANA time zone, e.g. Europe/Berlin (default UTC)", show_default=False
    ),
]
Hours = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--hours", help='business hours, e.g. "mon-fri 09:00-17:00; sat 10:00-14:00"', show_default=False
    ),
]
Deadline = Annotated[
    Optional[float],  # noqa: UP045
    typer.Option(
        "--deadline-hours", help="hours to call back before a voicemail is overdue", show_default=False
    ),
]
Users = Annotated[Optional[list[str]], typer.Argument(help="web users, by name", show_default=False)]  # noqa: UP045
Keys = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option("--key", help="an agent API key, by id or name (repeat it for more)", show_default=False),
]


def _refuse(exc: Exception) -> typer.Exit:
    err.print(f"error: {exc}", style="red", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _member(info: Any, user: str) -> str:
    marks = [m for m, on in (("lead", user in info.leads), ("unavailable", user in info.unavailable)) if on]
    return user + "".join(f" ({m})" for m in marks)


def _show(info: Any) -> str:
    deadline = f"{info.callback_hours:g} h" if info.callback_hours is not None else "settings"
    members = [*(_member(info, u) for u in info.users), *(f"key:{name}" for _, name in info.api_keys)]
    return (
        f"{info.name:<16} mailboxes {','.join(info.mailboxes) or '-'}  tz {info.timezone}  "
        f"hours {info.business_hours or '-'}  deadline {deadline}  members {','.join(members) or '-'}"
    )


@app.command("create")
def teams_create(
    name: Annotated[str, typer.Argument(help="the team's name, e.g. billing")],
    mailbox: Mailboxes = None,
    timezone: TimeZone = None,
    hours: Hours = None,
    deadline_hours: Deadline = None,
) -> None:
    """Make a team that owns mailboxes: voice teams create billing --mailbox billing --mailbox accounts."""
    from voice.storage import teams

    with open_session() as session:
        try:
            team = teams.create_team(session, name, mailbox or [], timezone or "UTC", hours, deadline_hours)
            info = teams.describe(session, team)
        except teams.TeamError as exc:
            raise _refuse(exc) from None
        session.commit()
    err.print(f"created team {info.name!r}", markup=False)
    print(_show(info))


@app.command("update")
def teams_update(
    name: Annotated[str, typer.Argument()],
    mailbox: Mailboxes = None,
    timezone: TimeZone = None,
    hours: Hours = None,
    deadline_hours: Deadline = None,
    no_hours: Annotated[bool, typer.Option("--no-hours", help="clear the business hours")] = False,
    no_deadline: Annotated[bool, typer.Option("--no-deadline", help="use settings.sla's deadline")] = False,
) -> None:
    """Change what is given; --mailbox replaces the team's mailboxes."""
    from voice.storage import teams

    with open_session() as session:
        try:
            team = teams.update_team(
                session,
                name,
                mailboxes=mailbox,
                timezone=timezone,
                hours=None if no_hours else (hours if hours is not None else teams.KEEP),
                callback_hours=None
                if no_deadline
                else (deadline_hours if deadline_hours is not None else teams.KEEP),
            )
            info = teams.describe(session, team)
        except teams.TeamError as exc:
            raise _refuse(exc) from None
        session.commit()
    print(_show(info))


def _members(name: str, users: list[str] | None, keys: list[str] | None, add: bool) -> None:
    from voice.storage import teams

    if not users and not keys:
        raise _refuse(ValueError("name at least one user, or an API key with --key"))
    change = teams.add_member if add else teams.remove_member
    with open_session() as session:
        try:
            for user in users or []:
                change(session, name, username=user)
            for key in keys or []:
                change(session, name, api_key=key)
            info = teams.describe(session, teams.find_team(session, name))
        except teams.TeamError as exc:
            raise _refuse(exc) from None
        session.commit()
    print(_show(info))


@app.command("add")
def teams_add(name: Annotated[str, typer.Argument()], users: Users = None, key: Keys = None) -> None:
    """Add web users (voice teams add billing alice bob) or agent API keys (--key helpdesk) to a team."""
    _members(name, users, key, add=True)


@app.command("remove")
def teams_remove(name: Annotated[str, typer.Argument()], users: Users = None, key: Keys = None) -> None:
    """Take web users or API keys (--key) out of a team."""
    _members(name, users, key, add=False)


@app.command("available")
def teams_available(
    name: Annotated[str, typer.Argument()],
    users: Annotated[list[str], typer.Argument(help="web users of the team, by name")],
    off: Annotated[bool, typer.Option("--off", help="mark them unavailable instead")] = False,
) -> None:
    """Mark members available (or --off: unavailable) for routing's assignments (docs/routing.md)."""
    from voice.storage import teams

    with open_session() as session:
        try:
            for user in users:
                teams.set_available(session, name, user, not off)
            info = teams.describe(session, teams.find_team(session, name))
        except teams.TeamError as exc:
            raise _refuse(exc) from None
        session.commit()
    print(_show(info))


@app.command("lead")
def teams_lead(
    name: Annotated[str, typer.Argument()],
    users: Annotated[list[str], typer.Argument(help="web users of the team, by name")],
    off: Annotated[bool, typer.Option("--off", help="no longer leads")] = False,
) -> None:
    """Make members leads (or --off: not): a lead gets the voicemails reassigned when nobody else in the
    team is available (docs/callbacks.md)."""
    from voice.storage import teams

    with open_session() as session:
        try:
            for user in users:
                teams.set_lead(session, name, user, not off)
            info = teams.describe(session, teams.find_team(session, name))
        except teams.TeamError as exc:
            raise _refuse(exc) from None
        session.commit()
    print(_show(info))


@app.command("delete")
def teams_delete(name: Annotated[str, typer.Argument()]) -> None:
    """Delete a team: its mailboxes then belong to no team; its voicemails stay."""
    from voice.storage import teams

    with open_session() as session:
        try:
            teams.delete_team(session, name)
        except teams.TeamError as exc:
            raise _refuse(exc) from None
        session.commit()
    err.print(f"deleted team {name.strip().lower()!r}", markup=False)


@app.command("list")
def teams_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Every team with its mailboxes, time zone, business hours, deadline and members."""
    from voice.storage import teams

    with open_session() as session:
        rows = teams.list_teams(session)
    if as_json:
        out = [
            {
                "name": t.name,
                "mailboxes": t.mailboxes,
                "timezone": t.timezone,
                "business_hours": t.business_hours,
                "callback_deadline_hours": t.callback_hours,
                "users": t.users,
                "unavailable": t.unavailable,
                "api_keys": [{"id": i, "name": n} for i, n in t.api_keys],
            }
            for t in rows
        ]
        print(json.dumps(out, indent=2))
        return
    for t in rows:
        print(_show(t))
    if not rows:
        err.print("no teams: every agent sees every voicemail (docs/teams.md)")
