"""/healthz: for load balancers, Docker and people: is this replica fit to take requests?"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.deps import get_session, get_settings
from voice.core.config import Settings
from voice.storage import audit, db

router = APIRouter(tags=["health"])


class DiskOut(BaseModel):
    free_bytes: int
    min_free_bytes: int


class DatabaseOut(BaseModel):
    reachable: bool
    writable: bool


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]  # degraded: reads answer, writes may fail (see problems)
    problems: list[str]  # why not ok, in words
    database: DatabaseOut
    disk: DiskOut  # the tighter of the data folder's disk and the SQLite database's
    audit_backlog: int  # audit events of reads waiting to be written (the database refused them)


_OK = {"status": "ok", "problems": [], "database": {"reachable": True, "writable": True},
       "disk": {"free_bytes": 52_000_000_000, "min_free_bytes": 104_857_600}, "audit_backlog": 0}  # fmt: skip
_FULL = _OK | {
    "status": "degraded",
    "problems": ["the data disk has 1.2 MB free, under the minimum of 100 MB (VOICE_HEALTH__MIN_FREE_MB)"],
    "disk": {"free_bytes": 1_200_000, "min_free_bytes": 104_857_600},
    "audit_backlog": 12,
}


def _existing(path: Path) -> Path:
    """``path`` or its nearest existing parent (the data folder is made on the first upload)."""
    path = path.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def free_bytes(settings: Settings) -> int:
    """Free space for Voice on the data folder's disk, or the SQLite database's if it has less."""
    folders = {_existing(settings.data_dir)}
    if (sqlite := db.sqlite_path(settings.db_url)) is not None:
        folders.add(_existing(sqlite.parent))
    return min(shutil.disk_usage(folder).free for folder in folders)


@router.get(
    "/healthz",
    response_model=HealthOut,
    responses={
        200: {
            "description": 'up; "degraded" when the disk is (nearly) full or the database read-only: reads '
            "still answer, writes may fail",
            "content": {
                "application/json": {"examples": {"ok": {"value": _OK}, "degraded": {"value": _FULL}}}
            },
        },
        503: {
            "description": "the database cannot be reached",
            "content": {
                "application/json": {"example": {"detail": "the database is unavailable; try again shortly"}}
            },
        },
    },
)
def healthz(
    session: Session = Depends(get_session), settings: Settings = Depends(get_settings)
) -> JSONResponse:
    """Liveness, the database (reachable, writable) and free space on the data disk; needs no key (for load
    balancers and Docker). A full disk or a read-only database is "degraded" with the problems in words, but
    200: reads still answer, and taking the only replica out would fail them too. 503 only when the database
    cannot be reached."""
    session.execute(text("SELECT 1"))  # unreachable: the app's handler answers 503
    problems = []
    not_writable = db.not_writable(session, settings.db_url)
    if not_writable:
        problems.append(not_writable)
    free, minimum = free_bytes(settings), int(settings.health.min_free_mb * 1024 * 1024)
    if free < minimum:
        problems.append(
            f"the data disk has {free / 2**20:.1f} MB free, under the minimum of "
            f"{settings.health.min_free_mb:g} MB (VOICE_HEALTH__MIN_FREE_MB)"
        )
    out = HealthOut(
        status="degraded" if problems else "ok",
        problems=problems,
        database=DatabaseOut(reachable=True, writable=not not_writable),
        disk=DiskOut(free_bytes=free, min_free_bytes=minimum),
        audit_backlog=len(audit.backlog),
    )
    return JSONResponse(out.model_dump())
