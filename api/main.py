"""The FastAPI app. ``create_app()`` wires settings, database and the embedded worker."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.routes import health, voicemails
from voice import __version__, db
from voice.config import Settings, get_settings
from voice.worker import Worker


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db.upgrade(settings.db_url)
        engine = db.make_engine(settings.db_url)
        app.state.sessionmaker = db.make_sessionmaker(engine)
        app.state.worker = None
        if settings.worker.enabled:
            app.state.worker = Worker(settings, app.state.sessionmaker)
            app.state.worker.start()
        try:
            yield
        finally:
            if app.state.worker is not None:
                app.state.worker.stop()
            engine.dispose()

    app = FastAPI(
        title="Voice",
        version=__version__,
        lifespan=lifespan,
        description="Voicemail transcription and triage.",
    )
    app.state.settings = settings
    app.include_router(health.router)
    app.include_router(voicemails.router)
    return app
