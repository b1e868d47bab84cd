"""When a message may reach a caller: inside the allowed hours (default 08:00-21:00) of the caller's local
time. The zones come from phonenumbers (per number where it knows the area, else its country's); when a
number has several, the window must be open in all of them at once, so no caller is messaged at night."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

import phonenumbers
from phonenumbers import PhoneNumberType
from phonenumbers import timezone as pn_timezone

_UNKNOWN = "Etc/Unknown"
# How far ahead to look for a moment open everywhere (two days covers every window of a day).
_HORIZON = timedelta(days=3)


class AllowedHours:
    """A daily window, ``start`` to ``end`` minutes after local midnight (``end`` after ``start``)."""

    def __init__(self, start: str = "08:00", end: str = "21:00") -> None:
        self.start, self.end = minutes(start), minutes(end)
        if self.start >= self.end:
            raise ValueError(f"allowed hours {start}-{end}: the start must be before the end")

    def open_in(self, at: datetime, zone: zoneinfo.ZoneInfo) -> bool:
        local = at.astimezone(zone)
        minute = local.hour * 60 + local.minute
        return self.start <= minute < self.end

    def next_open(self, after: datetime, zones: list[zoneinfo.ZoneInfo]) -> datetime | None:
        """The first moment from ``after`` when the window is open in every zone; None when there is none
        within three days (zones too far apart for the window)."""
        if all(self.open_in(after, z) for z in zones):
            return after
        candidates = set()
        for zone in zones:  # the shared window opens when its last zone opens: one of these
            local = after.astimezone(zone)
            for day in range(4):
                date = (local + timedelta(days=day)).date()
                midnight = datetime(date.year, date.month, date.day, tzinfo=zone)
                opening = midnight + timedelta(minutes=self.start)
                candidates.add(opening.astimezone(after.tzinfo))
        for moment in sorted(c for c in candidates if after < c <= after + _HORIZON):
            if all(self.open_in(moment, z) for z in zones):
                return moment
        return None


def minutes(text: str) -> int:
    """'HH:MM' as minutes after midnight; ValueError when it is not one (00:00 to 24:00)."""
    try:
        hours, mins = (int(part) for part in text.strip().split(":"))
    except ValueError:
        raise ValueError(f"{text!r} is not a time HH:MM") from None
    if not (0 <= hours <= 24 and 0 <= mins <= 59) or (hours == 24 and mins):
        raise ValueError(f"{text!r} is not a time from 00:00 to 24:00")
    return hours * 60 + mins


def _names(number: phonenumbers.PhoneNumber) -> tuple[str, ...]:
    names = pn_timezone.time_zones_for_number(number)
    if names and _UNKNOWN not in names:
        return tuple(names)
    # A number phonenumbers cannot place (a fictional range): its country's mobile numbers' zones.
    region = phonenumbers.region_code_for_country_code(number.country_code or 0)
    example = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE) if region else None
    names = pn_timezone.time_zones_for_number(example) if example is not None else ()
    return tuple(n for n in names if n != _UNKNOWN)


def caller_zones(e164: str, fallback: str = "UTC") -> list[zoneinfo.ZoneInfo]:
    """The time zones the caller may be in; ``fallback`` (the team's zone) when phonenumbers knows none."""
    try:
        names = _names(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        names = ()
    zones = []
    for name in names or (fallback,):
        try:
            zones.append(zoneinfo.ZoneInfo(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
    return zones or [zoneinfo.ZoneInfo("UTC")]
