"""/metrics: Prometheus text format, read from the database on each scrape (any API key)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

from api.auth import as_ingest
from api.schemas import errors
from voice.storage.keys import Principal
from voice.usecases.stats import Collector

router = APIRouter(
    tags=["operations"],
    responses=errors(401, 403, 413, 422, 429, 503),  # every route here can answer these
)


def registry_for(request: Request) -> CollectorRegistry:
    state = request.app.state
    if getattr(state, "metrics_registry", None) is None:
        registry = CollectorRegistry()
        registry.register(Collector(state.sessionmaker))
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        state.metrics_registry = registry
    registry_: CollectorRegistry = state.metrics_registry
    return registry_


@router.get(
    "/metrics",
    responses={
        200: {
            "content": {
                "text/plain": {
                    "example": "voice_queue_depth 3.0\nvoice_in_flight 2.0\n"
                    'voice_stage_seconds{stage="transcribe",quantile="0.5"} 1.82\n'
                }
            }
        }
    },
)
def metrics(request: Request, _: Principal = Depends(as_ingest)) -> Response:
    """Queue depth, jobs in flight, overdue voicemails, webhook backlog, per-stage timings (last hour)."""
    return Response(generate_latest(registry_for(request)), media_type=CONTENT_TYPE_LATEST)
