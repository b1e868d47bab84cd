"""A local Zendesk Support API (https://developer.zendesk.com/api-reference/ticketing/) as far as Voice uses
it: basic ``email/token:API_TOKEN`` or bearer authentication (401 ``{"error": "Couldn't authenticate you"}``
otherwise), user search by phone, users/create_or_update, tickets by external_id, ticket creation (422
``RecordInvalid`` for a missing comment or an unknown priority) and a comment by ticket update."""

from __future__ import annotations

import base64
import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.support.json_server import Answer, JsonServer, Request, serve

EMAIL, TOKEN, OAUTH = "agent@example.com", "zendesk-api-token-for-tests", "zendesk-oauth-token"
PRIORITIES = ("urgent", "high", "normal", "low")


@dataclass
class ZendeskServer(JsonServer):
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Zendesk's search index trails writes ("may take a few minutes"): users made since are not found yet.
    search_lags: bool = False
    unindexed: set[int] = field(default_factory=set)
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1000

    def error(self, status: int, message: str) -> Any:
        if status == 401:
            return {"error": "Couldn't authenticate you"}
        if status == 404:
            return {"error": "RecordNotFound", "description": "Not found"}
        if status == 429:
            return {"error": "APIRateLimitExceeded", "description": "Number of allowed API requests exceeded"}
        if 400 <= status < 500:
            return {"error": "InvalidRequest", "description": message}
        return {"error": "InternalServerError", "description": message}

    def authorised(self, headers: dict[str, str]) -> bool:
        basic = base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()
        return headers.get("authorization") in (f"Basic {basic}", f"Bearer {OAUTH}")

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def search(self, request: Request, _: re.Match[str]) -> Answer:
        query = request.query.get("query", "")
        phone = re.search(r"phone:(\S+)", query)
        found = [
            u | {"result_type": "user"}
            for u in self.users.values()
            if "type:user" in query
            and phone
            and u.get("phone") == phone.group(1)
            and u["id"] not in self.unindexed
        ]
        return 200, {"results": found, "count": len(found), "next_page": None, "previous_page": None}, {}

    def create_user(self, request: Request, _: re.Match[str]) -> Answer:
        """users/create_or_update: the user with the same e-mail or external id is updated (200), else one
        is made (201)."""
        given = dict(request.body["user"])
        for user in self.users.values():
            if any(given.get(k) and given.get(k) == user.get(k) for k in ("email", "external_id")):
                user.update(given)
                return 200, {"user": user}, {}
        user = given | {"id": self._id(), "role": "end-user"}
        self.users[user["id"]] = user
        if self.search_lags:
            self.unindexed.add(user["id"])
        return 201, {"user": user}, {}

    def find_tickets(self, request: Request, _: re.Match[str]) -> Answer:
        wanted = request.query.get("external_id")
        found = [t for t in self.tickets.values() if wanted is None or t["external_id"] == wanted]
        return 200, {"tickets": found, "count": len(found), "next_page": None, "previous_page": None}, {}

    def create_ticket(self, request: Request, _: re.Match[str]) -> Answer:
        ticket = dict(request.body["ticket"])
        details = {}
        if not (ticket.get("comment") or {}).get("body"):
            details["description"] = [{"description": "Description: cannot be blank", "error": "BlankValue"}]
        if ticket.get("priority") not in (None, *PRIORITIES):
            details["priority"] = [{"description": "Priority: is invalid", "error": "InvalidValue"}]
        if details:
            body = {"error": "RecordInvalid", "description": "Record validation errors", "details": details}
            return 422, body, {}
        first = ticket.pop("comment")
        ticket |= {"id": self._id(), "status": "new", "description": first["body"], "comments": [first]}
        ticket.setdefault("tags", [])
        self.tickets[ticket["id"]] = ticket
        return 201, {"ticket": ticket}, {"Location": f"{self.url}/api/v2/tickets/{ticket['id']}.json"}

    def update_ticket(self, request: Request, match: re.Match[str]) -> Answer:
        ticket = self.tickets.get(int(match.group(1)))
        if ticket is None:
            return 404, self.error(404, "Not found"), {}
        change = dict(request.body["ticket"])
        if "comment" in change:
            ticket["comments"].append(change.pop("comment"))
        ticket.update(change)
        return 200, {"ticket": ticket, "audit": {"ticket_id": ticket["id"], "events": []}}, {}


@contextlib.contextmanager
def zendesk_server() -> Iterator[ZendeskServer]:
    server = ZendeskServer()
    server.route("GET", r"/api/v2/search\.json", server.search)
    me = {"id": 1, "name": "Agent", "email": EMAIL, "role": "admin"}
    server.route("GET", r"/api/v2/users/me\.json", lambda request, match: (200, {"user": me}, {}))
    server.route("POST", r"/api/v2/users/create_or_update\.json", server.create_user)
    server.route("GET", r"/api/v2/tickets\.json", server.find_tickets)
    server.route("POST", r"/api/v2/tickets\.json", server.create_ticket)
    server.route("PUT", r"/api/v2/tickets/(\d+)\.json", server.update_ticket)
    with serve(server) as running:
        yield running
