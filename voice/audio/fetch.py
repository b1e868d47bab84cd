"""Fetch voicemail audio over http(s): streamed to disk, size-capped, retried on transient faults.

Every connection goes through ``voice.audio.urlguard``: only public addresses (or networks the operator
allowed), checked on each redirect hop and pinned for the connection.

Each attempt has a total deadline besides httpx's per-read timeouts, which a server that sends a byte now
and then never trips: ``deadline_floor_s``, plus a second per ``min_rate_bytes_s`` bytes received. A
trickle is cut at the floor; a download at the minimum rate may take up to floor + max_bytes / min_rate.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from voice.audio import urlguard
from voice.core import logs
from voice.core.config import FetchSettings
from voice.core.errors import FetchError, TransientFetchError
from voice.storage import vault

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fetched:
    path: Path
    size_bytes: int
    content_type: str | None


def check_audio_url(url: str, settings: FetchSettings) -> None:
    """Refuse, before storing it, a URL we would never fetch: other schemes, credentials inside the
    URL, literal addresses that are not public. Names are resolved and checked at fetch time."""
    urlguard.check_url(url, settings.allow_networks)


def _auth_for(url: str, settings: FetchSettings) -> httpx.BasicAuth | None:
    for source in sorted(settings.sources, key=lambda s: len(s.prefix), reverse=True):
        if url.startswith(source.prefix):
            return httpx.BasicAuth(source.username, source.password.get_secret_value())
    return None


def _check_response(response: httpx.Response, settings: FetchSettings) -> None:
    """Refuse, before reading the body, an answer that is an error, encoded, or declared too large."""
    if response.status_code >= 500 or response.status_code == 429:
        raise TransientFetchError(f"the audio server answered HTTP {response.status_code}")
    if response.status_code >= 400:
        raise FetchError(f"the audio server refused the request: HTTP {response.status_code}")
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        # Unasked-for: 64 KB of deflate can inflate to 64 MB in one read, before any size check.
        raise FetchError(f"the audio server sent {encoding[:40]}-encoded content, which was not asked for")
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_bytes:
        raise FetchError(f"the audio is larger than the {settings.max_bytes} byte limit")


def _save_body(
    response: httpx.Response, dest: Path, settings: FetchSettings, keyring: vault.Keyring | None
) -> int:
    """Stream the body into ``dest``, capped at ``max_bytes``; return its size."""
    size = 0
    with vault.writer(dest, keyring) as out:  # encrypted as it arrives when a key is set
        for chunk in response.iter_raw(1 << 16):
            size += len(chunk)
            if size > settings.max_bytes:
                raise FetchError(f"the audio is larger than the {settings.max_bytes} byte limit")
            out.write(chunk)
    return size


def _download_once(
    client: httpx.Client, url: str, dest: Path, settings: FetchSettings, keyring: vault.Keyring | None
) -> Fetched:
    budget = urlguard.Deadline(
        settings.deadline_floor_s,
        min_rate=settings.min_rate_bytes_s,
        cap_s=settings.deadline_floor_s + settings.max_bytes / settings.min_rate_bytes_s,
    )
    try:
        with (
            budget,
            client.stream(
                "GET",
                url,
                headers={"accept-encoding": "identity"},  # audio is compressed already
                extensions={urlguard.DEADLINE: budget},
            ) as response,
        ):
            _check_response(response, settings)
            size = _save_body(response, dest, settings, keyring)
            return Fetched(dest, size, response.headers.get("content-type"))
    except urlguard.DeadlineExceeded as exc:
        # Not retried: a slow server is often only slow, but every retry would hold a worker as long again.
        raise FetchError(
            f"the audio server sent too slowly: {budget.received} bytes in {budget.elapsed():.0f} s "
            f"(a download gets {settings.deadline_floor_s:g} s, and 1 s more per "
            f"{settings.min_rate_bytes_s:g} bytes received)"
        ) from exc
    except httpx.TooManyRedirects as exc:
        raise FetchError("the audio URL redirected too many times") from exc
    except httpx.TimeoutException as exc:
        raise TransientFetchError(f"timed out fetching the audio ({exc.__class__.__name__})") from exc
    except httpx.TransportError as exc:
        raise TransientFetchError(f"could not reach the audio server ({exc.__class__.__name__})") from exc


def fetch_to_file(
    url: str,
    dest: Path,
    settings: FetchSettings,
    auth: httpx.Auth | None = None,
    on_retry: Callable[[int, str, float], None] | None = None,
    keyring: vault.Keyring | None = None,
) -> Fetched:
    """Download ``url`` into ``dest``; retry timeouts, connection errors and 5xx with exponential
    backoff and jitter, at most ``settings.retries`` times; ``on_retry(attempt, reason, delay_s)`` is
    told of each (the pipeline records it in the voicemail's history). 4xx and bad files do not retry.

    ``auth`` (named credentials of an integration, such as a Twilio account) wins over the per-prefix
    credentials in ``settings.sources``. httpx drops it on a redirect to another host.
    """
    check_audio_url(url, settings)
    timeout = httpx.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with urlguard.safe_client(
        settings.allow_networks,
        timeout,
        max_redirects=settings.max_redirects,
        auth=auth or _auth_for(url, settings),
    ) as client:
        attempt = 0
        while True:
            attempt += 1
            try:
                return _download_once(client, url, dest, settings, keyring)
            except TransientFetchError as exc:
                dest.unlink(missing_ok=True)
                if attempt > settings.retries:
                    raise TransientFetchError(f"{exc} (gave up after {attempt} attempts)") from exc
                delay = settings.backoff_s * (2 ** (attempt - 1)) * (0.5 + random.random())
                log.info("fetch of %s failed (%s); retry %d in %.1f s", logs.redact(url), exc, attempt, delay)
                if on_retry is not None:
                    on_retry(attempt, str(exc), delay)
                time.sleep(delay)
            except FetchError:
                dest.unlink(missing_ok=True)
                raise
