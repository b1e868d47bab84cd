"""`voice crm`: connectors that put voicemails into Zendesk (tickets) and HubSpot (call logs and tasks), per
team or mailbox (docs/crm.md). Tokens are secrets: sealed when stored, never printed."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any, Optional

import typer

from voice.cli.common import err, open_session

app = typer.Typer(
    help="CRM connectors: Zendesk tickets, HubSpot call logs and tasks (docs/crm.md).", no_args_is_help=True
)

Opt = Optional[str]  # noqa: UP045


def _opt(flag: str, text: str) -> Any:
    return typer.Option(flag, help=text, show_default=False)


def _refuse(exc: Exception) -> typer.Exit:
    err.print(f"error: {exc}", style="red", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _show(info: Any) -> str:
    scope = " ".join(f"{k}={v}" for k, v in (("team", info.team), ("mailbox", info.mailbox)) if v) or "all"
    shown = " ".join(f"{k}={v}" for k, v in sorted(info.settings.items()))
    secrets = f"secrets set: {','.join(info.secrets)}" if info.secrets else "no secrets"
    state = "" if info.enabled else "  [disabled]"
    return f"{info.name:<16} {info.kind:<8} {scope}  {shown}  {secrets}{state}"


@app.command("add")
def crm_add(
    name: Annotated[str, typer.Argument()],
    kind: Annotated[str, typer.Option("--kind", help="zendesk or hubspot")],
    team: Annotated[Opt, _opt("--team", "only voicemails of this team")] = None,
    mailbox: Annotated[Opt, _opt("--mailbox", "only voicemails of this mailbox")] = None,
    subdomain: Annotated[Opt, _opt("--subdomain", "zendesk: ACME for acme.zendesk.com")] = None,
    base_url: Annotated[Opt, _opt("--base-url", "the API's address (default: Zendesk's, HubSpot's)")] = None,
    email: Annotated[Opt, _opt("--email", "zendesk: the agent the API token belongs to")] = None,
    minimisation: Annotated[
        str, typer.Option("--minimisation", help="what leaves Voice: summary, transcript or recording_link")
    ] = "summary",
    create_contacts: Annotated[
        bool, typer.Option("--create-contacts", help="hubspot: make a contact for an unknown caller")
    ] = False,
    api_token: Annotated[Opt, _opt("--api-token", "zendesk: an API token ('-': read stdin)")] = None,
    oauth_token: Annotated[Opt, _opt("--oauth-token", "zendesk: an OAuth access token ('-': stdin)")] = None,
    token: Annotated[Opt, _opt("--token", "hubspot: the private app's access token ('-': stdin)")] = None,
) -> None:
    """Make a connector; from now on voicemails in its scope are sent when they are stored and routed."""
    from voice.core.config import get_settings
    from voice.storage import crm, vault

    settings: dict[str, Any] = {"subdomain": subdomain, "base_url": base_url, "email": email}
    settings["minimisation"] = minimisation
    if kind == "hubspot":
        settings = {"base_url": base_url, "minimisation": minimisation, "create_contacts": create_contacts}
    secrets = {"api_token": api_token, "oauth_token": oauth_token, "token": token}
    secrets = {k: sys.stdin.readline().strip() if v == "-" else v for k, v in secrets.items() if v}
    with open_session() as session:
        try:
            keyring = vault.keyring(get_settings().storage)
            info = crm.add(session, keyring, name, kind, settings, secrets, team=team, mailbox=mailbox)
        except crm.CrmError as exc:
            raise _refuse(exc) from None
        session.commit()
    print(_show(info))


@app.command("list")
def crm_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Every connector; tokens are never printed, only which are set."""
    from dataclasses import asdict

    from voice.storage import crm

    with open_session() as session:
        rows = crm.list_connectors(session)
    if as_json:
        print(json.dumps([asdict(c) for c in rows], indent=2, default=str))
        return
    for info in rows:
        print(_show(info))


@app.command("delete")
def crm_delete(name: Annotated[str, typer.Argument()]) -> None:
    """Delete a connector with its syncs not sent yet. Tickets and calls already made stay in the CRM."""
    from voice.storage import crm

    with open_session() as session:
        try:
            crm.delete(session, name)
        except crm.CrmError as exc:
            raise _refuse(exc) from None
        session.commit()
    err.print(f"deleted connector {name.strip().lower()!r}", markup=False)


@app.command("test")
def crm_test(name: Annotated[str, typer.Argument()]) -> None:
    """Sign in to the connector's CRM now; exit 1 (with the CRM's answer) when it refuses."""
    from voice.core.config import get_settings
    from voice.integrations import crm as sender
    from voice.integrations.crm_types import CrmFailure
    from voice.storage import crm, vault

    with open_session() as session:
        try:
            said = sender.check(session, get_settings(), name)
        except (crm.CrmError, vault.VaultError) as exc:
            raise _refuse(exc) from None
        except CrmFailure as exc:
            err.print(f"refused: {exc}", style="red", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
    print(said)
