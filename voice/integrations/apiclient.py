"""The command line's side of the API: requests that wait out 429 and 503 as the server asks (Retry-After),
and error answers turned into one readable line instead of a traceback.

Used by ``voice submit`` and ``voice ingest asterisk``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import IO, Any

import httpx

RETRY_STATUSES = (429, 503)  # documented: "see Retry-After"
MAX_WAIT_S = 60.0  # the rate limit's window is a minute; never sleep longer on one answer


class ApiError(Exception):
    """An answer the server gave instead of what was asked; ``str(exc)`` is one line for a person."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        super().__init__(f"HTTP {response.status_code}: {detail(response)}")


def detail(response: httpx.Response) -> str:
    """The API's ``detail`` (a string, or FastAPI's list of validation errors), else the body's start."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason_phrase
    found = body.get("detail") if isinstance(body, dict) else None
    if isinstance(found, list):  # 422 from validation: [{"loc": [...], "msg": "..."}]
        return "; ".join(_validation_error(e) for e in found)
    return str(found) if found is not None else str(body)[:200]


def _validation_error(e: object) -> str:
    if not isinstance(e, dict):
        return str(e)
    where = ".".join(str(p) for p in e.get("loc", [])[1:])  # without "body" / "query"
    return f"{where}: {e.get('msg')}" if where else str(e.get("msg"))


def retry_after(response: httpx.Response, default: float = 5.0) -> float:
    """Seconds the server asked to wait (Retry-After as seconds or an HTTP date), within 1..MAX_WAIT_S."""
    value = response.headers.get("Retry-After", "").strip()
    wait = default
    if value.isdigit():
        wait = float(value)
    elif value:
        try:
            wait = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError, OverflowError):
            wait = default
    return min(max(wait, 1.0), MAX_WAIT_S)


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    deadline: float | None = None,
    on_wait: Callable[[str], None] | None = None,
    files: Mapping[str, tuple[str, IO[bytes]]] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """``client.request``, sent again after the wait a 429 or 503 asks for, until ``deadline``
    (time.monotonic); the last answer is returned either way. Files are rewound for each try."""
    while True:
        for _, fh in (files or {}).values():
            fh.seek(0)
        response = client.request(method, url, files=files, **kwargs)
        if response.status_code not in RETRY_STATUSES:
            return response
        wait = retry_after(response)
        if deadline is not None and time.monotonic() + wait > deadline:
            return response
        if on_wait:
            why = "the rate limit" if response.status_code == 429 else "the server to be available again"
            on_wait(f"waiting {wait:.0f} s for {why} (HTTP {response.status_code}: {detail(response)})")
        time.sleep(wait)


LIST_IDS_MAX = 100  # ids per list call (GET /v1/voicemails?id=..): ~3.6 KB of URL, one page
FINISHED = ("done", "no_speech", "failed")


def finished_voicemails(
    client: httpx.Client,
    pending: set[str],
    *,
    deadline: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> tuple[list[dict[str, Any]], set[str]]:
    """One poll round over ``pending``: (voicemails that have finished, ids the server no longer has).

    One list call per LIST_IDS_MAX ids, so a folder of voicemails costs a request a round, not one per
    voicemail (the per-key rate limit counts each). A server that ignores ``id=`` (it answers with
    voicemails not asked for) is asked per voicemail instead. ApiError for an answer other than 200."""
    done: list[dict[str, Any]] = []
    gone: set[str] = set()
    ordered = sorted(pending)
    for start in range(0, len(ordered), LIST_IDS_MAX):
        chunk = ordered[start : start + LIST_IDS_MAX]
        params = [("id", vm_id) for vm_id in chunk] + [("limit", str(len(chunk)))]
        r = send(client, "GET", "/v1/voicemails", params=params, deadline=deadline, on_wait=on_wait)
        if r.status_code != 200:
            raise ApiError(r)
        items = [i for i in r.json().get("items", []) if isinstance(i, dict)]
        asked = set(chunk)
        if any(i.get("id") not in asked for i in items):  # the filter was ignored: an older server
            items = []
            for vm_id in chunk:
                one = send(client, "GET", f"/v1/voicemails/{vm_id}", deadline=deadline, on_wait=on_wait)
                if one.status_code == 404:
                    gone.add(vm_id)
                elif one.status_code != 200:
                    raise ApiError(one)
                else:
                    items.append(one.json())
        else:
            gone |= asked - {i.get("id") for i in items}  # deleted or erased meanwhile
        done += [i for i in items if i.get("status") in FINISHED]
    return done, gone
