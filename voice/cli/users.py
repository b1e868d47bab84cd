"""`voice users`: the people who sign in to the web inbox."""

from __future__ import annotations

from typing import Annotated

import typer

from voice.cli.common import err, open_session

app = typer.Typer(help="People who sign in to the web inbox.", no_args_is_help=True)


def _read_password(from_stdin: bool) -> str:
    import sys

    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="the name they sign in with")],
    role: Annotated[str, typer.Option(help="agent | admin")] = "agent",
    password_stdin: Annotated[bool, typer.Option(help="read the password from standard input")] = False,
    email: Annotated[
        str, typer.Option(help="their address, told of voicemails assigned to them (docs/notifications.md)")
    ] = "",
) -> None:
    """Create a user (asks for the password twice, or reads one line with --password-stdin)."""
    from voice.storage import users

    password = _read_password(password_stdin)
    with open_session() as session:
        try:
            user = users.create_user(session, username, password, role, email or None)
        except users.UserError as exc:
            raise typer.BadParameter(str(exc)) from exc
        session.commit()
    err.print(f"created {role} {user.username!r}")


@app.command("list")
def users_list() -> None:
    """Every user with role, last sign-in and state."""
    from voice.storage import users

    with open_session() as session:
        for u in users.list_users(session):
            state = "disabled" if u.disabled_at else "active"
            print(
                f"{u.username:<24} {u.role:<6} {state:<9} {u.email or '-':<30} last sign-in {u.last_login_at}"
            )


@app.command("set-email")
def users_set_email(
    username: Annotated[str, typer.Argument()],
    email: Annotated[str, typer.Argument(help="the address; '' removes it")],
) -> None:
    """Set where Voice tells a user of voicemails assigned to them (an e-mail channel with assignees on)."""
    from voice.storage import users

    with open_session() as session:
        try:
            users.set_email(session, username, email)
        except users.UserError as exc:
            raise typer.BadParameter(str(exc)) from exc
        session.commit()
    err.print(f"e-mail of {username!r} " + (f"set to {email}" if email else "removed"))


@app.command("set-password")
def users_set_password(
    username: Annotated[str, typer.Argument()],
    password_stdin: Annotated[bool, typer.Option(help="read the password from standard input")] = False,
) -> None:
    """Give a user a new password."""
    from voice.storage import users

    password = _read_password(password_stdin)
    with open_session() as session:
        try:
            users.set_password(session, username, password)
        except users.UserError as exc:
            raise typer.BadParameter(str(exc)) from exc
        session.commit()
    err.print(f"password changed for {username!r}; their web sessions were ended")


@app.command("disable")
def users_disable(username: Annotated[str, typer.Argument()]) -> None:
    """Stop a user from signing in and end their web sessions (their notes and history stay)."""
    from voice.storage import users

    with open_session() as session:
        try:
            users.disable_user(session, username)
        except users.UserError as exc:
            raise typer.BadParameter(str(exc)) from exc
        session.commit()
    err.print(f"disabled {username!r}; their web sessions were ended")
