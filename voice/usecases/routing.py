"""Managing and trying routing rules (`voice routing`, /v1/routing; docs/routing.md): the rule set as YAML
(config as code: a load replaces every rule at once, or changes nothing), one rule at a time, caller lists,
``explain`` (which rule a stored voicemail matches now, and why) and ``test_cards`` (the rules on triage
cards given as JSON, one a line). Nothing here commits: the caller does, so a refusal leaves all as it was.
Every refusal is a RoutingError (voice/storage/routing.py) whose message says why. ``region`` is the
configured summary.default_region: numbers written without a country code (on lists, in rules, callers) are
read as that region's."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy.orm import Session

from voice.core.phone import to_e164
from voice.routing import route, spec
from voice.routing.rules import Decision, Facts, after, evaluate
from voice.routing.spec import DEFAULT_REGION
from voice.storage import inbox
from voice.storage import routing as store
from voice.storage.models import utcnow
from voice.storage.routing import RoutingError, RoutingNotFound


def _new(rule: spec.RuleSpec) -> store.NewRule:
    conditions, actions = rule.stored()
    return store.NewRule(rule.name, conditions, actions, rule.continues, rule.default, rule.enabled)


def rule_specs(session: Session) -> list[spec.RuleSpec]:
    """The stored rules, in the order they are tried (the default last)."""
    return route.stored_specs(session)


class _Dumper(yaml.SafeDumper):
    """Mappings in blocks, lists on one line ([billing, accounts]): a rule reads as people write it."""


def _list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flat = all(not isinstance(item, dict | list) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)


_Dumper.add_representer(list, _list)


def export_yaml(session: Session) -> str:
    """The rule set as `voice routing load` reads it back."""
    rules = [rule.written() for rule in rule_specs(session)]
    options: dict[str, Any] = {"sort_keys": False, "allow_unicode": True, "width": 100}
    return str(yaml.dump({"rules": rules}, Dumper=_Dumper, default_flow_style=False, **options))


def load_rule_set(session: Session, data: Any, region: str = DEFAULT_REGION) -> list[spec.RuleSpec]:
    """Replace every rule with ``data`` (parsed YAML or JSON), checked as a whole first."""
    rules = spec.parse_rule_set(data, region).rules
    store.replace_rules(session, [_new(rule) for rule in rules])
    return rules


def load_yaml(session: Session, text: str, region: str = DEFAULT_REGION) -> list[spec.RuleSpec]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RoutingError(f"not YAML: {exc}") from None
    return load_rule_set(session, data, region)


def add_rule(
    session: Session, data: dict[str, Any], position: int | None = None, region: str = DEFAULT_REGION
) -> spec.RuleSpec:
    rule = spec.parse_rule(data, region)
    store.add_rule(session, _new(rule), position)
    return rule


def explain(session: Session, vm_id: str, region: str = DEFAULT_REGION) -> Decision:
    """The decision the rules make for a stored voicemail now (re-evaluated; nothing is stored)."""
    vm = inbox.get_voicemail(session, vm_id)
    if vm is None:
        raise RoutingNotFound("voicemail not found")
    return route.decide(session, vm, region)


def _when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return moment


def card_facts(card: dict[str, Any], region: str = DEFAULT_REGION) -> Facts:
    """Facts from a triage card as JSON: its fields at the top, or as `voice transcribe --format json`
    prints them ("summary" for the card, "call" for from, mailbox and started_at)."""
    summary: dict[str, Any] = card["summary"] if isinstance(card.get("summary"), dict) else {}
    call: dict[str, Any] = card["call"] if isinstance(card.get("call"), dict) else {}

    def get(*names: str) -> Any:
        for source in (card, summary, call):
            for name in names:
                if source.get(name) not in (None, ""):
                    return source[name]
        return None

    flags = get("flags") or []
    spam = get("spam")
    caller = get("caller", "from", "from_number")
    return Facts(
        intent=get("intent"),
        urgency=get("urgency"),
        mailbox=get("mailbox"),
        language=(get("language") or None),
        spam=bool(spam) if spam is not None else ("spam" in flags or get("intent") == "spam_robocall"),
        caller=to_e164(str(caller), region) if caller else None,
        at=_when(get("at", "started_at")) or utcnow(),
    )


@dataclass(frozen=True)
class CardResult:
    line: int
    decision: Decision | None
    error: str | None = None


def test_cards(session: Session, lines: Iterable[str], region: str = DEFAULT_REGION) -> Iterator[CardResult]:
    """The rules on each card (one JSON object a line; blank lines skipped), in order, storing nothing. An
    assignment takes the member's turn for the next cards, as it would if they were stored."""
    rules = route.load_rules(session)
    directory = route.directory(session, rules)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            card = json.loads(line)
            if not isinstance(card, dict):
                raise ValueError("a card is a JSON object")
            facts = card_facts(card, region)
        except ValueError as exc:
            yield CardResult(number, None, f"line {number}: {exc}")
            continue
        decision = evaluate(rules, facts, directory)
        # The turn is taken now, not at the card's time: a card dated before a stored assignment would
        # otherwise give the same member the turn again.
        directory = after(directory, decision, utcnow())
        yield CardResult(number, decision)


def list_name(name: str) -> str:
    try:
        return spec.check_name(name, "a caller list's name")
    except ValueError as exc:
        raise RoutingError(str(exc)) from None


def numbers(raw: Iterable[str], region: str = DEFAULT_REGION) -> list[str]:
    """Numbers in E.164, or RoutingError naming the first that is not one."""
    try:
        return [spec.caller_number(n, region) for n in raw]
    except ValueError as exc:
        raise RoutingError(str(exc)) from None


def add_numbers(session: Session, name: str, raw: Iterable[str], region: str = DEFAULT_REGION) -> list[str]:
    """Add numbers to a list (made if need be); the numbers as stored."""
    found = numbers(raw, region)
    store.add_numbers(session, list_name(name), found)
    return found


def remove_numbers(session: Session, name: str, raw: Iterable[str], region: str = DEFAULT_REGION) -> int:
    return store.remove_numbers(session, list_name(name), numbers(raw, region))


def applied(session: Session, vm_id: str) -> dict[str, Any] | None:
    """The decision stored when the voicemail was last routed (None: never routed)."""
    vm = inbox.get_voicemail(session, vm_id)
    if vm is None:
        raise RoutingNotFound("voicemail not found")
    return vm.routing
