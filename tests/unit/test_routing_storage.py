"""Routing on a real database (SQLite and PostgreSQL): rules managed one at a time and loaded as YAML (all or
nothing), caller lists in E.164, and a stored voicemail routed: its team, assignee, tags, priority points and
the decision in its history; routed again only while nobody handled it; its team gone, it stays visible
by its mailbox (team_id set to NULL by the database)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.support.seed import seed_voicemail

PASSWORD = "correct horse battery"
RULES = """
rules:
  - name: vip
    when: {caller_list: vip}
    then: {priority: 20, tags: [vip]}
    continue: true
  - name: invoices
    when: {intent: billing, mailbox: [accounts]}
    then: {team: billing, assign: round_robin, notify: [slack-billing]}
  - name: default
    default: true
    then: {team: support}
"""


def _world(session: Session) -> None:
    from voice.storage import channels, teams, users
    from voice.usecases import routing

    channels.add(
        session, None, "slack-billing", "slack", {}, {"url": "https://hooks.slack.com/services/T/B/x"}
    )
    for name in ("alice", "bob", "carol", "sam"):
        users.create_user(session, name, PASSWORD, "agent")
    teams.create_team(session, "billing", ["accounts"], "Europe/Berlin", "mon-fri 09:00-17:00")
    teams.create_team(session, "support", ["helpdesk"])
    for name in ("alice", "bob", "carol"):
        teams.add_member(session, "billing", username=name)
    teams.add_member(session, "support", username="sam")
    teams.set_available(session, "billing", "carol", False)
    routing.load_yaml(session, RULES)
    assert routing.add_numbers(session, "vip", ["+1 (415) 555-0100", "+14155550100"]) == ["+14155550100"] * 2


def _fresh(session: Session, **kw: object) -> str:
    from voice.storage.models import Voicemail

    vm_id = seed_voicemail(session, **kw)  # type: ignore[arg-type]
    vm = session.get(Voicemail, vm_id)
    assert vm is not None
    vm.agent_state, vm.assignee = "new", None  # as the pipeline leaves it, before anyone acts
    return vm_id


def test_rules_and_lists_are_managed_and_a_bad_load_changes_nothing(sm: sessionmaker[Session]) -> None:
    from voice.storage import routing as store
    from voice.usecases import routing

    with sm() as session:
        _world(session)
        session.commit()
    with sm() as session:
        assert [r.name for r in routing.rule_specs(session)] == ["vip", "invoices", "default"]
        routing.add_rule(
            session, {"name": "urgent", "when": {"urgency": "urgent"}, "then": {"team": "support"}}, 1
        )
        routing.add_rule(session, {"name": "sales", "when": {"intent": "sales_lead"}})
        store.move_rule(session, "sales", 2)
        store.set_enabled(session, "vip", False)
        specs = routing.rule_specs(session)
        assert [(r.name, r.enabled) for r in specs] == [
            ("urgent", True), ("sales", True), ("vip", False), ("invoices", True), ("default", True)
        ]  # fmt: skip
        with pytest.raises(store.RoutingConflict, match="routing rule 'sales' exists already"):
            routing.add_rule(session, {"name": "sales"})
        with pytest.raises(store.RoutingConflict, match="rule 'default' is the default already"):
            routing.add_rule(session, {"name": "other", "default": True})
        with pytest.raises(store.RoutingError, match="the default rule is always tried last"):
            store.move_rule(session, "default", 1)
        store.delete_rule(session, "urgent")
        with pytest.raises(store.RoutingNotFound, match="no routing rule 'urgent'"):
            store.delete_rule(session, "urgent")
        session.commit()
        exported = routing.export_yaml(session)
    with sm() as session:
        with pytest.raises(store.RoutingError, match=r"rule 'x' \(#2\), then.assign"):
            routing.load_yaml(session, "rules:\n  - name: a\n  - name: x\n    then: {assign: random}\n")
        with pytest.raises(store.RoutingError, match="not YAML"):
            routing.load_yaml(session, "rules: [")
        session.rollback()
        assert routing.export_yaml(session) == exported  # nothing changed
        assert [r.name for r in routing.load_yaml(session, exported)] == [
            "sales",
            "vip",
            "invoices",
            "default",
        ]
        session.commit()
        assert routing.export_yaml(session) == exported  # a round trip

        assert store.caller_lists(session) == {"vip": ["+14155550100"]}
        routing.add_numbers(session, "VIP", ["+44 7700 900123"])
        assert routing.remove_numbers(session, "vip", ["+14155550100", "+14155550199"]) == 1
        assert store.caller_lists(session) == {"vip": ["+447700900123"]}
        with pytest.raises(store.RoutingError, match="'nope' is not a phone number"):
            routing.add_numbers(session, "vip", ["nope"])
        with pytest.raises(store.RoutingNotFound, match="no caller list 'gold'"):
            routing.remove_numbers(session, "gold", ["+14155550100"])
        store.delete_list(session, "vip")
        assert store.caller_lists(session) == {}


def test_a_stored_voicemail_is_routed_and_routed_again_only_while_nobody_handled_it(
    sm: sessionmaker[Session],
) -> None:
    from voice.routing import route
    from voice.storage import agents, revisions, teams
    from voice.storage.models import Summary, Team, TeamMember, TranscriptRevision, Voicemail, VoicemailEvent

    with sm() as session:
        _world(session)
        vip = _fresh(session, mailbox="accounts", intent="billing", from_number="+14155550100")
        other = _fresh(session, mailbox="accounts", intent="other")
        session.commit()
    with sm() as session:
        decision = route.after_processing(session, vip)
        session.commit()
    assert decision is not None
    assert decision.text == (
        "rule 'vip' (caller on list vip); +20 priority; tagged vip; "
        "routed to billing by rule 'invoices' (intent=billing, mailbox=accounts); "
        "assigned to alice (round robin); "
        "notify slack-billing"
    )
    with sm() as session:
        vm = session.get(Voicemail, vip)
        assert vm is not None
        billing = session.scalar(select(Team.id).where(Team.name == "billing"))
        assert (vm.team_id, vm.assignee, vm.tags, vm.priority, vm.routing_points) == (
            billing, "alice", ["vip"], 30.0, 20.0
        )  # fmt: skip
        assert vm.routing is not None and vm.routing["rules"] == ["vip", "invoices", "default"][:2]
        history = session.scalars(
            select(VoicemailEvent.detail).where(VoicemailEvent.voicemail_id == vip)
        ).all()
        assert history[-1] == f"routing: {decision.text}"
        turns = session.scalars(
            select(TeamMember.last_assigned_at).where(TeamMember.team_id == billing)
        ).all()
        assert sum(t is not None for t in turns) == 1  # alice's turn is taken
        alice_turn = max(t for t in turns if t is not None)

        # A new triage (a reprocess) keeps routing's points on top of its priority.
        triage = Summary(text="s", intent="billing", priority=15.0)
        revision = TranscriptRevision(engine="e", model="m")
        revisions.make_current(session, vip, revision, triage, lambda p, overdue: p)
        session.commit()
        session.refresh(vm)
        assert vm.priority == 35.0

    with sm() as session:  # routed again while nobody handled it: same team, so it stays with alice
        again = route.after_processing(session, vip)
        session.commit()
    assert again is not None and again.assignee == "alice"
    assert "kept with alice, its assignee since first routed" in again.text
    with sm() as session:
        vm = session.get(Voicemail, vip)
        assert vm is not None and (vm.assignee, vm.priority, vm.tags) == ("alice", 35.0, ["vip"])
        turns = session.scalars(
            select(TeamMember.last_assigned_at).where(TeamMember.team_id == billing)
        ).all()  # keeping her voicemail is not her next turn
        assert [t for t in turns if t is not None] == [alice_turn]
        agents.set_agent_state(session, vm, "dana", assignee="carol")  # a person assigns it (to billing's)
        session.commit()
    with sm() as session:
        assert route.after_processing(session, vip) is None
        vm = session.get(Voicemail, vip)
        assert vm is not None and vm.assignee == "carol"
        agents.set_agent_state(session, vm, "dana", unassign=True, state="handled")
        session.commit()
    with sm() as session:
        assert route.after_processing(session, vip) is None  # handled: left alone

        decision = route.after_processing(session, other)
        session.commit()
        assert decision is not None and decision.text == "routed to support by default rule 'default'"
        teams.delete_team(session, "support")
        session.commit()
        vm = session.get(Voicemail, other)
        assert vm is not None
        session.refresh(vm)
        assert vm.team_id is None  # ON DELETE SET NULL: the access rule falls back to its mailbox


def test_a_fault_in_routing_never_fails_the_voicemail(sm: sessionmaker[Session]) -> None:
    from voice.routing import route
    from voice.storage.models import RoutingRule, Voicemail, VoicemailEvent

    with sm() as session:
        _world(session)
        vm_id = _fresh(session, mailbox="accounts", intent="billing")
        # A stored rule that no longer reads (written by hand, or by a later version).
        session.add(RoutingRule(name="broken", position=0, conditions={"colour": "red"}, actions={}))
        session.commit()
    with sm() as session:
        assert route.after_processing(session, vm_id) is None
        session.commit()
        vm = session.get(Voicemail, vm_id)
        assert vm is not None and vm.status == "done" and vm.team_id is None
        last = session.scalars(
            select(VoicemailEvent.detail)
            .where(VoicemailEvent.voicemail_id == vm_id)
            .order_by(VoicemailEvent.id)
        ).all()[-1]
        assert last is not None and last.startswith("routing skipped: SpecError: ")


def test_done_and_no_speech_voicemails_are_routed_failed_ones_and_installs_without_rules_not(
    sm: sessionmaker[Session],
) -> None:
    from voice.routing import route
    from voice.storage.models import VoicemailEvent
    from voice.usecases import routing

    with sm() as session:
        _world(session)
        quiet = _fresh(session, mailbox="accounts", intent="no_message", status="no_speech")
        failed = _fresh(session, mailbox="accounts", intent="billing", status="failed")
        plain = _fresh(session, mailbox="accounts", intent="billing")
        session.commit()
    with sm() as session:
        decision = route.after_processing(session, quiet)
        assert decision is not None and decision.text == "routed to support by default rule 'default'"
        assert route.after_processing(session, failed) is None
        routing.load_rule_set(session, {"rules": []})
        assert route.after_processing(session, plain) is None  # no rules: nothing said on every voicemail
        session.commit()
        said = session.scalars(
            select(VoicemailEvent.detail).where(VoicemailEvent.detail.like("routing%"))
        ).all()
        assert len(said) == 1


def test_a_routed_voicemail_is_due_by_the_deadline_of_the_team_it_was_routed_to(
    sm: sessionmaker[Session], tmp_path: Path
) -> None:
    """Routed to support (deadline 1 h), a voicemail of billing's mailbox (no deadline: the settings' 100 h)
    is overdue after 2 h; its unrouted neighbour in the same mailbox is not."""
    from voice.core.config import Settings
    from voice.routing import route
    from voice.storage import teams
    from voice.storage.models import Voicemail, utcnow
    from voice.usecases.overdue import mark_overdue

    now = utcnow()
    with sm() as session:
        _world(session)
        teams.update_team(session, "support", callback_hours=1)
        routed = _fresh(session, mailbox="accounts", intent="other")
        left = _fresh(session, mailbox="accounts", intent="other")
        for vm_id in (routed, left):
            row = session.get(Voicemail, vm_id)
            assert row is not None
            row.created_at = now - timedelta(hours=2)
        session.flush()
        assert route.after_processing(session, routed).team == "support"  # type: ignore[union-attr]
        session.commit()
    settings = Settings(data_dir=tmp_path, sla={"default_hours": 100})
    assert mark_overdue(sm, settings, now) == [routed]


def test_least_loaded_counts_the_open_voicemails_assigned_to_each_member(sm: sessionmaker[Session]) -> None:
    from voice.routing import route
    from voice.storage.models import Voicemail
    from voice.usecases import routing

    with sm() as session:
        _world(session)
        rule = {"name": "all", "then": {"team": "billing", "assign": "least_loaded"}}
        routing.load_rule_set(session, {"rules": [rule]})
        # alice: two open; bob: one open, two handled; carol (unavailable): none.
        for assignee, state in [("alice", "new"), ("alice", "in_progress"), ("bob", "new"),
                                ("bob", "handled"), ("bob", "handled")]:  # fmt: skip
            row = session.get(Voicemail, _fresh(session, mailbox="accounts"))
            assert row is not None
            row.assignee, row.agent_state = assignee, state
        target = _fresh(session, mailbox="accounts")
        session.commit()
    with sm() as session:
        decision = route.after_processing(session, target)
        session.commit()
    assert (
        decision is not None
        and decision.text == "routed to billing by rule 'all'; assigned to bob (least loaded)"
    )


def test_cards_take_turns_after_the_stored_ones_whatever_their_date(sm: sessionmaker[Session]) -> None:
    """`voice routing test` stores nothing, but takes turns as if it did, after the turns stored already."""
    from voice.routing import route
    from voice.usecases import routing

    with sm() as session:
        _world(session)
        vm_id = _fresh(session, mailbox="accounts", intent="billing")
        session.commit()
    with sm() as session:
        assert route.after_processing(session, vm_id).assignee == "alice"  # type: ignore[union-attr]
        session.commit()
    card = '{"intent": "billing", "mailbox": "accounts", "at": "2026-01-05T10:00:00Z"}'
    with sm() as session:
        tried = [r.decision.assignee for r in routing.test_cards(session, [card] * 3) if r.decision]
    assert tried == ["bob", "alice", "bob"]
