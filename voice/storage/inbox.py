"""Reading voicemails and calls: one voicemail, one call, the filtered list with its cursors, counts."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import String, cast, false, func, or_, select
from sqlalchemy.orm import Session, selectinload, with_expression
from sqlalchemy.sql.elements import ColumnElement

from voice.core import inputs
from voice.core.phone import to_e164
from voice.storage import access, search
from voice.storage.access import EVERYTHING, Scope
from voice.storage.models import (
    AgentState,
    CallRecord,
    Status,
    Summary,
    Team,
    TeamMailbox,
    TranscriptRevision,
    Voicemail,
    utcnow,
)


def get_voicemail(session: Session, vm_id: str, scope: Scope = EVERYTHING) -> Voicemail | None:
    """The voicemail, if ``scope`` sees it (voice/storage/access.py)."""
    return session.scalar(
        access.visible(select(Voicemail), scope)
        .where(Voicemail.id == vm_id)
        .options(
            selectinload(Voicemail.call),
            selectinload(Voicemail.events),
            selectinload(Voicemail.current_revision).selectinload(TranscriptRevision.summary),
        )
    )


@dataclass(frozen=True)
class VoicemailFilter:
    status: str | None = None
    mailbox: str | None = None
    caller: str | None = None  # as given, and as E.164
    language: str | None = None
    since: datetime | None = None  # received at or after
    until: datetime | None = None  # received before
    scope: Scope = EVERYTHING  # who asks: ingest keys, agents in teams (voice/storage/access.py)
    intent: str | None = None
    urgency: str | None = None
    # The inbox's state: new, in_progress, handled (agent state of processed voicemails), or
    # failed, no_speech, processing (the pipeline's).
    inbox_state: str | None = None
    assignee: str | None = None
    sort: str = "newest"  # or "priority"
    q: str | None = None  # full-text search over transcript and summary
    newer_than: datetime | None = None  # received strictly after (the inbox's live updates)
    ids: tuple[str, ...] | None = None  # only these voicemails (a client polling the ones it posted)
    team: str | None = None  # a team's name: its voicemails as the access rule draws them
    tag: str | None = None  # one of the voicemail's tags


def _filtered(session: Session, query: Any, f: VoicemailFilter, default_region: str = "US") -> Any:
    # The conditions in the order they have always been added, so the SQL is the same as before.
    if f.status:
        query = query.where(Voicemail.status == f.status)
    if f.ids is not None:
        query = query.where(Voicemail.id.in_(f.ids))
    query = access.visible(query, f.scope)
    query = _by_state(_by_triage(_by_call(query, f, default_region), f), f)
    query = _by_team_and_tag(session, query, f)
    if f.q and (ids := search.matching(session, f.q)) is not None:
        query = query.where(Voicemail.id.in_(ids))
    if f.since:
        query = query.where(Voicemail.created_at >= f.since)
    if f.until:
        query = query.where(Voicemail.created_at < f.until)
    if f.newer_than:
        query = query.where(Voicemail.created_at > f.newer_than)
    return query


def _by_call(query: Any, f: VoicemailFilter, default_region: str) -> Any:
    """The call's mailbox and caller (as given, and as E.164)."""
    if f.mailbox or f.caller:
        calls = select(CallRecord.id)
        if f.mailbox:
            calls = calls.where(CallRecord.mailbox == f.mailbox)
        if f.caller:
            numbers = {f.caller, to_e164(f.caller, default_region) or f.caller}
            calls = calls.where(CallRecord.from_number.in_(numbers))
        query = query.where(Voicemail.call_id.in_(calls))
    return query


def _by_triage(query: Any, f: VoicemailFilter) -> Any:
    """The current revision's language, intent and urgency."""
    if f.language:
        query = query.where(
            Voicemail.current_revision_id.in_(
                select(TranscriptRevision.id).where(TranscriptRevision.language == f.language)
            )
        )
    if f.intent or f.urgency:
        triaged = select(TranscriptRevision.id).join(Summary, Summary.revision_id == TranscriptRevision.id)
        if f.intent:
            triaged = triaged.where(Summary.intent == f.intent)
        if f.urgency:
            triaged = triaged.where(Summary.urgency == f.urgency)
        query = query.where(Voicemail.current_revision_id.in_(triaged))
    return query


def _by_state(query: Any, f: VoicemailFilter) -> Any:
    """The inbox's state and the assignee."""
    if f.inbox_state in AgentState.ALL:
        query = query.where(Voicemail.status == Status.DONE, Voicemail.agent_state == f.inbox_state)
    elif f.inbox_state in (Status.FAILED, Status.NO_SPEECH):
        query = query.where(Voicemail.status == f.inbox_state)
    elif f.inbox_state == "processing":
        query = query.where(Voicemail.status.in_((Status.QUEUED, *Status.IN_FLIGHT)))
    if f.assignee:
        query = query.where(Voicemail.assignee == f.assignee)
    return query


def _by_team_and_tag(session: Session, query: Any, f: VoicemailFilter) -> Any:
    """The team's voicemails (routed to it, or routed to none from one of its mailboxes: the access rule's
    own reading, so an agent asking for another team's gets nothing besides what their scope allows), and
    a tag."""
    if f.team:
        # Team names are stored lower case (teams.team_name): "Billing" is billing, as tags are compared.
        team_id = session.scalar(select(Team.id).where(Team.name == f.team.strip().lower()))
        if team_id is None:
            return query.where(false())
        boxes = session.scalars(select(TeamMailbox.mailbox).where(TeamMailbox.team_id == team_id)).all()
        query = query.where(access.condition(Scope(mailboxes=frozenset(boxes), teams=frozenset([team_id]))))
    if f.tag:
        # Tags are a JSON list of names (voice/routing/spec.py: letters, digits, - and _), stored as text on
        # both databases: the name between quotes is that element and no other; LIKE's wildcards escaped.
        escaped = f.tag.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(cast(Voicemail.tags, String).like(f'%"{escaped}"%', escape="\\"))
    return query


_NO_PRIORITY = -1.0  # failed or still processing: after every triaged voicemail

# The priority a voicemail is shown with, as SQL at a given time. It is computed above storage
# (voice.triage.priority) and handed in by the caller, so the list sorts by exactly what it shows.
Rank = Callable[[datetime], ColumnElement[float]]


class Cursor(NamedTuple):
    created: datetime
    vm_id: str
    priority: float  # in the priority order: the value it sorted by
    as_of: datetime | None  # in the priority order: the time those values were computed at


def _utc_naive(value: datetime) -> datetime:
    # SQLite hands back naive UTC, PostgreSQL aware times in the session's zone.
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def encode_cursor(vm: Voicemail, as_of: datetime | None = None) -> str:
    """The next page starts after ``vm``; with ``as_of`` (the priority order) it also keeps the time the
    priorities were computed at, so the next page continues the same order however much later it is read."""
    created = _utc_naive(vm.created_at).isoformat()
    if as_of is None:
        priority = vm.priority if vm.priority is not None else _NO_PRIORITY
        fields: list[Any] = [created, vm.id, priority]
    else:
        priority = vm.inbox_priority if vm.inbox_priority is not None else _NO_PRIORITY
        fields = [created, vm.id, priority, _utc_naive(as_of).isoformat()]
    return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Cursor:
    """A cursor back from a client: strictly parsed (a hand-made one may be deep, hold NUL or NaN), and
    every way it can be wrong is a ValueError."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, vm_id, *rest = inputs.loads(raw, "the cursor", max_depth=1)
        priority = float(rest[0]) if rest else _NO_PRIORITY
        if not math.isfinite(priority):
            raise ValueError("the cursor's priority is not finite")
        inputs.check_text(str(vm_id), "the cursor's id", one_line=True)
        as_of = datetime.fromisoformat(rest[1]).replace(tzinfo=UTC) if len(rest) > 1 else None
        return Cursor(datetime.fromisoformat(created).replace(tzinfo=UTC), str(vm_id), priority, as_of)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValueError("cursor is not one this API gave out") from exc


def list_voicemails(
    session: Session,
    f: VoicemailFilter,
    limit: int = 50,
    cursor: str | None = None,
    default_region: str = "US",
    rank: Rank | None = None,
    now: datetime | None = None,
) -> tuple[list[Voicemail], str | None]:
    """Newest first, or with ``f.sort == "priority"`` highest priority first and among equals the one
    waiting longest; returns the page and the cursor of the next one (None at the end).

    With ``rank`` every voicemail carries ``inbox_priority``, the priority shown, computed at ``now`` (on
    later pages of the priority order: at the first page's time, kept in the cursor); the priority order
    needs it and sorts by it. The cursor is the last item's place, so pages hold steady while new
    voicemails arrive.
    """
    after = decode_cursor(cursor) if cursor else None
    query = _filtered(
        session,
        select(Voicemail).options(
            selectinload(Voicemail.call),
            selectinload(Voicemail.current_revision).selectinload(TranscriptRevision.summary),
        ),
        f,
        default_region,
    )
    as_of = (after.as_of if after else None) or now or utcnow()
    shown = rank(as_of) if rank is not None else None
    if shown is not None:
        # populate_existing: a voicemail already in the session gets the value too.
        query = query.options(with_expression(Voicemail.inbox_priority, shown))
        query = query.execution_options(populate_existing=True)
    if f.sort == "priority":
        if shown is None:
            raise TypeError("the priority order needs the rank it shows")
        query = _by_priority(query, shown, after)
    else:
        query = _by_newest(query, after)
    items = list(session.scalars(query.limit(limit + 1)))
    more = len(items) > limit
    items = items[:limit]
    as_of_kept = as_of if f.sort == "priority" else None
    return items, (encode_cursor(items[-1], as_of_kept) if more and items else None)


def _by_priority(query: Any, shown: ColumnElement[float], after: Cursor | None) -> Any:
    """Highest shown priority first; among equals the one waiting longest."""
    priority = func.coalesce(shown, _NO_PRIORITY)
    if after:
        last = after.priority
        query = query.where(
            or_(
                priority < last,
                (priority == last) & (Voicemail.created_at > after.created),
                (priority == last) & (Voicemail.created_at == after.created) & (Voicemail.id > after.vm_id),
            )
        )
    return query.order_by(priority.desc(), Voicemail.created_at.asc(), Voicemail.id.asc())


def _by_newest(query: Any, after: Cursor | None) -> Any:
    if after:
        query = query.where(
            or_(
                Voicemail.created_at < after.created,
                (Voicemail.created_at == after.created) & (Voicemail.id < after.vm_id),
            )
        )
    return query.order_by(Voicemail.created_at.desc(), Voicemail.id.desc())


def get_call(
    session: Session, call_id: str, scope: Scope = EVERYTHING
) -> tuple[CallRecord, list[Voicemail]] | None:
    """The call and those of its voicemails ``scope`` sees; None when there is no such call, or, for a
    narrowed scope, when the call is not its to see or none of its voicemails is."""
    call = session.scalar(
        select(CallRecord)
        .where(CallRecord.id == call_id)
        .options(
            selectinload(CallRecord.voicemails).selectinload(Voicemail.events),
            selectinload(CallRecord.voicemails)
            .selectinload(Voicemail.revisions)
            .selectinload(TranscriptRevision.summary),
            selectinload(CallRecord.voicemails)
            .selectinload(Voicemail.current_revision)
            .selectinload(TranscriptRevision.summary),
        )
    )
    if call is None or scope.everything:
        return (call, list(call.voicemails)) if call is not None else None
    seen = set(
        session.scalars(access.visible(select(Voicemail.id), scope).where(Voicemail.call_id == call.id))
    )
    # A filtered copy: assigning call.voicemails would make this read write the relationship.
    shown = [vm for vm in call.voicemails if vm.id in seen]
    return (call, shown) if shown and access.call_visible(call, scope) else None


def team_names(session: Session, scope: Scope = EVERYTHING) -> list[str]:
    """The teams ``scope`` may filter the list by, sorted: every team for who sees everything (admins), else
    its own (an agent's teams; none for an agent in no team)."""
    query = select(Team.name).order_by(Team.name)
    if not scope.everything:
        query = query.where(Team.id.in_(sorted(scope.teams)))
    return list(session.scalars(query))


# The most distinct tag lists read for the tag filter's suggestions: tags come from a handful of rules, so
# their combinations are few; the cap bounds what is read back and sorted if they are not.
_TAG_LISTS = 1000


def visible_tags(session: Session, scope: Scope) -> list[str]:
    """The tags on the voicemails ``scope`` sees, sorted: what the tag filter offers to who does not see
    everything. A rule's tags may be meant for one team (a legal hold's), so listing every rule's would tell
    an agent about other teams' business; these are only what the agent can read on their own voicemails."""
    as_text = cast(Voicemail.tags, String)
    query = access.visible(select(as_text).where(as_text != "[]").distinct().limit(_TAG_LISTS), scope)
    found = {t for text in session.scalars(query) if text for t in json.loads(text) if isinstance(t, str)}
    return sorted(found)


def count_by_status(session: Session, scope: Scope = EVERYTHING) -> dict[str, int]:
    query = access.visible(select(Voicemail.status, func.count()).group_by(Voicemail.status), scope)
    rows = session.execute(query)
    return {status: int(n) for status, n in rows}
