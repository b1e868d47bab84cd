"""The FastAPI app. ``create_app()`` wires settings, database, the embedded worker and webhooks."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware.sessions import SessionMiddleware

from api import edge
from api.auth import principal
from api.limits import BodyLimit
from api.routes import (
    acks,
    analytics,
    callback_pages,
    callbacks,
    calls,
    channels,
    crm,
    dashboard,
    health,
    keys,
    metrics,
    pages,
    privacy,
    reprocess_runs,
    routing,
    teams,
    transcriptions,
    twilio,
    twilio_messages,
    voicemails,
)
from api.web import HERE, SecurityHeaders, SignInRequired, SignInThrottle, secret_key
from voice import __version__
from voice.core import logs
from voice.core.config import Settings, get_settings
from voice.core.memory import tune_malloc
from voice.core.rate_limits import RateLimiter
from voice.integrations.acks import AckSender
from voice.integrations.crm import CrmSender
from voice.integrations.notifications import NotificationSender
from voice.integrations.webhooks import WebhookSender
from voice.jobs.sweeps import Sweep, Sweeper
from voice.storage import audit, db, vault
from voice.storage.channels import ChannelConflict, ChannelError, ChannelNotFound
from voice.storage.routing import RoutingConflict, RoutingError, RoutingNotFound
from voice.storage.teams import TeamConflict, TeamError, TeamNotFound
from voice.usecases import retention
from voice.usecases.overdue import mark_overdue
from voice.usecases.reassign import reassign_overdue
from voice.worker.dispatch import Dispatch
from voice.worker.local import Worker
from voice.worker.periodic import Periodic

DESCRIPTION = """Voicemail transcription and triage.

Every endpoint except `/healthz` needs an API key (`voice keys create --name NAME --role ingest|agent|admin`),
sent as `Authorization: Bearer vk_...`. A missing or wrong key gets 401, a key without the role 403.
Roles: **ingest** posts voicemails and reads its own; **agent** reads every voicemail and call and updates
agent state; **admin** also reprocesses, deletes and manages keys. Twilio's callback is authenticated by
its X-Twilio-Signature instead.
"""


def background_jobs(
    settings: Settings, sm: sessionmaker[Session], engine: Engine, dispatch: Dispatch
) -> list[Sweeper | Periodic]:
    """Periodic work, each on its own thread so a long retention run holds back no other. Sweeps are elected
    through their rows' leases (voice/jobs/sweeps.py): callback deadlines, retention and, with Celery,
    re-dispatch and the reprocess pump run once per interval per deployment, not once per replica."""
    sweeps = [
        Sweep("sla", settings.sla.check_interval_s, lambda: mark_overdue(sm, settings)),
        # Voicemails nobody called back within the deadline go to another member (docs/callbacks.md).
        Sweep("reassign", settings.sla.check_interval_s, lambda: reassign_overdue(sm, settings)),
        Sweep("retention", settings.retention.interval_s, lambda: retention.apply(sm, settings)),
    ]
    if settings.dispatch == "celery":
        sweeps.append(
            Sweep("redispatch", settings.celery.redispatch_interval_s, lambda: dispatch.resend_stale(sm))
        )
        sweeps.append(Sweep("reprocess-pump", settings.reprocess.interval_s, lambda: dispatch.pump_runs(sm)))
    background: list[Sweeper | Periodic] = [Sweeper(sm, [s], name=f"voice-{s.name}") for s in sweeps]
    # This process's own memory, so not a sweep: reads' audit rows a write refused.
    background.append(Periodic("voice-audit", 30.0, lambda: audit.backlog.flush(engine)))
    return background


def _lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start-up checks, then the workers and periodic jobs of this process; all stopped at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        vault.private_dir(settings.data_dir)  # 0700, also for installs made before it was
        db.require_head(settings.db_url)  # `voice db upgrade` migrates; a server only checks
        engine = db.make_engine(settings.db_url, settings.database_pool_size, settings.database_max_overflow)
        app.state.sessionmaker = db.make_sessionmaker(engine)
        sm = app.state.sessionmaker
        app.state.worker = None
        if settings.worker.enabled and settings.dispatch == "local":
            w = settings.worker
            tune_malloc(w.malloc_arenas, w.malloc_mmap_threshold_kb)  # before the worker's threads start
            app.state.worker = Worker(settings, sm)
            app.state.worker.start()
        app.state.dispatch = Dispatch(settings, app.state.worker)
        # Every serving process delivers due webhooks, each claimed under a lease.
        app.state.webhooks = WebhookSender(settings, sm)
        app.state.webhooks.start()
        # And due notifications to channels (docs/notifications.md), under the same kind of lease.
        app.state.notifications = NotificationSender(settings, sm)
        app.state.notifications.start()
        # And acknowledgements to callers (docs/acknowledgements.md), under the same kind of lease.
        app.state.acks = AckSender(settings, sm)
        app.state.acks.start()
        # And due CRM syncs (docs/crm.md): tickets and call logs, under the same kind of lease.
        app.state.crm = CrmSender(settings, sm)
        app.state.crm.start()
        background = background_jobs(settings, sm, engine, app.state.dispatch)
        for job in background:
            job.start()
        try:
            yield
        finally:
            for job in background:
                job.stop()
            app.state.webhooks.stop()
            app.state.notifications.stop()
            app.state.acks.stop()
            app.state.crm.stop()
            app.state.dispatch.close()
            if app.state.worker is not None:
                app.state.worker.stop()
            audit.backlog.flush(engine)
            engine.dispose()

    return lifespan


def _refusal_status(exc: Exception) -> int:
    """404 for what does not exist, 409 for a name taken (or a second default rule), 422 for the rest."""
    if isinstance(exc, TeamNotFound | RoutingNotFound | ChannelNotFound):
        return 404
    return 409 if isinstance(exc, TeamConflict | RoutingConflict | ChannelConflict) else 422


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OperationalError)
    async def _database_down(_: Request, exc: OperationalError) -> JSONResponse:
        # The database is restarting or unreachable: say so, and when to retry, instead of a bare 500.
        logging.getLogger("api").warning("database unavailable: %s", str(exc.orig or exc).splitlines()[0])
        return JSONResponse(
            {"detail": "the database is unavailable; try again shortly"}, 503, {"Retry-After": "2"}
        )

    @app.exception_handler(TeamError)
    @app.exception_handler(RoutingError)
    @app.exception_handler(ChannelError)
    async def _refused(_: Request, exc: Exception) -> JSONResponse:
        # Teams and routing say why they refuse (the session's changes are rolled back when it closes).
        return JSONResponse({"detail": str(exc)}, _refusal_status(exc))

    @app.exception_handler(SignInRequired)
    async def _sign_in(_: Request, exc: SignInRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?{urlencode({'next': exc.next_url})}", status_code=303)


def _install_private_docs(app: FastAPI) -> None:
    """The same OpenAPI document and Swagger page, behind a key."""

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(principal)])
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=[Depends(principal)])
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Voice API")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logs.setup(settings.log_level)  # URLs in every log line lose their query strings and passwords

    public_docs = settings.api.public_docs
    app = FastAPI(
        title="Voice",
        version=__version__,
        lifespan=_lifespan(settings),
        description=DESCRIPTION,
        openapi_url="/openapi.json" if public_docs else None,
        docs_url="/docs" if public_docs else None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.limiter = RateLimiter(settings.limits)
    app.state.signin = SignInThrottle(settings)
    app.add_middleware(edge.EdgeCheck)  # inside BodyLimit: it buffers bodies BodyLimit has capped
    edge.install(app)
    app.add_middleware(BodyLimit, max_body_bytes=settings.limits.max_body_bytes,
                       max_upload_bytes=settings.api.max_upload_bytes)  # fmt: skip
    app.include_router(health.router)
    app.include_router(voicemails.router)
    app.include_router(calls.router)
    app.include_router(callbacks.router)
    app.include_router(reprocess_runs.router)
    app.include_router(privacy.router)
    app.include_router(keys.router)
    app.include_router(teams.router)
    app.include_router(channels.router)
    app.include_router(crm.router)
    app.include_router(routing.router)
    app.include_router(twilio.router)
    app.include_router(acks.callbacks)
    app.include_router(acks.router)
    app.include_router(twilio_messages.router)
    app.include_router(transcriptions.router)
    app.include_router(metrics.router)
    app.include_router(analytics.router)
    transcriptions.install_error_handler(app)

    # The agents' web inbox: signed session cookies (HttpOnly; SameSite=Lax; Secure when configured).
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings),
        session_cookie="voice_session",
        max_age=int(settings.web.session_hours * 3600),
        same_site="lax",
        https_only=settings.web.secure_cookie,
    )
    app.add_middleware(SecurityHeaders)  # CSP, no framing, nosniff: outermost, so redirects carry them too
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(pages.router)
    app.include_router(callback_pages.router)
    app.include_router(dashboard.router)

    _install_error_handlers(app)
    if not public_docs:
        _install_private_docs(app)

    return app
