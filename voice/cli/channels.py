"""`voice channels`: where notifications go (e-mail, Slack, Microsoft Teams, signed webhooks), and what a
team's notifications may carry (docs/notifications.md)."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any, Optional

import typer

from voice.cli.common import err, open_session

app = typer.Typer(
    help="Notification channels that routing rules' notify names (docs/notifications.md).",
    no_args_is_help=True,
)

Opt = Optional[str]  # noqa: UP045
Host = Annotated[Opt, typer.Option("--host", help="e-mail: the SMTP server", show_default=False)]
Port = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option("--port", help="e-mail: its port (default 587)", show_default=False),
]
Security = Annotated[
    Opt, typer.Option("--security", help="e-mail: starttls (default), ssl or none", show_default=False)
]
Username = Annotated[Opt, typer.Option("--username", help="e-mail: the SMTP login", show_default=False)]
Sender = Annotated[Opt, typer.Option("--from", help="e-mail: the sender address", show_default=False)]
To = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option("--to", help="e-mail: a recipient (repeat it for more)", show_default=False),
]
CaFile = Annotated[
    Opt,
    typer.Option("--ca-file", help="e-mail: CA certificates to trust (a private relay)", show_default=False),
]
Url = Annotated[
    Opt,
    typer.Option(
        "--url",
        help="Slack, Teams: the incoming-webhook URL (a secret); webhook: where to post",
        show_default=False,
    ),
]
Password = Annotated[
    Opt, typer.Option("--password", help="e-mail: the SMTP password ('-': read stdin)", show_default=False)
]
Secret = Annotated[
    Opt,
    typer.Option(
        "--secret", help="webhook: the signing secret, whsec_... (default: made)", show_default=False
    ),
]
Assignees = Annotated[
    Optional[bool],  # noqa: UP045
    typer.Option(
        "--assignees/--no-assignees",
        help="e-mail: also write to each assignee at their own address (voice users set-email)",
        show_default=False,
    ),
]
Digest = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option("--digest-minutes", help="at most one message per this many minutes", show_default=False),
]


def _refuse(exc: Exception) -> typer.Exit:
    err.print(f"error: {exc}", style="red", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _split(kind: str, given: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The options given, as the kind's settings and secrets (a URL is Slack's and Teams' secret)."""
    from voice.storage.channels import KINDS

    secret_names = KINDS[kind].secrets if kind in KINDS else ()
    values = {k: v for k, v in given.items() if v not in (None, [])}
    if values.get("password") == "-" or values.get("url") == "-" or values.get("secret") == "-":
        read = sys.stdin.readline().strip()
        values = {k: read if v == "-" else v for k, v in values.items()}
    plain = {k: v for k, v in values.items() if k not in secret_names and k not in ("password", "secret")}
    hidden = {k: v for k, v in values.items() if k in secret_names or k in ("password", "secret")}
    return plain, hidden


def _show(info: Any) -> str:
    shown = " ".join(
        f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in sorted(info.settings.items())
    )
    digest = f"digest {info.digest_minutes} min" if info.digest_minutes else "each message"
    secrets = f"secrets set: {','.join(info.secrets_set)}" if info.secrets_set else "no secrets"
    state = "" if info.enabled else "  [disabled]"
    return f"{info.name:<16} {info.kind:<8} {shown or '-'}  {digest}  {secrets}{state}"


@app.command("add")
def channels_add(
    name: Annotated[str, typer.Argument()],
    kind: Annotated[str, typer.Option("--kind", help="email, slack, teams or webhook")],
    host: Host = None,
    port: Port = None,
    security: Security = None,
    username: Username = None,
    sender: Sender = None,
    to: To = None,
    ca_file: CaFile = None,
    url: Url = None,
    password: Password = None,
    secret: Secret = None,
    assignees: Assignees = None,
    digest_minutes: Digest = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="made but not used yet")] = False,
) -> None:
    """Make a channel. A webhook channel without --secret gets one, printed once."""
    from voice.core.config import get_settings
    from voice.storage import channels, vault

    given: dict[str, Any] = {"host": host, "port": port, "security": security, "username": username}
    given["sender"] = sender
    given |= {"to": to, "ca_file": ca_file, "url": url, "password": password, "secret": secret}
    given["assignees"] = assignees
    plain, hidden = _split(kind, given)
    with open_session() as session:
        try:
            keyring = vault.keyring(get_settings().storage)
            info = channels.add(session, keyring, name, kind, plain, hidden, digest_minutes, not disabled)
        except channels.ChannelError as exc:
            raise _refuse(exc) from None
        session.commit()
    print(_show(info))
    if info.new_secret:
        err.print("signing secret (shown once; receivers verify webhook-signature with it):", markup=False)
        print(info.new_secret)


@app.command("update")
def channels_update(
    name: Annotated[str, typer.Argument()],
    host: Host = None,
    port: Port = None,
    security: Security = None,
    username: Username = None,
    sender: Sender = None,
    to: To = None,
    ca_file: CaFile = None,
    url: Url = None,
    password: Password = None,
    secret: Secret = None,
    assignees: Assignees = None,
    digest_minutes: Digest = None,
    no_digest: Annotated[bool, typer.Option("--no-digest", help="a message per voicemail again")] = False,
    enabled: Annotated[
        Optional[bool],  # noqa: UP045
        typer.Option("--enable/--disable", help="use the channel, or not", show_default=False),
    ] = None,
) -> None:
    """Change what is given; --to replaces the recipients."""
    from voice.core.config import get_settings
    from voice.storage import channels, vault

    given: dict[str, Any] = {"host": host, "port": port, "security": security, "username": username}
    given["sender"] = sender
    given |= {"to": to, "ca_file": ca_file, "url": url, "password": password, "secret": secret}
    given["assignees"] = assignees
    with open_session() as session:
        try:
            row = channels.find(session, name)
            plain, hidden = _split(row.kind, given)
            digest: Any = (
                None if no_digest else (digest_minutes if digest_minutes is not None else channels.UNSET)
            )
            keyring = vault.keyring(get_settings().storage)
            info = channels.update(session, keyring, name, plain, hidden, digest, enabled)
        except channels.ChannelError as exc:
            raise _refuse(exc) from None
        session.commit()
    print(_show(info))


@app.command("list")
def channels_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Every channel; secrets are never printed, only which are set."""
    from voice.storage import channels

    with open_session() as session:
        rows = channels.list_channels(session)
    if as_json:
        keys = ("name", "kind", "settings", "secrets_set", "digest_minutes", "enabled")
        print(json.dumps([{k: getattr(c, k) for k in keys} for c in rows], indent=2))
        return
    for info in rows:
        print(_show(info))


@app.command("delete")
def channels_delete(name: Annotated[str, typer.Argument()]) -> None:
    """Delete a channel and its notifications not sent yet; rules naming it fall back to the default."""
    from voice.storage import channels

    with open_session() as session:
        try:
            channels.delete(session, name)
        except channels.ChannelError as exc:
            raise _refuse(exc) from None
        session.commit()
    err.print(f"deleted channel {name.strip().lower()!r}", markup=False)


@app.command("test")
def channels_test(name: Annotated[str, typer.Argument()]) -> None:
    """Send a test message now; exit 1 (with the reason) when it was not accepted."""
    from voice.core.config import get_settings
    from voice.integrations.notifications import send_test
    from voice.storage import channels, vault

    with open_session() as session:
        try:
            result = send_test(session, get_settings(), name)
        except (channels.ChannelError, vault.VaultError) as exc:
            raise _refuse(exc) from None
    if not result.ok:
        err.print(f"not sent: {result.error}", style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    print(f"sent to {name.strip().lower()} ({result.status_code}, {result.duration_ms} ms)")


@app.command("privacy")
def channels_privacy(
    team: Annotated[str, typer.Argument(help="a team")],
    transcript: Annotated[
        Optional[bool],  # noqa: UP045
        typer.Option(
            "--transcript/--no-transcript", help="carry the transcript (redacted if on)", show_default=False
        ),
    ] = None,
    audio: Annotated[
        Optional[bool],  # noqa: UP045
        typer.Option("--audio/--no-audio", help="attach the audio to e-mails", show_default=False),
    ] = None,
) -> None:
    """What notifications about a team's voicemails carry besides the card (both off by default)."""
    from voice.storage import channels, teams

    with open_session() as session:
        try:
            has_transcript, has_audio = channels.team_privacy(session, team, transcript, audio)
        except teams.TeamError as exc:
            raise _refuse(exc) from None
        session.commit()
    state = {True: "on", False: "off"}
    print(f"{team.strip().lower()}: transcript {state[has_transcript]}, audio {state[has_audio]}")
