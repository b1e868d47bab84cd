"""/v1/routing: routing rules and caller lists, and why a voicemail was routed as it was, for admins
(docs/routing.md). Refusals are RoutingErrors, answered by one handler (api/main.py): 404 for what does not
exist, 409 for a name taken or a second default rule, 422 with the reason for the rest."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.auth import as_admin
from api.deps import get_session, get_settings
from api.schemas import VoicemailId, errors
from voice.core.config import Settings
from voice.storage import routing as store
from voice.storage.keys import Principal
from voice.usecases import routing

router = APIRouter(
    prefix="/v1",
    tags=["routing"],
    responses=errors(401, 403, 413, 422, 429, 503),  # every route here can answer these
)

RULE_EXAMPLE: dict[str, Any] = {
    "name": "invoices",
    "when": {"intent": ["billing"], "mailbox": ["billing", "accounts"]},
    "then": {"team": "billing", "assign": "round_robin", "priority": 10, "tags": ["invoice"]},
}
DEFAULT_EXAMPLE: dict[str, Any] = {"name": "default", "then": {"team": "support"}, "default": True}
RuleName = Annotated[str, Path(max_length=60, description="the rule's name", examples=["invoices"])]
ListName = Annotated[str, Path(max_length=60, description="the caller list's name", examples=["vip"])]
Admin = Annotated[Principal, Depends(as_admin)]
DB = Annotated[Session, Depends(get_session)]


def _region(settings: Settings = Depends(get_settings)) -> str:
    return settings.summary.default_region


# Where numbers written without a country code are (lists, rules, callers): settings.summary.default_region.
Region = Annotated[str, Depends(_region)]


class RuleSetOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"rules": [RULE_EXAMPLE, DEFAULT_EXAMPLE]}]})

    rules: list[dict[str, Any]] = Field(description="in the order they are tried; the default rule last")


class RuleChange(BaseModel):
    enabled: bool | None = Field(None, examples=[False])
    position: int | None = Field(None, ge=1, description="1: tried first", examples=[1])


class ListsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"lists": {"vip": ["+14155550100"]}}]})

    lists: dict[str, list[str]] = Field(description="numbers in E.164, by list")


class NumbersIn(BaseModel):
    numbers: list[Annotated[str, Field(max_length=40)]] = Field(
        ..., min_length=1, max_length=1000, examples=[["+1 415 555 0100"]]
    )


class DecisionOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "voicemail_id": "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
                    "now": {
                        "rules": ["invoices"],
                        "team": "billing",
                        "assignee": "alice",
                        "assigned_by": "round robin",
                        "points": 0,
                        "tags": [],
                        "notify": [],
                        "fell_back": False,
                        "reasons": ["routed to billing by rule 'invoices' (intent=billing)"],
                        "text": "routed to billing by rule 'invoices' (intent=billing)",
                    },
                    "applied": None,
                }
            ]
        }
    )

    voicemail_id: str
    now: dict[str, Any] = Field(description="what the rules decide now (re-evaluated, not stored)")
    applied: dict[str, Any] | None = Field(description="the decision stored when it was last routed")


def _set(session: Session) -> RuleSetOut:
    return RuleSetOut(rules=[rule.written() for rule in routing.rule_specs(session)])


def _lists(session: Session) -> ListsOut:
    return ListsOut(lists=store.caller_lists(session))


@router.get("/routing/rules", response_model=RuleSetOut)
def get_rules(session: DB, _: Admin) -> RuleSetOut:
    """The routing rules, in the order they are tried (the default rule last)."""
    return _set(session)


@router.put("/routing/rules", response_model=RuleSetOut)
def put_rules(
    session: DB,
    _: Admin,
    region: Region,
    body: Annotated[Any, Body(examples=[{"rules": [RULE_EXAMPLE, DEFAULT_EXAMPLE]}])],
) -> RuleSetOut:
    """Replace every rule with the set sent, in its order (config as code); 422 with every problem and
    where it is, and then nothing changes."""
    routing.load_rule_set(session, body, region)
    session.commit()
    return _set(session)


@router.post(
    "/routing/rules", response_model=RuleSetOut, status_code=status.HTTP_201_CREATED, responses=errors(409)
)
def post_rule(
    session: DB,
    _: Admin,
    region: Region,
    body: Annotated[dict[str, Any], Body(examples=[RULE_EXAMPLE])],
    position: Annotated[int | None, Query(ge=1, description="1: tried first; default: last")] = None,
) -> RuleSetOut:
    """Add one rule (at ``position``, else after the others); 409 if the name is taken or it is a second
    default rule. Answers the whole set."""
    routing.add_rule(session, body, position, region)
    session.commit()
    return _set(session)


@router.patch("/routing/rules/{name}", response_model=RuleSetOut, responses=errors(404))
def patch_rule(name: RuleName, body: RuleChange, session: DB, _: Admin) -> RuleSetOut:
    """Turn a rule on or off, or move it; answers the whole set."""
    if body.enabled is not None:
        store.set_enabled(session, name, body.enabled)
    if body.position is not None:
        store.move_rule(session, name, body.position)
    store.find_rule(session, name)  # 404 for an unknown name even when nothing is asked
    session.commit()
    return _set(session)


@router.delete("/routing/rules/{name}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
def delete_rule(name: RuleName, session: DB, _: Admin) -> Response:
    """Delete one rule."""
    store.delete_rule(session, name)
    session.commit()
    return Response(status_code=204)


@router.get("/routing/lists", response_model=ListsOut)
def get_lists(session: DB, _: Admin) -> ListsOut:
    """Every caller list with its numbers (E.164)."""
    return _lists(session)


@router.post("/routing/lists/{name}/numbers", response_model=ListsOut)
def add_numbers(name: ListName, body: NumbersIn, session: DB, _: Admin, region: Region) -> ListsOut:
    """Add numbers to a list (made if need be); each is stored in E.164, 422 for one that is not a number."""
    routing.add_numbers(session, name, body.numbers, region)
    session.commit()
    return _lists(session)


@router.delete("/routing/lists/{name}/numbers", response_model=ListsOut, responses=errors(404))
def remove_numbers(
    name: ListName,
    session: DB,
    _: Admin,
    region: Region,
    number: Annotated[list[str], Query(min_length=1, examples=[["+14155550100"]])],
) -> ListsOut:
    """Take numbers (``?number=``, repeated) off a list."""
    routing.remove_numbers(session, name, number, region)
    session.commit()
    return _lists(session)


@router.delete("/routing/lists/{name}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
def delete_list(name: ListName, session: DB, _: Admin) -> Response:
    """Delete a caller list (rules that name it then fall back to the default rule, saying why)."""
    store.delete_list(session, routing.list_name(name))
    session.commit()
    return Response(status_code=204)


@router.get("/voicemails/{vm_id}/routing", response_model=DecisionOut, responses=errors(404))
def explain(
    vm_id: VoicemailId,
    session: DB,
    _: Admin,
    region: Region,
) -> DecisionOut:
    """Which rules a voicemail matches now and why (re-evaluated; nothing is stored), beside the decision
    stored when it was last routed."""
    decision = routing.explain(session, vm_id, region)
    return DecisionOut(voicemail_id=vm_id, now=decision.as_dict(), applied=routing.applied(session, vm_id))
