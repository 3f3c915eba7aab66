"""Liveness (``/healthz``: the process answers) and readiness (``/readyz``: store opens, models loaded).

``briefs serve`` answers ``/healthz`` at once and loads the store and models in the background; meanwhile
``/readyz`` answers 503 with ``{"status": "warming"}``, and 503 with ``{"status": "failed", "error": …}`` if that
failed. A store or model that can't be opened raises StoreError/ConfigError, which the app turns into 503.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ui.http.routers.common import ServiceDep, errors, require_key_when_auth_all

router = APIRouter(tags=["Health"])


@router.get("/healthz", summary="Liveness: the process is up (never needs a key)")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    dependencies=[Depends(require_key_when_auth_all)],
    summary="Readiness: the store opens and the models are loaded (503 while warming up); the brief count",
    responses=errors(503),
)
def readyz(service: ServiceDep) -> Any:
    state, error = service.readiness()
    if state != "ready":
        return JSONResponse({"status": state, **({"error": error} if error else {})}, 503)
    return {"status": "ready", **service.status()}
