"""What every router shares: the service dependency, API-key checks, the error shape and SSE framing.

Errors leave the API in one shape, ``{"error": {"message", "type", "code"}}`` (OpenAI's), and core errors
are translated to HTTP status codes here and nowhere else (:func:`status_for`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.errors import BriefsError, ConfigError, IngestError, LLMError, NotFoundError, StoreError
from assistant.service import BriefsService
from assistant.settings import Settings
from ui.auth import api_keys, key_is_valid

logger = logging.getLogger(__name__)

MODEL_ID = "briefs-assistant"

# Most specific first: the first isinstance match wins.
STATUS_BY_ERROR: list[tuple[type[BriefsError], int, str]] = [
    (NotFoundError, 404, "not_found_error"),
    (IngestError, 422, "invalid_request_error"),
    (LLMError, 502, "upstream_error"),
    (StoreError, 503, "server_error"),
    (ConfigError, 503, "server_error"),
    (BriefsError, 500, "server_error"),
]


# Uploads refused before saving: a more precise status than IngestError's 422, by reason.
STATUS_BY_REASON = {"invalid_filename": 400, "file_too_large": 413, "unsupported_file_type": 415}


class ApiError(Exception):
    """An error raised by a router: status code, user-facing message and a machine-readable code."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str,
        type_: str = "invalid_request_error",
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.type = status, message, code, type_
        self.headers = headers
        self.extra = extra or {}


def error_body(message: str, type_: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "code": code}}


def status_for(exc: BriefsError) -> tuple[int, str, str]:
    """(HTTP status, error type, error code) for a core error."""
    for cls, status, type_ in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            code = getattr(exc, "reason", None) or _snake(type(exc).__name__)
            return STATUS_BY_REASON.get(code, status), type_, code
    raise AssertionError("unreachable: BriefsError is in STATUS_BY_ERROR")


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


# -- dependencies ----------------------------------------------------------------------------------
def get_service(request: Request) -> BriefsService:
    return request.app.state.service  # type: ignore[no-any-return]


ServiceDep = Annotated[BriefsService, Depends(get_service)]

# FastAPI's HTTPBearer parses the header (and documents the scheme in OpenAPI); we raise our own errors.
bearer = HTTPBearer(auto_error=False, description="An API key from BRIEFS_API_KEYS.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def check_bearer(credentials: HTTPAuthorizationCredentials | None, settings: Settings) -> None:
    """ApiError 401 unless ``credentials`` carry a configured key."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or not credentials.credentials.strip():
        raise ApiError(
            401,
            "Missing API key: send the header 'Authorization: Bearer <key>'.",
            "missing_api_key",
            "authentication_error",
            challenge,
        )
    if not key_is_valid(settings, credentials.credentials):
        raise ApiError(
            401,
            "Invalid API key: it is not one of BRIEFS_API_KEYS.",
            "invalid_api_key",
            "authentication_error",
            challenge,
        )


def require_key_when_auth_all(request: Request, credentials: Credentials) -> None:
    """On every endpoint but /healthz: a valid key is needed when api_auth_all=True."""
    settings = get_settings_dep(request)
    if settings.api_auth_all:
        check_bearer(credentials, settings)


WRITES_DISABLED = (
    "Writing is disabled because no API key is configured: set BRIEFS_API_KEYS=<key>[,<key>…] "
    "and send 'Authorization: Bearer <key>'."
)


def require_write_key(request: Request, credentials: Credentials) -> None:
    """Writing endpoints: a valid key always; with none configured, writing is refused outright."""
    settings = get_settings_dep(request)
    if not api_keys(settings):
        raise ApiError(403, WRITES_DISABLED, "writes_disabled", "permission_error")
    check_bearer(credentials, settings)


# -- server-sent events ----------------------------------------------------------------------------
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse(payload: dict[str, Any] | str) -> str:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {data}\n\n"


def sse_with_errors(events: Iterable[str]) -> Iterator[str]:
    """Pass SSE frames through; a core error after the response started becomes an error frame, then [DONE]."""
    try:
        yield from events
    except BriefsError as e:
        _, type_, code = status_for(e)
        logger.warning("stream failed: %s", e)
        yield sse(error_body(str(e), type_, code))
    yield sse("[DONE]")
