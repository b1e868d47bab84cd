"""`voice keys`: API keys."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from voice.cli.common import err, open_session

app = typer.Typer(help="API keys (stored hashed; a key is shown once, when created).", no_args_is_help=True)


@app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="who uses it, e.g. crm")],
    role: Annotated[str, typer.Option(help="ingest | agent | admin")],
    webhook_url: Annotated[Optional[str], typer.Option(help="default completion webhook URL")] = None,  # noqa: UP045
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Create a key and print it (the only time it is shown)."""
    from voice.storage import keys

    with open_session() as session:
        try:
            new = keys.create_key(session, name, role, webhook_url)
        except keys.ApiKeyError as exc:
            raise typer.BadParameter(str(exc)) from exc
        session.commit()
    if as_json:
        print(
            json.dumps(
                {
                    "id": new.id,
                    "name": new.name,
                    "role": new.role,
                    "key": new.key,
                    "webhook_secret": new.webhook_secret,
                    "webhook_url": new.webhook_url,
                }
            )
        )
        return
    print(new.key)
    err.print(f"key {new.name!r} ({new.role}) id {new.id}", soft_wrap=True)
    err.print(f"webhook secret: {new.webhook_secret}", soft_wrap=True)
    err.print("Store the key now: it cannot be shown again.")


@app.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Every key with its role and state (never the secrets)."""
    from voice.storage import keys

    with open_session() as session:
        rows = keys.list_keys(session)
    out = [
        {
            "id": r.id,
            "name": r.name,
            "role": r.role,
            "prefix": r.prefix,
            "created_at": r.created_at.isoformat(),
            "last_used_at": r.last_used_at and r.last_used_at.isoformat(),
            "revoked": r.revoked_at is not None,
        }
        for r in rows
    ]
    if as_json:
        print(json.dumps(out))
        return
    for r in out:
        state = "revoked" if r["revoked"] else "active"
        print(
            f"{r['id']}  {r['name']:<20} {r['role']:<7} vk_{r['prefix']}_…  {state}"
            f"  last used {r['last_used_at']}"
        )


@app.command("revoke")
def keys_revoke(key: Annotated[str, typer.Argument(help="key id or name")]) -> None:
    """Revoke a key: it stops working at once."""
    from voice.storage import keys

    with open_session() as session:
        try:
            row = keys.revoke_key(session, key)
        except keys.ApiKeyError as exc:
            raise typer.BadParameter(str(exc)) from exc
        session.commit()
    err.print(f"revoked {row.name!r} ({row.id})")
