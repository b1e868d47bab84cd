"""Routing a stored voicemail: the facts of its triage card and call, the rules and directory from the
database, the decision written onto it (voice/storage/routing.py) with a line in its history.

The pipeline's end and a reprocess's result call ``after_processing`` in the transaction that stores the
result. Routing never fails a voicemail: a fault of its own (a bug, a stored rule that no longer reads) is
logged and noted in the history, and the voicemail keeps its result; only a database fault propagates, as
everywhere in that transaction (the job is then taken up again).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from voice.acks import enqueue as acks
from voice.core.phone import to_e164
from voice.routing import spec
from voice.routing.rules import LEAST_LOADED, Decision, Directory, Facts, Member, Rule, TeamFacts, evaluate
from voice.storage import assignee_notices, channels, crm, notifications
from voice.storage import routing as store
from voice.storage.models import AgentState, Status, Voicemail, VoicemailEvent, as_utc

log = logging.getLogger(__name__)


def stored_specs(session: Session) -> list[spec.RuleSpec]:
    """The stored rules as written, in the order they are tried (the default last)."""
    out = []
    for row in store.list_rules(session):
        written: dict[str, Any] = {"name": row.name, "when": row.conditions, "then": row.actions}
        written |= {"continue": row.continues, "default": row.is_default, "enabled": row.enabled}
        out.append(spec.parse_rule(written))
    return out


def load_rules(session: Session) -> list[Rule]:
    """The stored rules, in order, as the evaluator takes them (checked when they were written)."""
    return [written.rule() for written in stored_specs(session)]


def directory(session: Session, rules: list[Rule]) -> Directory:
    """Teams with their assignable members, caller lists, mailboxes; each member's open voicemails only
    when a rule assigns the least loaded (a count over the voicemails, not made for nothing)."""
    rows = store.members(session)
    counted = any(rule.then.assign == LEAST_LOADED for rule in rules)
    load = store.open_assigned(session, (r.username for r in rows)) if counted else {}
    teams = {}
    sizes = store.team_sizes(session)
    for team in store.teams(session):
        members = tuple(
            Member(r.username, r.available, r.last_assigned_at, load.get(r.username, 0))
            for r in rows
            if r.team == team.name
        )
        teams[team.name] = TeamFacts(
            team.name, team.timezone, team.business_hours, members, sizes.get(team.name, 0)
        )
    return Directory(
        teams, store.list_numbers(session), store.mailbox_teams(session), channels.names(session)
    )


def facts(vm: Voicemail, region: str = spec.DEFAULT_REGION) -> Facts:
    """What the rules test, from the voicemail's current triage card and its call (a caller number without a
    country code read in ``region``, the configured summary.default_region)."""
    revision = vm.current_revision
    summary = revision.summary if revision is not None else None
    flags = list(summary.flags or []) if summary is not None else []
    intent = summary.intent if summary is not None else None
    call = vm.call
    started = call.started_at or vm.created_at
    return Facts(
        intent=intent,
        urgency=summary.urgency if summary is not None else None,
        mailbox=call.mailbox,
        language=revision.language if revision is not None else None,
        spam="spam" in flags or intent == "spam_robocall",
        caller=to_e164(call.from_number, region) if call.from_number else None,
        at=as_utc(started),
    )


def decide(session: Session, vm: Voicemail, region: str = spec.DEFAULT_REGION) -> Decision:
    """The decision the rules make for ``vm`` now; nothing is stored (`voice routing explain`)."""
    rules = load_rules(session)
    return evaluate(rules, facts(vm, region), directory(session, rules))


def manually_assigned(vm: Voicemail) -> bool:
    """Someone other than routing assigned it (routing's own choice is kept in ``vm.routing``)."""
    return vm.assignee is not None and vm.assignee != (vm.routing or {}).get("assignee")


def should_route(vm: Voicemail) -> bool:
    """Routing runs on a voicemail that ended done or with no speech, again after a reprocess only while
    nobody has handled it: not marked in progress or handled, not assigned by a person, not called back."""
    return (
        vm.status in (Status.DONE, Status.NO_SPEECH)
        and vm.agent_state == AgentState.NEW
        and not (manually_assigned(vm))
        and vm.first_callback_at is None  # an agent already called back: moving it would hide it from them
    )


KEPT = "kept"  # Decision.assigned_by of an assignee kept by kept_assignee: no new turn taken


def kept_assignee(vm: Voicemail, decision: Decision, known: Directory) -> Decision:
    """Routed again (a reprocess) to the same team, a voicemail stays with the member routing gave it to
    while they are still in that team: taking turns again would move it away from someone who may be on it."""
    before = vm.routing or {}
    who = before.get("assignee")
    if not who or vm.assignee != who or decision.assigned_by is None or decision.team != before.get("team"):
        return decision
    team = known.teams.get(decision.team or "")
    if team is None or who not in {m.name for m in team.members} or who == decision.assignee:
        return decision
    was = f"assigned to {decision.assignee} ({decision.assigned_by})"
    reasons = tuple(
        r.replace(was, f"kept with {who}, its assignee since first routed") for r in decision.reasons
    )
    return replace(decision, assignee=who, assigned_by=KEPT, reasons=reasons)


def store_decision(session: Session, vm: Voicemail, decision: Decision) -> None:
    record = decision.as_dict()
    detail = f"routing: {decision.text}"
    store.apply(
        session,
        vm,
        decision.team,
        decision.assignee,
        decision.points,
        list(decision.tags),
        record,
        detail,
        take_turn=decision.assigned_by != KEPT,  # keeping someone's voicemail is not their next turn
    )


def after_processing(session: Session, vm_id: str, region: str = spec.DEFAULT_REGION) -> Decision | None:
    """Route ``vm_id`` if it should be (``should_route``), in the caller's transaction; the decision, or
    None when it was not routed. Never raises for a fault of routing's own (see the module's docstring).
    Then, routed or not, its CRM syncs (docs/crm.md) are written: its team is known now."""
    decision = _route(session, vm_id, region)
    vm = session.get(Voicemail, vm_id)
    if vm is not None:
        crm.enqueue_created(session, vm)
        # And the caller's acknowledgement (docs/acknowledgements.md), once per voicemail.
        acks.after_processing(session, vm_id, region)
    return decision


def _route(session: Session, vm_id: str, region: str) -> Decision | None:
    vm = session.get(Voicemail, vm_id)
    if vm is None:
        return None
    session.refresh(vm)  # the result was written by UPDATEs this session's objects have not seen
    if not should_route(vm):
        return None
    try:
        rules = load_rules(session)
        if not rules and vm.routing is None:
            return None  # an install without rules: nothing to say on every voicemail
        seen = facts(vm, region)
        known = directory(session, rules)
        decision = kept_assignee(vm, evaluate(rules, seen, known), known)
    except SQLAlchemyError:
        raise
    except Exception as exc:  # a bug or a stored rule that no longer reads: the voicemail keeps its result
        log.exception("routing voicemail %s failed", vm_id)
        detail = f"routing skipped: {exc.__class__.__name__}: {exc}"[:500]
        session.add(VoicemailEvent(voicemail_id=vm_id, status=vm.status, detail=detail))
        return None
    store_decision(session, vm, decision)
    # The outbox rule: the notifications leave as rows of this transaction (docs/notifications.md).
    notifications.enqueue(session, vm.id, decision.notify, seen.urgency)
    if decision.assignee:
        assignee_notices.enqueue(session, vm.id, decision.assignee, seen.urgency, 0)
    return decision
