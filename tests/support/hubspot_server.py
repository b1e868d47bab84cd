"""A local HubSpot CRM v3 API (https://developers.hubspot.com/docs/api/crm/) as far as Voice uses it, for
hubspot-api-client pointed at it (its Configuration ``host``): bearer authentication with a private app's
token (401 ``INVALID_AUTHENTICATION`` otherwise), contacts, calls, tasks and notes (create, read, update,
and search by a property's EQ filter), owners by e-mail. A create's associations must use the HUBSPOT_DEFINED
type id HubSpot's table gives for the pair of objects (400 otherwise). Errors come in HubSpot's shape:
``{"status": "error", "message", "correlationId", "category"}``."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.support.json_server import Answer, JsonServer, Request, serve

TOKEN = "pat-na1-hubspot-token-for-tests"
STAMP = "2026-12-03T12:00:00.000Z"
CATEGORIES = {401: "INVALID_AUTHENTICATION", 404: "OBJECT_NOT_FOUND", 429: "RATE_LIMITS"}
# HubSpot's "Association type ID values" for the pairs Voice could use; a pair not here has no defined type.
ASSOCIATION_TYPES = {("calls", "contacts"): 194, ("tasks", "contacts"): 204, ("notes", "contacts"): 202,
                     ("calls", "deals"): 206, ("notes", "deals"): 214, ("tasks", "deals"): 216}  # fmt: skip


@dataclass
class HubSpotServer(JsonServer):
    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    owners: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 5000

    def error(self, status: int, message: str) -> Any:
        category = CATEGORIES.get(status, "VALIDATION_ERROR" if status < 500 else "INTERNAL_ERROR")
        return {
            "status": "error",
            "message": message,
            "correlationId": str(uuid.uuid4()),
            "category": category,
        }

    def authorised(self, headers: dict[str, str]) -> bool:
        return headers.get("authorization") == f"Bearer {TOKEN}"

    def of(self, kind: str) -> list[dict[str, Any]]:
        return list(self.objects.get(kind, {}).values())

    def kind_of(self, object_id: str) -> str | None:
        return next((kind for kind, found in self.objects.items() if object_id in found), None)

    def bad_association(self, kind: str, associations: list[dict[str, Any]]) -> str | None:
        for association in associations:
            to = self.kind_of(str(association["to"]["id"]))
            for t in association["types"]:
                if to is None or ASSOCIATION_TYPES.get((kind, to)) != t["associationTypeId"]:
                    return f"association type {t['associationTypeId']} is not valid from {kind} to {to}"
        return None

    def create(self, request: Request, match: re.Match[str]) -> Answer:
        kind = match.group(1)
        properties = dict((request.body or {}).get("properties") or {})
        if kind == "calls" and "hs_timestamp" not in properties:
            return 400, self.error(400, "Property values were not valid: hs_timestamp is required"), {}
        if bad := self.bad_association(kind, request.body.get("associations") or []):
            return 400, self.error(400, bad), {}
        self.next_id += 1
        made = {
            "id": str(self.next_id),
            "properties": properties,
            "associations": request.body.get("associations") or [],
            "createdAt": STAMP,
            "updatedAt": STAMP,
            "archived": False,
        }
        self.objects.setdefault(kind, {})[made["id"]] = made
        shown = {k: v for k, v in made.items() if k != "associations"}
        return 201, shown, {}

    def read(self, request: Request, match: re.Match[str]) -> Answer:
        found = self.objects.get(match.group(1), {}).get(match.group(2))
        if found is None:
            return 404, self.error(404, "Object not found"), {}
        return 200, {k: v for k, v in found.items() if k != "associations"}, {}

    def update(self, request: Request, match: re.Match[str]) -> Answer:
        found = self.objects.get(match.group(1), {}).get(match.group(2))
        if found is None:
            return 404, self.error(404, "Object not found"), {}
        found["properties"].update((request.body or {}).get("properties") or {})
        return 200, {k: v for k, v in found.items() if k != "associations"}, {}

    def search(self, request: Request, match: re.Match[str]) -> Answer:
        groups = (request.body or {}).get("filterGroups") or []

        def hit(obj: dict[str, Any]) -> bool:
            return any(
                all(obj["properties"].get(f["propertyName"]) == f.get("value") for f in g["filters"])
                for g in groups
            )

        found = [
            {k: v for k, v in o.items() if k != "associations"} for o in self.of(match.group(1)) if hit(o)
        ]
        limit = int((request.body or {}).get("limit") or 10)
        return 200, {"total": len(found), "results": found[:limit]}, {}

    def find_owners(self, request: Request, _: re.Match[str]) -> Answer:
        email = request.query.get("email")
        found = [o for o in self.owners if email is None or o["email"] == email]
        return 200, {"results": found}, {}

    def add_owner(self, email: str) -> str:
        owner_id = str(90000 + len(self.owners))
        self.owners.append(
            {
                "id": owner_id,
                "email": email,
                "firstName": "",
                "lastName": "",
                "userId": int(owner_id),
                "type": "PERSON",
                "createdAt": STAMP,
                "updatedAt": STAMP,
                "archived": False,
            }
        )
        return owner_id


@contextlib.contextmanager
def hubspot_server() -> Iterator[HubSpotServer]:
    server = HubSpotServer()
    kinds = r"(contacts|calls|tasks|notes)"
    server.route("POST", rf"/crm/v3/objects/{kinds}/search", server.search)
    server.route("POST", rf"/crm/v3/objects/{kinds}", server.create)
    server.route("GET", rf"/crm/v3/objects/{kinds}/(\d+)", server.read)
    server.route("PATCH", rf"/crm/v3/objects/{kinds}/(\d+)", server.update)
    server.route("GET", r"/crm/v3/owners/?", server.find_owners)
    with serve(server) as running:
        yield running
