"""Liveness (``/healthz``: the process answers) and readiness (``/readyz``: store opens, embedder loaded).

A store or model that can't be opened raises StoreError/ConfigError, which the app turns into 503.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from ui.http.routers.common import ServiceDep, require_key_when_auth_all

router = APIRouter(tags=["Health"])


@router.get("/healthz", summary="Liveness: the process is up (never needs a key)")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    dependencies=[Depends(require_key_when_auth_all)],
    summary="Readiness: the store opens, the embedder is loaded; the brief count",
)
def readyz(service: ServiceDep) -> dict[str, Any]:
    return {"status": "ready", **service.status()}
