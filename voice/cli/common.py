"""What the command modules share: the error console, the --key option, database sessions, dates."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console

from voice.core.config import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

KeyOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--key", envvar="VOICE_API_KEY", help="API key (or set VOICE_API_KEY)", show_default=False),
]
err = Console(stderr=True)


def parse_when(value: str | None, option: str) -> datetime | None:
    """An ISO date or date-time from the command line; naive means UTC."""
    from datetime import UTC, datetime

    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            "use an ISO date or time, e.g. 2026-11-01 or 2026-11-01T08:00", param_hint=option
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def cli_actor() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


def require_schema(url: str) -> None:
    """Stop the command, saying why and what to run, unless the database is migrated to this version's
    schema: only `voice db upgrade` migrates."""
    from voice.storage import db

    try:
        db.require_head(url)
    except db.SchemaNotAtHead as exc:
        err.print(str(exc), style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def session_factory() -> sessionmaker[Session]:
    """Sessions on the configured database, once it is known to be at this version's schema."""
    from voice.storage import db

    settings = get_settings()
    require_schema(settings.db_url)
    return db.make_sessionmaker(db.make_engine(settings.db_url))


def open_session() -> Session:
    return session_factory()()
