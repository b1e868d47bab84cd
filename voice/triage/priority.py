"""The one place that computes a voicemail's priority.

Three parts, each written once:
- the triage score a transcript gets (``priority_of``);
- the stored priority: that score, raised by the mailbox's SLA boost once the voicemail is overdue
  (``with_overdue_boost``, ``raise_overdue``);
- the priority the inbox shows and sorts by: the stored one plus 1 point per hour waiting, at most 24,
  until the voicemail is handled (``inbox_priority`` in Python, ``inbox_priority_sql`` the same in SQL, so
  the list can be ordered by exactly the value it shows; ``shown_priority`` rounds it for people).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import Float, bindparam, case
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement, SQLColumnExpression
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import DateTime

URGENCY_POINTS = {"urgent": 60.0, "high": 40.0, "normal": 20.0, "low": 5.0}
INTENT_POINTS = {
    "complaint": 10.0, "cancellation": 10.0, "sales_lead": 8.0, "billing": 6.0, "support": 6.0,
    "appointment": 5.0, "delivery": 5.0, "callback_request": 5.0, "personal": 2.0, "other": 2.0,
    "wrong_number": 0.0, "spam_robocall": 0.0, "no_message": 0.0,
}  # fmt: skip
WAITING_CAP_HOURS = 24.0  # waiting adds 1 point per hour, up to this many


def priority_of(urgency: str, intent: str, repeat_calls: int, sentiment: str) -> float:
    """urgency points + intent points + 5 per earlier call from the number within 24 h (at most 15)
    + 5 for negative sentiment. Waiting time is added when the inbox is read (``inbox_priority``)."""
    points = URGENCY_POINTS[urgency] + INTENT_POINTS[intent] + min(repeat_calls, 3) * 5.0
    if sentiment == "negative":
        points += 5.0
    return points


@overload
def raise_overdue(priority: float, boost: float) -> float: ...
@overload
def raise_overdue(priority: SQLColumnExpression[Any], boost: float) -> ColumnElement[Any]: ...
def raise_overdue(priority: Any, boost: float) -> Any:
    """The stored priority of a voicemail past its callback deadline: for a number, or for the column
    (the overdue sweep raises it in the database)."""
    return priority + boost


def with_overdue_boost(priority: float | None, overdue: bool, boost: float) -> float | None:
    """What a voicemail stores for a new triage priority: raised again when it is already overdue."""
    if priority is None:
        return None
    return raise_overdue(priority, boost) if overdue else priority


def inbox_priority(stored: float | None, created_at: datetime, handled: bool, now: datetime) -> float | None:
    """The stored priority plus 1 point per hour waiting since it arrived (at most 24), until handled.
    Unrounded: the value the inbox sorts by."""
    if stored is None or handled:
        return stored
    received = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
    hours = max(0.0, (now - received).total_seconds() / 3600)
    return stored + min(hours, WAITING_CAP_HOURS)


def shown_priority(value: float | None, handled: bool) -> float | None:
    """An inbox priority as the API and the pages show it: to one decimal while it is still ageing.
    Rounding keeps the order, so a list sorted by ``inbox_priority`` is sorted by what it shows."""
    if value is None or handled:
        return value
    return round(value, 1)


def inbox_priority_sql(
    stored: SQLColumnExpression[Any],
    created_at: SQLColumnExpression[Any],
    handled: SQLColumnExpression[bool],
    now: datetime,
) -> ColumnElement[float]:
    """``inbox_priority`` as a SQL expression over the voicemail's columns, at the time ``now``."""
    at = bindparam("inbox_now", now.astimezone(UTC), type_=DateTime(timezone=True), unique=True)
    hours = _HoursBetween(created_at, at)
    waited = case((hours < 0.0, 0.0), (hours > WAITING_CAP_HOURS, WAITING_CAP_HOURS), else_=hours)
    return case((handled, stored), else_=stored + waited)


class _HoursBetween(FunctionElement[float]):
    """Hours from the first time to the second, as a float (SQLite and PostgreSQL spell it differently)."""

    type = Float()
    name = "hours_between"
    inherit_cache = True


@compiles(_HoursBetween, "sqlite")
def _hours_sqlite(element: _HoursBetween, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    # julianday() counts whole milliseconds: rounded back to them, equal waits give equal hours.
    return f"(round((julianday({end}) - julianday({start})) * 86400000.0) / 3600000.0)"


@compiles(_HoursBetween, "postgresql")
def _hours_postgresql(element: _HoursBetween, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION) / 3600.0)"
