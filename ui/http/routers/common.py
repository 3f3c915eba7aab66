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

from assistant.errors import (
    BriefsError,
    ConfigError,
    IngestError,
    LLMError,
    NoBriefsError,
    NotFoundError,
    StoreError,
)
from assistant.service import BriefsService
from assistant.settings import Settings
from ui.auth import authorize

logger = logging.getLogger(__name__)

MODEL_ID = "briefs-assistant"
# The error responses routes declare in OpenAPI (the body is always {"error": {message, type, code}}).
ERROR_SCHEMA = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "error": {
                        "type": "object",
                        "properties": {
                            "message": {"type": "string"},
                            "type": {"type": "string"},
                            "code": {"type": "string", "nullable": True},
                        },
                    }
                },
            }
        }
    }
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these status codes, with the shared error body."""
    what = {
        400: "Bad request",
        401: "Missing or invalid API key",
        403: "Not allowed",
        404: "Not found",
        409: "No briefs are ingested yet (code no_briefs): ingest or upload some first",
        413: "Request too large",
        415: "Unsupported file type",
        422: "Invalid request (the message names the field)",
        502: "The LLM server failed",
        503: "The store or a model is unavailable",
    }
    return {c: {"description": what.get(c, "Error"), **ERROR_SCHEMA} for c in codes}


# What one request may ask of the server: its cost grows with the conversation (follow-up rewriting reads it).
MAX_QUESTION_CHARS = 4000
MAX_MESSAGES = 200
MAX_CONVERSATION_CHARS = 100_000

# Most specific first: the first isinstance match wins.
STATUS_BY_ERROR: list[tuple[type[BriefsError], int, str]] = [
    (NotFoundError, 404, "not_found_error"),
    (NoBriefsError, 409, "invalid_request_error"),
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


def check_bearer(
    credentials: HTTPAuthorizationCredentials | None, settings: Settings, write: bool = False
) -> None:
    """ApiError (401/403) unless ``credentials`` carry a key that may read, or write (see :func:`ui.auth.authorize`)."""
    denied = authorize(settings, credentials.credentials if credentials else None, write)
    if denied is not None:
        type_ = "authentication_error" if denied.status == 401 else "permission_error"
        headers = {"WWW-Authenticate": "Bearer"} if denied.status == 401 else None
        raise ApiError(denied.status, denied.message, denied.code, type_, headers)


def require_key_when_auth_all(request: Request, credentials: Credentials) -> None:
    """On every endpoint but /healthz: a valid key (read or write) is needed when api_auth_all=True. A browser
    signed in to the web chat (with an API key as its password) may read too: the reader view and its PDF links
    fetch from the API with the page's session cookie (``app.state.web_session``, set by ui.web.app)."""
    settings = get_settings_dep(request)
    if settings.api_auth_all:
        signed_in = getattr(request.app.state, "web_session", None)
        if credentials is None and signed_in is not None and signed_in(request):
            return
        check_bearer(credentials, settings)


def require_write_key(request: Request, credentials: Credentials) -> None:
    """Writing endpoints: a key that may write, always; with none configured, writing is refused outright."""
    check_bearer(credentials, get_settings_dep(request), write=True)


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
