"""`voice db`: the database schema (Alembic migrations)."""

from __future__ import annotations

from typing import Annotated

import typer

from voice.cli.common import err
from voice.core.config import get_settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply Alembic migrations to the configured database."""
    from voice.storage import db

    settings = get_settings()
    db.upgrade(settings.db_url, revision)
    err.print(f"database at revision {revision}")


@app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help='"0006", "-1" (one back) or "base" (drops everything)')],
) -> None:
    """Undo migrations down to REVISION (for rolling back a release; back up first)."""
    from voice.storage import db

    settings = get_settings()
    db.downgrade(settings.db_url, revision)
    err.print(f"database at revision {revision}")
