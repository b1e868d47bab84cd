from fastapi import APIRouter, Depends
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.deps import get_session

router = APIRouter(tags=["health"])


@router.get("/healthz", responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}})
def healthz(session: Session = Depends(get_session)) -> dict[str, str]:
    """Liveness and database reachability; needs no key (for load balancers and Docker)."""
    session.execute(text("SELECT 1"))
    return {"status": "ok"}
