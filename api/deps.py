"""Shared objects for request handlers, kept on app.state by create_app()."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from voice.core.config import Settings


# async: a plain function here would cost a trip to the thread pool on every request.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_sessionmaker(request: Request) -> sessionmaker[Session]:
    """For handlers that open their own short session inside one thread-pool call (the POST path):
    a connection is then never held while the request waits for a thread."""
    sm: sessionmaker[Session] = request.app.state.sessionmaker
    return sm


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessionmaker() as session:
        yield session
