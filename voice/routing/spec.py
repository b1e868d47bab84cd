"""Routing rules as written (YAML, JSON, CLI flags), checked with pydantic, and turned into the evaluator's
types (voice/routing/rules.py). The stored form is ``RuleSpec.stored()``: conditions and actions as JSON.

    rules:
      - name: invoices
        when: {intent: [billing], mailbox: [billing, accounts]}
        then: {team: billing, assign: round_robin, priority: 10, tags: [invoice], notify: [slack-billing]}
      - name: default
        default: true
        then: {team: support}
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from voice.core.phone import to_e164
from voice.routing import rules as r
from voice.storage.routing import RoutingError
from voice.triage.model import INTENTS, URGENCIES

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,59}")
NAME_TEXT = "1 to 60 letters, digits, '-' or '_', starting with a letter or digit"
MAX_RULES = 500
# Numbers written without a country code are read in the configured region (settings.summary.default_region);
# this is that setting's default, for callers that have no settings (stored rules hold E.164 already).
DEFAULT_REGION = "US"


class SpecError(RoutingError):
    """Rules that cannot be used as written; the message says which rule and field, and why."""


def check_name(value: str, what: str) -> str:
    value = value.strip().lower()
    if not NAME.fullmatch(value):
        raise ValueError(f"{what} is {NAME_TEXT}, not {value!r}")
    return value


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str | bool | int | float) else value


class When(BaseModel):
    """Conditions: every one given must hold; a list matches any of its values."""

    model_config = ConfigDict(extra="forbid")

    intent: list[str] | None = Field(None, description=f"any of {', '.join(INTENTS)}")
    urgency: list[str] | None = Field(None, description=f"any of {', '.join(URGENCIES)}")
    mailbox: list[str] | None = Field(None, description="any of these mailboxes (exact)")
    language: list[str] | None = Field(None, description="any of these language codes (en, de, ...)")
    spam: bool | None = Field(None, description="triage flagged it as spam (true) or not (false)")
    caller: list[str] | None = Field(None, description="any of these caller numbers (E.164 after parsing)")
    caller_list: list[str] | None = Field(None, description="the caller is on any of these named lists")
    hours: Literal["open", "closed"] | None = Field(
        None, description="inside (open) or outside (closed) the business hours of hours_team"
    )
    hours_team: str | None = Field(
        None, description="whose business hours: default the rule's team, else the mailbox's team"
    )

    @field_validator("intent", "urgency", "mailbox", "language", "caller", "caller_list", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        return _one_or_many(value)

    @field_validator("intent")
    @classmethod
    def _intents(cls, value: list[str] | None) -> list[str] | None:
        for item in value or []:
            if item not in INTENTS:
                raise ValueError(f"unknown intent {item!r}: use {', '.join(INTENTS)}")
        return value

    @field_validator("urgency")
    @classmethod
    def _urgencies(cls, value: list[str] | None) -> list[str] | None:
        for item in value or []:
            if item not in URGENCIES:
                raise ValueError(f"unknown urgency {item!r}: use {', '.join(URGENCIES)}")
        return value

    @field_validator("language")
    @classmethod
    def _languages(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [v.strip().lower() for v in value]

    @field_validator("caller")
    @classmethod
    def _numbers(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        region = (info.context or {}).get("region", DEFAULT_REGION)  # parse_rule_set / parse_rule
        return None if value is None else [caller_number(v, region) for v in value]

    @field_validator("caller_list")
    @classmethod
    def _lists(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [check_name(v, "a caller list's name") for v in value]

    @field_validator("hours_team")
    @classmethod
    def _team(cls, value: str | None) -> str | None:
        return None if value is None else check_name(value, "a team name")


class Then(BaseModel):
    """Actions of a rule that matches."""

    model_config = ConfigDict(extra="forbid")

    team: str | None = Field(None, description="route to this team (its agents see the voicemail)")
    assign: Literal["round_robin", "least_loaded"] | None = Field(
        None, description="assign to one of the team's available members"
    )
    priority: float = Field(0.0, ge=-1000, le=1000, description="points added to the priority")
    tags: list[str] = Field(default_factory=list, max_length=20, description="tags added to the voicemail")
    notify: list[str] = Field(
        default_factory=list, max_length=20, description="channel names, recorded in the decision"
    )

    @field_validator("tags", "notify", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        return _one_or_many(value)

    @field_validator("team")
    @classmethod
    def _team(cls, value: str | None) -> str | None:
        return None if value is None else check_name(value, "a team name")

    @field_validator("tags", "notify")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        out: list[str] = []
        for item in value:
            item = check_name(item, "a tag or channel name")
            if item not in out:
                out.append(item)
        return out


class RuleSpec(BaseModel):
    """One rule as written. ``continue: true`` goes on to the next rules after this one applies; the one
    ``default: true`` rule has no conditions and catches what no rule stopped at."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    when: When = Field(default_factory=When)
    then: Then = Field(default_factory=Then)
    continues: bool = Field(False, alias="continue")
    default: bool = False
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value, "a rule's name")

    @model_validator(mode="after")
    def _default(self) -> RuleSpec:
        if self.default and self.when.model_dump(exclude_none=True):
            raise ValueError("the default rule has no conditions (it catches the rest)")
        if self.default and self.continues:
            raise ValueError("the default rule comes last: it cannot continue")
        return self

    def stored(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(conditions, actions) as stored: only what is set."""
        return self.when.model_dump(exclude_none=True), self.then.model_dump(exclude_defaults=True)

    def written(self) -> dict[str, Any]:
        """The rule as YAML shows it (`voice routing export`): what is set, nothing else."""
        out: dict[str, Any] = {"name": self.name}
        conditions, actions = self.stored()
        if conditions:
            out["when"] = conditions
        if actions:
            out["then"] = actions
        for key, value, normal in (("continue", self.continues, False), ("default", self.default, False),
                                   ("enabled", self.enabled, True)):  # fmt: skip
            if value != normal:
                out[key] = value
        return out

    def rule(self) -> r.Rule:
        w, t = self.when, self.then

        def many(values: list[str] | None) -> frozenset[str] | None:
            return None if values is None else frozenset(values)

        return r.Rule(
            name=self.name,
            when=r.Conditions(
                intent=many(w.intent),
                urgency=many(w.urgency),
                mailbox=many(w.mailbox),
                language=many(w.language),
                spam=w.spam,
                caller=many(w.caller),
                caller_list=tuple(w.caller_list or ()),
                hours=w.hours,
                hours_team=w.hours_team,
            ),
            then=r.Actions(
                team=t.team, assign=t.assign, points=t.priority, tags=tuple(t.tags), notify=tuple(t.notify)
            ),
            continues=self.continues,
            default=self.default,
            enabled=self.enabled,
        )


class RuleSet(BaseModel):
    """A whole rule set (``voice routing load``, PUT /v1/routing/rules): names unique, one default at most."""

    model_config = ConfigDict(extra="forbid")

    rules: list[RuleSpec] = Field(default_factory=list, max_length=MAX_RULES)

    @model_validator(mode="after")
    def _unique(self) -> RuleSet:
        seen: set[str] = set()
        for spec in self.rules:
            if spec.name in seen:
                raise ValueError(f"two rules are named {spec.name!r}")
            seen.add(spec.name)
        if sum(spec.default for spec in self.rules) > 1:
            raise ValueError("only one rule can be the default")
        return self


def caller_number(raw: str, region: str = DEFAULT_REGION) -> str:
    """A number on a list or in a rule, in E.164 (a national number is read as one of ``region``: the
    configured summary.default_region); ValueError saying why for anything that is not a dialable number."""
    number = to_e164(str(raw).strip(), region)
    if number is None:
        raise ValueError(f"{raw!r} is not a phone number (write it in E.164, e.g. +14155550100)")
    return number


def _where(loc: tuple[int | str, ...], data: Any) -> str:
    """A pydantic error location as people read it: rule 'invoices' (#2), when.intent."""
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        index = loc[1]
        rules = data.get("rules") if isinstance(data, dict) else None
        name = (
            rules[index].get("name") if isinstance(rules, list) and isinstance(rules[index], dict) else None
        )
        head = f"rule {name!r} (#{index + 1})" if name else f"rule #{index + 1}"
        rest = ".".join(str(p) for p in loc[2:])
        return f"{head}, {rest}" if rest else head
    return ".".join(str(p) for p in loc)


def explain_errors(exc: ValidationError, data: Any) -> str:
    """Every problem pydantic found, one a line, said as a person would look for it."""
    lines = []
    for error in exc.errors():
        where = _where(tuple(error["loc"]), data)
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "is not a known field"
        lines.append(f"{where}: {message}" if where else message)
    return "\n".join(lines)


def parse_rule_set(data: Any, region: str = DEFAULT_REGION) -> RuleSet:
    """A rule set from parsed YAML or JSON: {"rules": [...]} or the list itself; SpecError with every
    problem and where it is."""
    if isinstance(data, list):
        data = {"rules": data}
    if data is None:
        data = {"rules": []}
    if not isinstance(data, dict):
        raise SpecError("a rule set is a mapping with a 'rules' list, or the list itself")
    try:
        return RuleSet.model_validate(data, context={"region": region})
    except ValidationError as exc:
        raise SpecError(explain_errors(exc, data)) from None


def parse_rule(data: Any, region: str = DEFAULT_REGION) -> RuleSpec:
    """One rule (POST /v1/routing/rules, `voice routing add`); SpecError saying why."""
    try:
        return RuleSpec.model_validate(data, context={"region": region})
    except ValidationError as exc:
        name = data.get("name") if isinstance(data, dict) else None
        head = f"rule {name!r}" if isinstance(name, str) else "the rule"
        lines = explain_errors(exc, None).splitlines()
        raise SpecError("\n".join(f"{head}, {line}" for line in lines)) from None
