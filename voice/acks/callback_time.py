"""The expected callback time a caller is told: the team's deadline counted in its business hours (a
voicemail left at 23:00 with a 4 h deadline is called back 4 business hours after opening, not at 03:00),
or on the clock when the team has no hours; written for the caller in their language."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

from voice.core.business_hours import BusinessHours

_STEP = timedelta(minutes=15)
_MAX_STEPS = 4 * 24 * 60  # 60 days of quarter hours: hours that are never open end the count

# "today at 16:00", "tomorrow at 10:00", "Monday at 10:00", per language; English for the others.
_WORDS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "en": ("today at {t}", "tomorrow at {t}", "{d} at {t}",
           ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")),
    "de": ("heute um {t} Uhr", "morgen um {t} Uhr", "{d} um {t} Uhr",
           ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")),
    "fr": ("aujourd'hui à {t}", "demain à {t}", "{d} à {t}",
           ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")),
    "es": ("hoy a las {t}", "mañana a las {t}", "el {d} a las {t}",
           ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")),
    "it": ("oggi alle {t}", "domani alle {t}", "{d} alle {t}",
           ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica")),
    "nl": ("vandaag om {t}", "morgen om {t}", "{d} om {t}",
           ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")),
    "pt": ("hoje às {t}", "amanhã às {t}", "{d} às {t}",
           ("segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado",
            "domingo")),
}  # fmt: skip


def due_by(
    received: datetime, deadline_h: float, hours: BusinessHours | None, zone: zoneinfo.ZoneInfo
) -> datetime | None:
    """When the team should call back: ``deadline_h`` hours of its business hours after ``received`` (in
    quarter hours), or on the clock without hours; None when the hours never open."""
    if hours is None:
        return received + timedelta(hours=deadline_h)
    left = timedelta(hours=deadline_h)
    at = received
    for _ in range(_MAX_STEPS):
        if left <= timedelta(0):
            return at
        if hours.is_open(at, zone):
            left -= _STEP
        at += _STEP
    return None


def promised(
    received: datetime,
    sending: datetime,
    deadline_h: float,
    hours: BusinessHours | None,
    zone: zoneinfo.ZoneInfo,
) -> datetime | None:
    """The time the caller is told, for a message that goes at ``sending``: ``due_by`` from the voicemail's
    arrival, or, when that is already past when the message goes (a team without business hours, a night's
    wait for the caller's allowed hours), the deadline counted from the sending: never a time gone by."""
    due = due_by(received, deadline_h, hours, zone)
    if due is not None and due < sending:
        return due_by(sending, deadline_h, hours, zone)
    return due


def spoken(at: datetime, now: datetime, zone: zoneinfo.ZoneInfo, language: str | None) -> str:
    """``at`` as the caller reads it, relative to ``now``, in ``zone``: "today at 16:00"."""
    today, when, other, days = _WORDS.get((language or "en").split("-")[0].lower(), _WORDS["en"])
    local, here = at.astimezone(zone), now.astimezone(zone)
    clock = local.strftime("%H:%M")
    gap = (local.date() - here.date()).days
    if gap <= 0:
        return today.format(t=clock)
    if gap == 1:
        return when.format(t=clock)
    if gap < 7:
        return other.format(d=days[local.weekday()], t=clock)
    return other.format(d=local.strftime("%Y-%m-%d"), t=clock)
