"""At most one default routing rule, kept by the database (index uq_routing_rules_one_default, migration 0018)
and said as a RoutingConflict (409 in the API, exit 2 in the CLI), never as a database error: two writers
adding a default rule at the same time, each past the check for one, end with one default and a conflict
naming it; a load that replaces the default rule works, and two loads at once end with the second's set
whole. On SQLite and PostgreSQL, with two real sessions in two threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

WAIT = 1.0  # long enough for the second writer to reach the database and wait there


def _rules(sm: sessionmaker[Session]) -> list[tuple[str, bool]]:
    from voice.storage import routing as store

    with sm() as session:
        return [(r.name, r.is_default) for r in store.list_rules(session)]


def _at_once(
    sm: sessionmaker[Session], first: Callable[[Session], object], second: Callable[[Session], object]
) -> str | None:
    """``first`` written but not committed, ``second`` started in another session and thread; once it waits
    on the database, ``first`` commits. What ``second`` was refused with (None: it committed)."""
    from voice.storage.routing import RoutingConflict

    refused: list[str | None] = []

    def run() -> None:
        with sm() as session:
            try:
                second(session)
                session.commit()
                refused.append(None)
            except RoutingConflict as exc:
                refused.append(str(exc))

    with sm() as session:
        first(session)
        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(WAIT)
        assert thread.is_alive(), refused  # past its own checks, waiting for the first writer
        session.commit()
    thread.join(60)
    assert not thread.is_alive() and len(refused) == 1
    return refused[0]


def test_two_writers_adding_a_default_rule_at_once_end_with_one_and_a_conflict(
    sm: sessionmaker[Session],
) -> None:
    from voice.usecases import routing

    with sm() as session:
        routing.add_rule(session, {"name": "vip", "when": {"intent": "billing"}, "then": {"priority": 5}})
        session.commit()
    refused = _at_once(
        sm,
        lambda s: routing.add_rule(s, {"name": "d1", "default": True, "then": {"priority": 1}}),
        lambda s: routing.add_rule(s, {"name": "d2", "default": True, "then": {"priority": 2}}),
    )
    assert refused == "rule 'd1' is the default already; delete it first"
    assert _rules(sm) == [("vip", False), ("d1", True)]


def test_a_load_replaces_the_default_rule_and_two_loads_at_once_end_with_the_second(
    sm: sessionmaker[Session],
) -> None:
    from voice.storage.routing import RoutingConflict
    from voice.usecases import routing

    with sm() as session:
        routing.load_yaml(session, "rules:\n- name: a\n- name: d1\n  default: true\n")
        session.commit()
    with sm() as session:  # another default, by another name: the old one goes first, in one transaction
        routing.load_yaml(session, "rules:\n- name: d2\n  default: true\n- name: b\n")
        session.commit()
    assert _rules(sm) == [("b", False), ("d2", True)]

    # Two loads at once, each with its own default: the second waits, then replaces the first's set whole.
    refused = _at_once(
        sm,
        lambda s: routing.load_yaml(s, "rules:\n- name: x1\n- name: first\n  default: true\n"),
        lambda s: routing.load_yaml(s, "rules:\n- name: x2\n- name: second\n  default: true\n"),
    )
    assert refused is None
    assert _rules(sm) == [("x2", False), ("second", True)]

    # A second default beside a stored one is refused by the check, saying which rule is the default.
    with sm() as session:
        try:
            routing.add_rule(session, {"name": "third", "default": True})
        except RoutingConflict as exc:
            assert str(exc) == "rule 'second' is the default already; delete it first"
        else:
            raise AssertionError("a second default rule was added")
    assert _rules(sm) == [("x2", False), ("second", True)]
