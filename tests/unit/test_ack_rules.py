"""Acknowledgements' rules without a database: who gets nothing, when a message may go (the caller's allowed
hours in every zone of their number), which template and what it says. The clock is each test's own."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from jinja2.exceptions import SecurityError

from voice.acks import callback_time, eligibility, hours, templates
from voice.core.business_hours import parse

OK = eligibility.Case(
    status="done",
    intent="billing",
    flags=(),
    number="+447700900123",
    opted_out=False,
    acknowledged_recently=False,
)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({}, None),
        ({"intent": "spam_robocall"}, "spam or a robocall"),
        ({"flags": ("spam",)}, "spam or a robocall"),
        ({"intent": "wrong_number"}, "a wrong number"),
        ({"intent": "no_message"}, "no message was left"),
        ({"status": "no_speech", "intent": None}, "no message was left"),
        ({"status": "failed"}, "the voicemail is failed"),
        ({"number": None}, "the caller's number is unknown or withheld"),
        ({"number": "+442079460018"}, "the caller's number is a landline"),
        ({"number": "+448001111111"}, "the caller's number is a toll-free number"),
        ({"number": "+449098790000"}, "the caller's number is a premium-rate number"),
        ({"number": "+445600000000"}, "the caller's number is a VoIP number"),
        ({"number": "+447012345678"}, "the caller's number is a personal (forwarding) number"),
        ({"number": "+441632960123"}, "the caller's number is a landline"),  # Ofcom's drama landlines
        ({"number": "+4412"}, "the caller's number is not a valid number"),
        ({"number": "+12125550134"}, None),  # the US: fixed line or mobile, cannot tell
        ({"number": "+4915112345678"}, None),
        ({"opted_out": True}, "the caller opted out of messages from this sender"),
        ({"acknowledged_recently": True}, "the caller was acknowledged within the team's repeat window"),
    ],
)
def test_who_gets_nothing_and_why(change: dict[str, object], reason: str | None) -> None:
    assert eligibility.skip_reason(replace(OK, **change)) == reason  # type: ignore[arg-type]


LONDON = hours.caller_zones("+447700900123")
WINDOW = hours.AllowedHours()


def test_a_uk_number_is_messaged_from_8_to_21_london_time() -> None:
    assert {z.key for z in LONDON} >= {"Europe/London"}
    day = datetime(2026, 7, 1, tzinfo=UTC)  # British Summer Time: UTC+1
    assert WINDOW.next_open(day.replace(hour=7), LONDON) == day.replace(hour=7)  # 08:00 BST
    assert WINDOW.next_open(day.replace(hour=19, minute=59), LONDON) == day.replace(hour=19, minute=59)
    assert WINDOW.next_open(day.replace(hour=20), LONDON) == day.replace(hour=7) + timedelta(days=1)
    assert WINDOW.next_open(day.replace(hour=6, minute=30), LONDON) == day.replace(hour=7)


def test_a_country_with_several_zones_waits_until_the_window_is_open_in_all() -> None:
    russia = hours.caller_zones("+79161234567")  # Kaliningrad to Kamchatka
    assert len(russia) > 5
    at = WINDOW.next_open(datetime(2026, 12, 3, 12, 0, tzinfo=UTC), russia)
    assert at is not None
    for zone in russia:
        local = at.astimezone(zone)
        assert 8 <= local.hour < 21, (zone, local)
    # 12:00 UTC is 00:00 in Kamchatka: the shared window opens at 06:00 UTC the next day (08:00 in UTC+2).
    assert at == datetime(2026, 12, 4, 6, 0, tzinfo=UTC)


def test_a_narrow_window_no_zone_set_can_share_has_no_moment() -> None:
    zones = [zoneinfo.ZoneInfo("Pacific/Kiritimati"), zoneinfo.ZoneInfo("Pacific/Pago_Pago")]  # 25 h apart
    assert hours.AllowedHours("09:00", "10:00").next_open(datetime(2026, 12, 3, tzinfo=UTC), zones) is None


def test_allowed_hours_are_checked() -> None:
    with pytest.raises(ValueError, match="before the end"):
        hours.AllowedHours("21:00", "08:00")
    with pytest.raises(ValueError, match="not a time"):
        hours.AllowedHours("8am", "21:00")


ZONE = zoneinfo.ZoneInfo("Europe/London")
OFFICE = parse("mon-fri 09:00-17:00")


def test_the_callback_time_counts_the_deadline_in_business_hours() -> None:
    monday_2pm = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
    assert callback_time.due_by(monday_2pm, 2, OFFICE, ZONE) == monday_2pm.replace(hour=16)
    assert callback_time.due_by(monday_2pm, 4, OFFICE, ZONE) == datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
    friday_night = datetime(2026, 12, 11, 23, 0, tzinfo=UTC)
    assert callback_time.due_by(friday_night, 1, OFFICE, ZONE) == datetime(2026, 12, 14, 10, 0, tzinfo=UTC)
    assert callback_time.due_by(monday_2pm, 4, None, ZONE) == monday_2pm.replace(
        hour=18
    )  # no hours: the clock


def test_the_callback_time_told_is_never_already_past_when_the_message_goes() -> None:
    """A team without hours, a voicemail at 23:00 and a 4 h deadline: the message waits for 08:00, so
    "today at 03:00" would be a broken promise; the deadline then counts from the sending (12:00)."""
    night, morning = datetime(2026, 12, 7, 23, 0, tzinfo=UTC), datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
    assert callback_time.promised(night, morning, 4, None, ZONE) == datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
    assert callback_time.promised(night, night, 4, None, ZONE) == datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
    # In business hours the deadline already counts from the opening, after the wait: unchanged.
    monday_2pm = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
    assert callback_time.promised(monday_2pm, monday_2pm, 4, OFFICE, ZONE) == datetime(
        2026, 12, 8, 10, 0, tzinfo=UTC
    )


def test_the_callback_time_is_said_in_the_callers_language() -> None:
    now = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # a Monday
    at = now.replace(hour=16)
    assert callback_time.spoken(at, now, ZONE, "en") == "today at 16:00"
    assert callback_time.spoken(at + timedelta(days=1), now, ZONE, "de") == "morgen um 16:00 Uhr"
    assert callback_time.spoken(at + timedelta(days=3), now, ZONE, "fr") == "jeudi à 16:00"
    assert callback_time.spoken(at, now, ZONE, "ja") == "today at 16:00"  # English for the others


def test_templates_are_checked_when_written() -> None:
    assert templates.check("Hi {{ caller_name }}, about {{ topic }}: {{ callback_by }}") is not None
    with pytest.raises(templates.TemplateInvalid, match="does not parse"):
        templates.check("Hi {{ caller_name ")
    with pytest.raises(templates.TemplateInvalid, match=r"unknown variable\(s\) transcript"):
        templates.check("You said: {{ transcript }}")
    with pytest.raises(templates.TemplateInvalid, match="needs a body"):
        templates.check("  ")


def test_a_template_is_text_variables_if_and_a_few_filters_nothing_that_can_run_long() -> None:
    fine = (
        "Thanks{% if caller_name %} {{ caller_name|capitalize }}{% else %} for calling{% endif %}, "
        "{{ team|upper }} will call {{ callback_by }}{{ ' (' ~ business_name ~ ')' if business_name }}."
    )
    assert templates.check(fine) == fine
    assert templates.render(fine, {"team": "billing", "callback_by": "today"}) == (
        "Thanks for calling, BILLING will call today."
    )
    for slow, what in (
        ("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}", "not for"),
        ("{{ 'x' * 1000000000 }}", "not mul"),
        ("{{ 9 ** 9 ** 9 }}", "not pow"),
        ("{{ topic.upper() }}", "not call"),
        ("{{ topic.__class__ }}", "not getattr"),
        ("{{ topic | join(topic * 100) }}", "not join"),
        ("{{ topic | wordwrap(1) }}", "not wordwrap"),
    ):
        with pytest.raises(templates.TemplateInvalid, match=what):
            templates.check(slow)
        with pytest.raises(templates.TemplateInvalid, match=what):  # one stored before the rule
            templates.render(slow, {"topic": "your bill"})


def test_the_sandbox_keeps_a_template_from_python_objects() -> None:
    body = "{{ topic.__class__.__mro__ }}"
    with pytest.raises(templates.TemplateInvalid, match="not getattr"):
        templates.render(body, {"topic": "your bill"})
    with pytest.raises(templates.TemplateInvalid, match="not getattr"):
        templates.check(body)  # refused when written, so no caller meets it
    # And should a template get past that rule, the sandbox still keeps it from Python's objects.
    with pytest.raises(SecurityError):
        templates._env.from_string(body).render(topic="your bill")
    with pytest.raises(templates.TemplateInvalid, match="No filter named 'nosuch'"):
        templates.check("{{ topic | nosuch }}")


def test_variables_are_built_from_the_card_not_the_transcript() -> None:
    assert templates.first_name("Maria Lopez") == "Maria"
    assert (
        templates.first_name("[NAME]") == ""
        and templates.first_name("J.") == ""
        and not templates.first_name(None)
    )
    assert templates.topic("billing", "en") == "your bill"
    assert templates.topic("billing", "de-DE") == "Ihre Rechnung"
    assert templates.topic(None, "ja") == "your message"


@dataclass(frozen=True)
class T:
    intent: str
    language: str
    hours: str


def test_the_most_specific_template_wins() -> None:
    any_ = T("*", "*", "any")
    english = T("*", "en", "any")
    billing = T("billing", "*", "any")
    english_billing_after = T("billing", "en", "after")
    found = [any_, english, billing, english_billing_after]

    def pick(intent: str, language: str, in_hours: bool | None) -> T | None:
        return templates.choose(found, templates.Wanted(intent, language, in_hours))

    assert pick("billing", "en", False) is english_billing_after
    assert pick("billing", "en", True) is english  # the language counts before the intent
    assert pick("billing", "de", True) is billing
    assert pick("support", "de", None) is any_
    assert templates.choose([english], templates.Wanted("billing", "de", True)) is None
