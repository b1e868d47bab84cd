"""A team's business hours (voice/core/business_hours.py): the written form, its mistakes, and whether a
moment is inside, read in the team's time zone (daylight saving included)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from voice.core.business_hours import HoursError, parse, time_zone


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("mon-fri 09:00-17:00", "mon-fri 09:00-17:00"),
        ("  MON-Fri   9:00 - 17:30 ;; sat 10:00-14:00 ", "mon-fri 09:00-17:30; sat 10:00-14:00"),
        ("mon-wed,fri 08:00-12:00", "mon-wed,fri 08:00-12:00"),
        ("sun 00:00-24:00", "sun 00:00-24:00"),
    ],
)
def test_hours_are_stored_in_one_written_form(text: str, normalised: str) -> None:
    assert parse(text).text == normalised
    assert parse(normalised).text == normalised


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "at least one clause"),
        ("9-5", "is not DAYS HH:MM-HH:MM"),
        ("mon-fri 9-17", "is not DAYS HH:MM-HH:MM"),
        ("weekdays 09:00-17:00", "'weekdays' in 'weekdays 09:00-17:00' is not a day"),
        ("mon-fri 17:00-09:00", "the start is not before the end"),
        ("mon 09:00-09:00", "the start is not before the end"),
        ("mon 09:00-25:00", "'25:00' in 'mon 09:00-25:00' is not a time"),
        ("mon 09:60-10:00", "is not a time"),
        ("mon 09:00-24:01", "is not a time"),
        ("mon 09:00-17:00" + "; tue 09:00-17:00" * 20, "at most 200 characters"),
    ],
)
def test_hours_that_cannot_be_used_say_why(text: str, reason: str) -> None:
    with pytest.raises(HoursError, match=reason):
        parse(text)


def test_open_is_read_in_the_teams_time_zone() -> None:
    hours = parse("mon-fri 09:00-17:00; sat 10:00-14:00")
    berlin = time_zone("Europe/Berlin")
    # Wednesday 2026-12-02: Berlin is UTC+1 in winter.
    assert not hours.is_open(datetime(2026, 12, 2, 7, 59, tzinfo=UTC), berlin)  # 08:59 there
    assert hours.is_open(datetime(2026, 12, 2, 8, 0, tzinfo=UTC), berlin)  # 09:00 there
    assert hours.is_open(datetime(2026, 12, 2, 15, 59, tzinfo=UTC), berlin)  # 16:59
    assert not hours.is_open(datetime(2026, 12, 2, 16, 0, tzinfo=UTC), berlin)  # 17:00: closed
    # Summer time (UTC+2): the same local hours, other UTC times.
    assert hours.is_open(datetime(2026, 7, 1, 7, 0, tzinfo=UTC), berlin)
    assert not hours.is_open(datetime(2026, 7, 1, 15, 0, tzinfo=UTC), berlin)
    # Saturday 2026-12-05 11:00 there; Sunday closed.
    assert hours.is_open(datetime(2026, 12, 5, 10, 0, tzinfo=UTC), berlin)
    assert not hours.is_open(datetime(2026, 12, 6, 10, 0, tzinfo=UTC), berlin)
    # New York: Friday 22:00 UTC is 17:00 there (closed); Friday 21:59 UTC is 16:59 (open).
    new_york = time_zone("America/New_York")
    assert hours.is_open(datetime(2026, 12, 4, 21, 59, tzinfo=UTC), new_york)
    assert not hours.is_open(datetime(2026, 12, 4, 22, 0, tzinfo=UTC), new_york)


def test_a_day_range_may_wrap_past_sunday() -> None:
    hours = parse("fri-mon 10:00-12:00")
    utc = time_zone("UTC")
    open_days = [d for d in range(1, 8) if hours.is_open(datetime(2026, 6, d, 11, 0, tzinfo=UTC), utc)]
    # 2026-06-01 is a Monday: Monday, Friday, Saturday, Sunday.
    assert open_days == [1, 5, 6, 7]


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../../etc/passwd", "Europe/Berlin\x00", "x" * 65])
def test_an_unknown_time_zone_is_refused_by_name(name: str) -> None:
    with pytest.raises(HoursError, match="IANA"):
        time_zone(name)


def test_known_time_zones() -> None:
    assert str(time_zone(" Europe/Berlin ")) == "Europe/Berlin"
    assert str(time_zone("UTC")) == "UTC"
