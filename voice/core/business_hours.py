"""A team's business hours and time zone: parsed and checked once, then asked whether a moment is inside.

The format (docs/teams.md): one or more clauses separated by ``;``, each ``DAYS HH:MM-HH:MM`` where DAYS is a
day (``mon``), a range (``mon-fri``; ``fri-mon`` wraps past Sunday) or a list of both (``mon-wed,fri``).
Times are local to the team's time zone, from 00:00 to 24:00, the start before the end (a night shift is
two clauses: ``mon-fri 22:00-24:00; tue-sat 00:00-06:00``). Case and spaces around the parts do not matter;
the stored form is the normalised one (``mon-fri 09:00-17:00; sat 10:00-14:00``).
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EXAMPLE = "mon-fri 09:00-17:00; sat 10:00-14:00"
MAX_LENGTH = 200
_CLAUSE = re.compile(r"(?P<days>[a-z,\- ]+?)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})")


class HoursError(ValueError):
    """Business hours or a time zone that cannot be used; the message says why and how to write them."""


@dataclass(frozen=True)
class Clause:
    days: frozenset[int]  # 0 = Monday
    start: int  # minutes after local midnight
    end: int  # exclusive; 1440 is midnight at the end of the day


@dataclass(frozen=True)
class BusinessHours:
    clauses: tuple[Clause, ...]
    text: str  # the normalised form, as stored

    def is_open(self, at: datetime, tz: zoneinfo.ZoneInfo) -> bool:
        """Whether the aware moment ``at`` falls inside these hours, read in time zone ``tz``."""
        local = at.astimezone(tz)
        minute = local.hour * 60 + local.minute
        return any(local.weekday() in c.days and c.start <= minute < c.end for c in self.clauses)


def time_zone(name: str) -> zoneinfo.ZoneInfo:
    """An IANA time zone by name (Europe/Berlin, America/New_York, UTC); HoursError for anything else."""
    name = name.strip()
    if not name or len(name) > 64:
        raise HoursError("a time zone is an IANA name such as Europe/Berlin or UTC")
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise HoursError(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin or UTC"
        ) from exc


def _minutes(value: str, clause: str) -> int:
    hours, minutes = (int(part) for part in value.split(":"))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise HoursError(f"{value!r} in {clause!r} is not a time from 00:00 to 24:00")
    return hours * 60 + minutes


def _day(name: str, clause: str) -> int:
    try:
        return DAYS.index(name.strip())
    except ValueError:
        raise HoursError(f"{name.strip()!r} in {clause!r} is not a day: use {', '.join(DAYS)}") from None


def _days(text: str, clause: str) -> frozenset[int]:
    days: set[int] = set()
    for part in text.split(","):
        first, sep, last = part.partition("-")
        start = _day(first, clause)
        end = _day(last, clause) if sep else start
        days.update((start + i) % 7 for i in range((end - start) % 7 + 1))
    return frozenset(days)


def _text(clause: Clause, days: str) -> str:
    def hhmm(m: int) -> str:
        return f"{m // 60:02d}:{m % 60:02d}"

    return f"{days} {hhmm(clause.start)}-{hhmm(clause.end)}"


def parse(text: str) -> BusinessHours:
    """Business hours from their text (see the module's docstring); HoursError saying what is wrong."""
    if len(text) > MAX_LENGTH:
        raise HoursError(f"business hours are at most {MAX_LENGTH} characters")
    clauses: list[Clause] = []
    shown: list[str] = []
    for raw in text.lower().split(";"):
        raw = " ".join(raw.split())
        if not raw:
            continue
        match = _CLAUSE.fullmatch(raw)
        if match is None:
            raise HoursError(f"{raw!r} is not DAYS HH:MM-HH:MM, e.g. {EXAMPLE!r}")
        clause = Clause(_days(match["days"], raw), _minutes(match["start"], raw), _minutes(match["end"], raw))
        if clause.start >= clause.end:
            raise HoursError(
                f"in {raw!r} the start is not before the end: write a night shift as two clauses, "
                "e.g. 'mon 22:00-24:00; tue 00:00-06:00'"
            )
        clauses.append(clause)
        shown.append(_text(clause, match["days"].replace(" ", "")))
    if not clauses:
        raise HoursError(f"business hours need at least one clause, e.g. {EXAMPLE!r}")
    return BusinessHours(tuple(clauses), "; ".join(shown))
