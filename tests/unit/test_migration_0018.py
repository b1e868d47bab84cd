"""Migration 0018 on a database that already holds two default routing rules (two loads at once could write
them before the database kept it to one): the first by position stays the default, the other becomes an
ordinary rule, and the index that keeps one default is made. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.services import temp_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'voice.db'}"
    else:
        with temp_postgres() as made:
            yield made


def test_two_defaults_written_before_0018_leave_one(url: str) -> None:
    from voice.storage import db

    db.upgrade(url, "0017")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for name, position in (("later", 2), ("first", 1), ("plain", 3)):
                conn.execute(
                    text(
                        "INSERT INTO routing_rules (name, position, enabled, is_default, conditions, actions,"
                        " continues, created_at, updated_at) VALUES (:n, :p, :t, :d, '{}', '{}', :f,"
                        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    ),
                    {"n": name, "p": position, "t": True, "d": name != "plain", "f": False},
                )
        db.upgrade(url, "0018")
        with engine.begin() as conn:
            rows = conn.execute(text("SELECT name, is_default FROM routing_rules ORDER BY name")).all()
            assert [(n, bool(d)) for n, d in rows] == [("first", True), ("later", False), ("plain", False)]
            second = text("UPDATE routing_rules SET is_default = :t WHERE name = 'later'")
            with pytest.raises(Exception, match="(?i)unique"):
                conn.execute(second, {"t": True})
    finally:
        engine.dispose()
