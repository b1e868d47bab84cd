"""/v1/teams: teams, the mailboxes they own and their members (web users and API keys), for admins. What a
team's members see follows from here (voice/storage/access.py, docs/teams.md). Refusals are TeamErrors,
answered by one handler (api/main.py): 404 for no such team, 409 for a name or mailbox taken, 422 with the
reason for the rest."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy.orm import Session

from api.auth import as_admin
from api.deps import get_session
from api.schemas import errors
from voice.core.business_hours import EXAMPLE
from voice.storage import teams
from voice.storage.keys import Principal

router = APIRouter(
    prefix="/v1/teams",
    tags=["teams"],
    responses=errors(401, 403, 413, 422, 429, 503),  # every route here can answer these
)

TeamName = Annotated[str, Path(max_length=60, description="the team's name", examples=["billing"])]
HOURS_TEXT = (
    "clauses `DAYS HH:MM-HH:MM` joined by `;`, in the team's time zone; DAYS is a day, a range or a list "
    "(mon, mon-fri, mon-wed,fri); null: not set"
)


class TeamIn(BaseModel):
    name: str = Field(..., min_length=1, max_length=60, examples=["billing"])
    mailboxes: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=200, description="mailboxes the team owns", examples=[["billing"]]
    )
    timezone: str = Field("UTC", max_length=64, description="an IANA time zone", examples=["Europe/Berlin"])
    business_hours: str | None = Field(None, max_length=200, description=HOURS_TEXT, examples=[EXAMPLE])
    callback_deadline_hours: float | None = Field(
        None, description="hours to call back before a voicemail is overdue; null: settings.sla", examples=[4]
    )


class TeamUpdate(BaseModel):
    """Only the fields sent change; ``mailboxes`` replaces the list; null clears hours and the deadline."""

    mailboxes: list[Annotated[str, Field(max_length=100)]] | None = Field(
        None, max_length=200, examples=[["billing", "accounts"]]
    )
    timezone: str | None = Field(None, max_length=64, examples=["America/New_York"])
    business_hours: str | None = Field(None, max_length=200, description=HOURS_TEXT, examples=[EXAMPLE])
    callback_deadline_hours: float | None = Field(None, examples=[2])


class MemberIn(BaseModel):
    user: str | None = Field(None, max_length=100, description="a web user's name", examples=["alice"])
    api_key: str | None = Field(
        None, max_length=100, description="an agent key's id or name", examples=["crm"]
    )

    @model_validator(mode="after")
    def _one(self) -> MemberIn:
        if (self.user is None) == (self.api_key is None):
            raise ValueError("send either user or api_key")
        return self


class AvailabilityIn(BaseModel):
    user: str = Field(..., max_length=100, description="a web user of the team", examples=["alice"])
    available: bool | None = Field(
        None, description="routing may assign voicemails to them", examples=[False]
    )
    lead: bool | None = Field(
        None, description="gets the voicemails reassigned when nobody else is available (docs/callbacks.md)"
    )

    @model_validator(mode="after")
    def _something(self) -> AvailabilityIn:
        if self.available is None and self.lead is None:
            raise ValueError("send available, lead or both")
        return self


class KeyRef(BaseModel):
    id: str
    name: str


class TeamOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "billing",
                    "timezone": "Europe/Berlin",
                    "business_hours": EXAMPLE,
                    "callback_deadline_hours": 4,
                    "mailboxes": ["accounts", "billing"],
                    "users": ["alice"],
                    "api_keys": [{"id": "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f", "name": "helpdesk"}],
                    "unavailable": [],
                    "created_at": "2026-12-03T08:00:00Z",
                }
            ]
        }
    )

    name: str
    timezone: str
    business_hours: str | None
    callback_deadline_hours: float | None
    mailboxes: list[str]
    users: list[str]
    api_keys: list[KeyRef]
    unavailable: list[str] = Field(description="users routing does not assign voicemails to now")
    leads: list[str] = Field(default_factory=list, description="who gets what nobody else can take")
    created_at: datetime

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        from datetime import UTC

        return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite gives back naive UTC


def _out(info: teams.TeamInfo) -> TeamOut:
    return TeamOut(
        name=info.name,
        timezone=info.timezone,
        business_hours=info.business_hours,
        callback_deadline_hours=info.callback_hours,
        mailboxes=info.mailboxes,
        users=info.users,
        api_keys=[KeyRef(id=i, name=n) for i, n in info.api_keys],
        unavailable=info.unavailable,
        leads=info.leads,
        created_at=info.created_at,
    )


@router.get("", response_model=list[TeamOut])
def list_teams(session: Session = Depends(get_session), _: Principal = Depends(as_admin)) -> list[TeamOut]:
    """Every team with its mailboxes, members, time zone, business hours and callback deadline."""
    return [_out(t) for t in teams.list_teams(session)]


@router.post(
    "", response_model=TeamOut, status_code=status.HTTP_201_CREATED, responses=errors(409)
)  # fmt: skip
def create_team(
    body: TeamIn, session: Session = Depends(get_session), _: Principal = Depends(as_admin)
) -> TeamOut:
    """Make a team. 409 if the name exists or another team owns one of the mailboxes; 422 (with the reason)
    for a bad name, time zone, business hours or deadline."""
    team = teams.create_team(
        session,
        body.name,
        body.mailboxes,
        body.timezone,
        body.business_hours,
        body.callback_deadline_hours,
    )
    out = _out(teams.describe(session, team))
    session.commit()
    return out


@router.get("/{team}", response_model=TeamOut, responses=errors(404))
def get_team(
    team: TeamName, session: Session = Depends(get_session), _: Principal = Depends(as_admin)
) -> TeamOut:
    """One team."""
    return _out(teams.describe(session, teams.find_team(session, team)))


@router.patch("/{team}", response_model=TeamOut, responses=errors(404, 409))
def update_team(
    team: TeamName,
    body: TeamUpdate,
    session: Session = Depends(get_session),
    _: Principal = Depends(as_admin),
) -> TeamOut:
    """Change a team's mailboxes (the list sent replaces the old one), time zone, business hours or callback
    deadline; only the fields sent change."""
    given = body.model_fields_set
    if "timezone" in given and body.timezone is None:
        raise teams.TeamError("a team always has a time zone; send an IANA name such as UTC")
    row = teams.update_team(
        session,
        team,
        mailboxes=body.mailboxes,
        timezone=body.timezone,
        hours=body.business_hours if "business_hours" in given else teams.KEEP,
        callback_hours=body.callback_deadline_hours if "callback_deadline_hours" in given else teams.KEEP,
    )
    out = _out(teams.describe(session, row))
    session.commit()
    return out


@router.delete("/{team}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
def delete_team(
    team: TeamName, session: Session = Depends(get_session), _: Principal = Depends(as_admin)
) -> Response:
    """Delete a team: its mailboxes then belong to no team; its voicemails stay."""
    teams.delete_team(session, team)
    session.commit()
    return Response(status_code=204)


@router.post("/{team}/members", response_model=TeamOut, responses=errors(404))
def add_member(
    team: TeamName, body: MemberIn, session: Session = Depends(get_session), _: Principal = Depends(as_admin)
) -> TeamOut:
    """Add a web user (by name) or an agent API key (by id or name) to the team; 422 with the reason for an
    unknown user, an unknown, revoked or ingest key."""
    row = teams.add_member(session, team, body.user, body.api_key)
    out = _out(teams.describe(session, row))
    session.commit()
    return out


@router.delete("/{team}/members", response_model=TeamOut, responses=errors(404))
def remove_member(
    team: TeamName,
    user: str | None = Query(None, max_length=100, examples=["alice"]),
    api_key: str | None = Query(None, max_length=100, description="the key's id or name"),
    session: Session = Depends(get_session),
    _: Principal = Depends(as_admin),
) -> TeamOut:
    """Take a user (``?user=``) or an API key (``?api_key=``) out of the team."""
    row = teams.remove_member(session, team, user, api_key)
    out = _out(teams.describe(session, row))
    session.commit()
    return out


@router.patch("/{team}/members", response_model=TeamOut, responses=errors(404))
def set_available(
    team: TeamName,
    body: AvailabilityIn,
    session: Session = Depends(get_session),
    _: Principal = Depends(as_admin),
) -> TeamOut:
    """Mark a user of the team available or not (routing assigns voicemails only to available members,
    docs/routing.md), and a lead or not (reassignment's last resort, docs/callbacks.md). 404 if they are not
    in the team."""
    row = teams.find_team(session, team)
    if body.available is not None:
        row = teams.set_available(session, team, body.user, body.available)
    if body.lead is not None:
        row = teams.set_lead(session, team, body.user, body.lead)
    out = _out(teams.describe(session, row))
    session.commit()
    return out
