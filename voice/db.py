"""Engine and sessions. SQLite runs in WAL mode so the API reads while the worker writes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
P = ParamSpec("P")
R = TypeVar("R")


def make_engine(url: str, pool_size: int = 20, max_overflow: int = 20, pre_ping: bool = True) -> Engine:
    """``pre_ping`` tests each pooled connection before use, so a database restart costs no failed
    statement. The API turns it off (it costs a round trip per checkout on the ingest path) and
    uses ``retry_on_disconnect`` where it matters."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=pre_ping, pool_size=pool_size, max_overflow=max_overflow)


def retry_on_disconnect(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` (a whole unit of work with its own session) once more if its connection turned out
    dead. On a disconnect SQLAlchemy invalidates the pool's older connections too, so the second run
    gets a fresh one. Only for work that is safe to repeat: a commit whose answer was lost may have
    landed (the ingest path is idempotent by Idempotency-Key and call id)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            return fn(*args, **kwargs)

    return wrapper


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic (``voice db upgrade``; also run by ``voice serve``)."""
    if url.startswith("sqlite"):
        make_engine(url).dispose()  # creates the folder and turns on WAL before Alembic connects
    command.upgrade(alembic_config(url), revision)
