"""Leases: a job is held by one owner until its lease runs out, and the owner renews it while it works."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator

from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)


def owner_token() -> str:
    return f"{socket.gethostname()[:20]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@contextlib.contextmanager
def keep_lease(renew: Callable[[], bool], lease_s: float, what: str) -> Iterator[None]:
    """Renew a lease every third of its length while the block runs (until ``renew`` says it is lost)."""
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(lease_s / 3):
            try:
                if not renew():
                    return
            except DBAPIError as exc:  # the database is restarting: keep beating, it will be back
                log.warning("%s: could not renew the lease (%s)", what, exc.orig)

    beat = threading.Thread(target=heartbeat, name=f"lease-{what[-8:]}", daemon=True)
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join()
