"""The routing evaluator (voice/routing/rules.py) and the rule format (voice/routing/spec.py), pure: each
condition and action, first match, continue, the default rule, and the fallbacks when a rule cannot be
applied, with the reasons an agent reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from voice.routing import spec
from voice.routing.rules import Decision, Directory, Facts, Member, TeamFacts, after, evaluate, pick

# Wednesday 2026-12-02 10:00 in Berlin (09:00 UTC), and 20:00 in Berlin.
OPEN = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
CLOSED = datetime(2026, 12, 2, 19, 0, tzinfo=UTC)
T0 = datetime(2026, 12, 1, tzinfo=UTC)

DIRECTORY = Directory(
    teams={
        "billing": TeamFacts(
            "billing",
            "Europe/Berlin",
            "mon-fri 09:00-17:00",
            (
                Member("alice", last_assigned_at=T0 + timedelta(hours=1), open_assigned=5),
                Member("bob", last_assigned_at=T0, open_assigned=9),
                Member("carol", available=False),
                Member("dave", last_assigned_at=T0 + timedelta(hours=2), open_assigned=1),
            ),
        ),
        "support": TeamFacts("support", "UTC", None, (Member("sam"),)),
        "night": TeamFacts("night", "UTC", None, (Member("nina", available=False),)),
        "empty": TeamFacts("empty", "UTC", None, (), seen_by=0),
    },
    lists={"vip": frozenset({"+14155550100"})},
    mailbox_teams={"accounts": "billing", "helpdesk": "support"},
)


def rules(*written: dict) -> list:
    return [r.rule() for r in spec.parse_rule_set({"rules": list(written)}).rules]


def decide(written: list[dict], **facts: object) -> Decision:
    base: dict[str, object] = {"intent": "other", "urgency": "normal", "mailbox": "accounts", "at": OPEN}
    return evaluate(rules(*written), Facts(**{**base, **facts}), DIRECTORY)  # type: ignore[arg-type]


DEFAULT = {"name": "default", "default": True, "then": {"team": "support"}}


@pytest.mark.parametrize(
    ("when", "facts", "matched", "why"),
    [
        ({"intent": "billing"}, {"intent": "billing"}, True, "intent=billing"),
        ({"intent": ["billing", "cancellation"]}, {"intent": "support"}, False, None),
        ({"urgency": ["high", "urgent"]}, {"urgency": "urgent"}, True, "urgency=urgent"),
        ({"urgency": "high"}, {"urgency": "low"}, False, None),
        ({"mailbox": "accounts"}, {}, True, "mailbox=accounts"),
        ({"mailbox": "sales"}, {}, False, None),
        ({"language": "DE"}, {"language": "de"}, True, "language=de"),
        ({"language": "de"}, {"language": None}, False, None),
        ({"spam": True}, {"spam": True}, True, "spam"),
        ({"spam": False}, {"spam": True}, False, None),
        ({"caller": "(415) 555-0100"}, {"caller": "+14155550100"}, True, "caller=+14155550100"),
        ({"caller": "+14155550100"}, {"caller": "+14155550199"}, False, None),
        ({"caller_list": "vip"}, {"caller": "+14155550100"}, True, "caller on list vip"),
        ({"caller_list": "vip"}, {"caller": None}, False, None),
        ({"hours": "open", "hours_team": "billing"}, {"at": OPEN}, True, "inside billing's business hours"),
        ({"hours": "closed", "hours_team": "billing"}, {"at": CLOSED}, True, "outside billing's business"),
        ({"hours": "open", "hours_team": "billing"}, {"at": CLOSED}, False, None),
        # 08:30 UTC is 09:30 in Berlin (open; in UTC it would not be), and in summer time 07:30 UTC is 09:30
        (
            {"hours": "open", "hours_team": "billing"},
            {"at": datetime(2026, 12, 2, 8, 30, tzinfo=UTC)},
            True,
            "in",
        ),
        (
            {"hours": "open", "hours_team": "billing"},
            {"at": datetime(2026, 3, 30, 7, 30, tzinfo=UTC)},
            True,
            "in",
        ),
        (
            {"hours": "open", "hours_team": "billing"},
            {"at": datetime(2026, 3, 27, 7, 30, tzinfo=UTC)},
            False,
            None,
        ),
        # No hours_team: the mailbox's team (accounts belongs to billing).
        ({"hours": "closed"}, {"at": CLOSED}, True, "outside billing's business hours"),
        ({"intent": "billing", "urgency": "urgent"}, {"intent": "billing", "urgency": "low"}, False, None),
    ],
)
def test_each_condition(when: dict, facts: dict, matched: bool, why: str | None) -> None:
    decision = decide([{"name": "r", "when": when, "then": {"team": "billing"}}, DEFAULT], **facts)
    if matched:
        assert decision.rules == ("r",) and decision.team == "billing", decision
        assert decision.reasons[0].startswith("routed to billing by rule 'r' (")
        assert why is not None and why in decision.text
    else:
        assert decision.rules == ("default",) and decision.team == "support", decision
        assert decision.text == "routed to support by default rule 'default'"


def test_the_first_match_wins_and_reads_as_the_issue_says() -> None:
    written = [
        {
            "name": "invoices",
            "when": {"intent": "billing"},
            "then": {"team": "billing", "assign": "round_robin"},
        },
        {"name": "billing-too", "when": {"mailbox": "accounts"}, "then": {"team": "support"}},
        DEFAULT,
    ]
    decision = decide(written, intent="billing")
    assert decision.rules == ("invoices",)
    # bob's last assignment is the oldest of the available members: his turn.
    assert (decision.team, decision.assignee, decision.assigned_by) == ("billing", "bob", "round robin")
    assert (
        decision.text
        == "routed to billing by rule 'invoices' (intent=billing); assigned to bob (round robin)"
    )
    assert not decision.fell_back


def test_round_robin_takes_turns_and_skips_unavailable_members() -> None:
    rule = rules({"name": "all", "then": {"team": "billing", "assign": "round_robin"}})
    directory, seen = DIRECTORY, []
    for minute in range(5):
        decision = evaluate(rule, Facts(at=OPEN), directory)
        seen.append(decision.assignee)
        directory = after(directory, decision, OPEN + timedelta(minutes=minute))
    assert seen == ["bob", "alice", "dave", "bob", "alice"]  # carol is not available


def test_least_loaded_takes_the_fewest_open_voicemails() -> None:
    written = [{"name": "all", "then": {"team": "billing", "assign": "least_loaded"}}]
    decision = decide(written)
    assert (decision.assignee, decision.assigned_by) == ("dave", "least loaded")
    assert "assigned to dave (least loaded)" in decision.text


def test_points_tags_and_channels_add_up_over_rules_that_continue() -> None:
    written = [
        {
            "name": "vip",
            "when": {"caller_list": "vip"},
            "then": {"priority": 20, "tags": ["vip"]},
            "continue": True,
        },
        {
            "name": "urgent",
            "when": {"urgency": "urgent"},
            "then": {"priority": 5, "tags": ["vip", "urgent"], "notify": ["pager"]},
            "continue": True,
        },
        {"name": "invoices", "when": {"intent": "billing"}, "then": {"team": "billing", "notify": "slack"}},
        {"name": "never", "then": {"team": "night"}},
        DEFAULT,
    ]
    decision = decide(written, caller="+14155550100", urgency="urgent", intent="billing")
    assert decision.rules == ("vip", "urgent", "invoices")
    assert (decision.team, decision.points) == ("billing", 25)
    assert decision.tags == ("vip", "urgent") and decision.notify == ("pager", "slack")
    assert decision.reasons == (
        "rule 'vip' (caller on list vip); +20 priority; tagged vip",
        "rule 'urgent' (urgency=urgent); +5 priority; tagged vip, urgent; notify pager",
        "routed to billing by rule 'invoices' (intent=billing); notify slack",
    )


def test_the_default_applies_after_continuing_rules_and_fills_in_only_what_is_unset() -> None:
    written = [
        {
            "name": "vip",
            "when": {"caller_list": "vip"},
            "then": {"team": "billing", "tags": "vip"},
            "continue": True,
        },
        {
            "name": "default",
            "default": True,
            "then": {"team": "support", "assign": "round_robin", "priority": 1},
        },
    ]
    decision = decide(written, caller="+14155550100")
    assert decision.rules == ("vip", "default")
    # The default does not take it away from billing; it assigns within billing.
    assert (decision.team, decision.assignee, decision.points, decision.tags) == (
        "billing",
        "bob",
        1,
        ("vip",),
    )
    other = decide(written, caller="+14155550199")
    assert (other.rules, other.team, other.assignee) == (("default",), "support", "sam")
    assert (
        other.text
        == "routed to support by default rule 'default'; assigned to sam (round robin); +1 priority"
    )


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ({"then": {"team": "legal"}}, "rule 'r' cannot be applied: no team 'legal'"),
        ({"then": {"team": "night", "assign": "round_robin"}}, "team 'night' has no available members"),
        (
            {"then": {"assign": "least_loaded"}},
            "rule 'r' cannot be applied: it assigns but routes to no team",
        ),
        ({"when": {"caller_list": "gold"}, "then": {"team": "billing"}}, "no caller list 'gold'"),
        (
            {"when": {"hours": "open", "hours_team": "support"}},
            "team 'support' has no business hours to test",
        ),
        ({"when": {"hours": "open", "hours_team": "legal"}}, "no team 'legal' (business-hours condition)"),
    ],
)
def test_a_rule_that_cannot_be_applied_falls_back_to_the_default_and_says_why(rule: dict, why: str) -> None:
    decision = decide([{"name": "r", "then": {"priority": 50}, **rule}, DEFAULT])
    assert decision.fell_back and decision.rules == ("default",) and decision.team == "support"
    assert decision.points == 0  # nothing of the rule that could not be applied
    assert why in decision.reasons[0] and decision.reasons[1] == "routed to support by default rule 'default'"


def test_a_rule_that_does_not_match_anyway_is_not_a_problem() -> None:
    # The unknown list is never looked at: the intent already rules it out.
    decision = decide([{"name": "r", "when": {"intent": "billing", "caller_list": "gold"}}, DEFAULT])
    assert not decision.fell_back and decision.rules == ("default",)


def test_a_default_that_cannot_do_everything_does_what_it_can() -> None:
    written = [
        {"name": "default", "default": True, "then": {"team": "night", "assign": "round_robin", "tags": "x"}}
    ]
    decision = decide(written)
    assert (decision.team, decision.assignee, decision.tags) == ("night", None, ("x",))
    assert decision.reasons[-1] == "default rule 'default': team 'night' has no available members"
    gone = decide([{"name": "default", "default": True, "then": {"team": "legal"}}])
    assert gone.team is None and "default rule 'default': no team 'legal'" in gone.text


def test_no_match_and_no_default_leaves_it_to_the_mailbox_and_disabled_rules_are_skipped() -> None:
    decision = decide([{"name": "r", "when": {"intent": "billing"}, "then": {"team": "billing"}}])
    assert decision.rules == () and decision.team is None
    assert decision.text == "no rule matched and there is no default rule: left to the mailbox's team"
    off = decide([{"name": "r", "enabled": False, "then": {"team": "billing"}}, DEFAULT])
    assert off.rules == ("default",)


@pytest.mark.parametrize(
    ("written", "error"),
    [
        ({"rules": [{"name": "a"}, {"name": "A"}]}, "two rules are named 'a'"),
        (
            {"rules": [{"name": "x", "when": {"intent": "bills"}}]},
            "rule 'x' (#1), when.intent: unknown intent 'bills'",
        ),
        (
            {"rules": [{"name": "x", "then": {"assign": "random"}}]},
            "rule 'x' (#1), then.assign: Input should be",
        ),
        (
            {"rules": [{"name": "x", "when": {"colour": "red"}}]},
            "rule 'x' (#1), when.colour: is not a known field",
        ),
        ({"rules": [{"name": "x", "when": {"caller": "call me"}}]}, "'call me' is not a phone number"),
        ({"rules": [{"name": "bad name"}]}, "a rule's name is 1 to 60 letters"),
        (
            {"rules": [{"name": "d", "default": True, "when": {"intent": "billing"}}]},
            "the default rule has no",
        ),
        ({"rules": [{"name": "a", "default": True}, {"name": "b", "default": True}]}, "only one rule can be"),
        ("rules", "a rule set is a mapping with a 'rules' list"),
    ],
)
def test_rules_that_cannot_be_used_are_refused_with_where_and_why(written: object, error: str) -> None:
    with pytest.raises(spec.SpecError) as caught:
        spec.parse_rule_set(written)
    assert error in str(caught.value)


def test_a_rule_set_round_trips_through_its_written_form() -> None:
    written = [
        {
            "name": "vip",
            "when": {"caller_list": ["vip"]},
            "then": {"priority": 20.0, "tags": ["vip"]},
            "continue": True,
        },
        {
            "name": "invoices",
            "when": {"intent": ["billing"], "hours": "open"},
            "then": {"team": "billing"},
            "enabled": False,
        },
        {"name": "default", "then": {"team": "support"}, "default": True},
    ]
    parsed = spec.parse_rule_set(written)
    assert [r.written() for r in parsed.rules] == written


def test_a_later_rule_that_moves_the_team_drops_an_earlier_rules_assignee() -> None:
    """alice was picked in billing by a rule that continued; a later rule moved the voicemail to support:
    alice could not see it there, so support's default fills in the assignee (or nobody)."""
    decision = decide(
        [
            {"name": "vip", "when": {"intent": "billing"}, "continue": True,
             "then": {"team": "billing", "assign": "round_robin"}},
            {"name": "spam", "when": {"intent": "billing"}, "then": {"team": "support"}},
            DEFAULT,
        ],
        intent="billing",
    )  # fmt: skip
    assert decision.team == "support" and decision.assignee is None, decision


def test_a_team_with_nobody_in_it_is_a_rule_that_cannot_be_applied() -> None:
    decision = decide([{"name": "r", "when": {"intent": "billing"}, "then": {"team": "empty"}}, DEFAULT],
                      intent="billing")  # fmt: skip
    assert decision.team == "support" and decision.fell_back, decision
    assert "team 'empty' has no members" in decision.text


def test_round_robin_compares_last_assignments_in_utc() -> None:
    """PostgreSQL hands timestamptz back in the session's time zone: 10:00+01:00 is before 09:30 UTC."""
    berlin = timezone(timedelta(hours=1))
    team = TeamFacts(
        "t", members=(Member("bob", last_assigned_at=datetime(2026, 12, 2, 9, 30, tzinfo=UTC)),
                      Member("alice", last_assigned_at=datetime(2026, 12, 2, 10, 0, tzinfo=berlin)))
    )  # fmt: skip
    assert pick(team, "round_robin").name == "alice"
