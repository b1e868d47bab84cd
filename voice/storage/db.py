"""Engine and sessions. SQLite runs in WAL mode so the API reads while the worker writes."""

from __future__ import annotations

import functools
import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (None: another database, or SQLite in memory)."""
    if not url.startswith("sqlite") or "///" not in url:
        return None
    path = url.split("///", 1)[1].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def not_writable(session: Session, url: str) -> str | None:
    """Why the database would refuse writes, in words; None when it takes them. Cheap enough for /healthz:
    it writes nothing (free space is checked by the caller)."""
    path = sqlite_path(url)
    if path is not None:
        # SQLite writes the file and, in WAL mode, makes -wal and -shm files beside it.
        for target in (path, path.parent):
            if not os.access(target, os.W_OK):
                return f"the database file or its folder is not writable by this process ({target.name})"
        return None
    # PostgreSQL: a hot standby, or a server set read-only (default_transaction_read_only).
    read_only = url.startswith("postgresql") and session.execute(text("SHOW transaction_read_only")).scalar()
    return "the database is read-only" if read_only == "on" else None


def _private_sqlite(path: Path) -> None:
    """The database file readable by this user only, made so before SQLite first opens it: SQLite gives
    the -wal and -shm files the database's mode. Files of earlier installs (0644) are closed too."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # SQLite takes an empty file as new
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if stat.S_IMODE(file.stat().st_mode) & 0o077:
                file.chmod(0o600)
        except FileNotFoundError:
            continue
        except OSError as exc:  # not its owner: say so, but go on
            log.warning("%s is readable by other users and cannot be changed: %s", file, exc)


def make_engine(url: str, pool_size: int = 20, max_overflow: int = 20) -> Engine:
    """hide_parameters: a database error's text (logged, and shown by `voice` commands) names the SQL but
    not the values bound to it, which are callers' numbers, metadata and filenames."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None:
            _private_sqlite(path)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            # Deleted rows are overwritten, not left in free pages: erased voicemails are gone from the file.
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        return engine
    # pre_ping: a connection broken by a database restart is replaced before a request gets it (one
    # cheap round trip per checkout); retry_on_disconnect covers a restart in the middle of a request.
    return create_engine(
        url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow, hide_parameters=True
    )


def retry_on_disconnect(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` (a whole unit of work with its own session) once more if its connection died under
    it (a database restart mid-request). SQLAlchemy then invalidates the pool's older connections
    too, so the second run gets a fresh one. Only for work that is safe to repeat: a commit whose
    answer was lost may have landed (the ingest path is idempotent by Idempotency-Key and call id)."""

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


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """What Alembic compares with the models: all but the search index, which is made by hand (an FTS5
    virtual table with shadow tables on SQLite, a generated tsvector on PostgreSQL)."""
    return not (type_ == "table" and name and name.startswith("voicemail_search"))


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic. Only ``voice db upgrade`` migrates (and tests building
    their databases): every other process checks with ``require_head``."""
    if url.startswith("sqlite"):
        make_engine(url).dispose()  # creates the folder and turns on WAL before Alembic connects
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Take the schema back to ``revision`` ("base": nothing) with Alembic (``voice db downgrade``)."""
    command.downgrade(alembic_config(url), revision)


class SchemaNotAtHead(RuntimeError):
    """The database's schema is not the one this version of Voice was written for; the message says why
    and what to run."""


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(""))  # the migrations shipped; no database needed


def head_revision() -> str | None:
    """The newest migration this version of Voice ships."""
    return _scripts().get_current_head()


def current_revision(url: str) -> str | None:
    """The migration the database is at (None: no Voice schema in it yet)."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def require_head(url: str) -> None:
    """Raise SchemaNotAtHead unless the database is at this version's newest migration. Processes other
    than ``voice db upgrade`` call this instead of migrating: replicas starting together never race to
    migrate, and a release's schema change happens once, when the operator runs it."""
    current, head = current_revision(url), head_revision()
    if current == head:
        return
    where = make_url(url).render_as_string(hide_password=True)
    known = {script.revision for script in _scripts().walk_revisions()}
    if current is None:
        state = "has no Voice schema yet"
    elif current in known:
        state = f"is at migration {current}, this version of Voice needs {head}"
    else:  # a newer release migrated it; upgrading cannot help, and downgrading needs that release's scripts
        raise SchemaNotAtHead(
            f"the database ({where}) is at migration {current}, which this version of Voice does not know "
            f"(a newer release migrated it): run that release, or `voice db downgrade {head}` with it first"
        )
    raise SchemaNotAtHead(f"the database ({where}) {state}: run `voice db upgrade` first")
