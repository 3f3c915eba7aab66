"""The HTTP API (FastAPI): an OpenAI-compatible chat door, the native JSON API, the MCP endpoint (/mcp) and,
at "/", the web chat.

The API, the MCP endpoint and the web chat call one :class:`~assistant.service.BriefsService`: one store, one set of models.
Errors leave in one shape, ``{"error": {"message", "type", "code"}}``; core errors get their status code
from :func:`ui.routers.common.status_for`.

>>> app = create_app(Settings(data_dir="data"), with_web=False)   # doctest: +SKIP
>>> uvicorn.run(app, host="127.0.0.1", port=7860)                  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Route

from assistant.errors import BriefsError, ConfigError
from assistant.service import BriefsService
from assistant.settings import Settings, configure_offline, get_settings
from ui.auth import api_keys, read_keys
from ui.http.mcp_endpoint import McpEndpoint
from ui.http.routers import ask, chat, documents, files, health
from ui.http.routers.common import ApiError, error_body, require_key_when_auth_all, status_for

logger = logging.getLogger(__name__)

TYPE_BY_STATUS = {401: "authentication_error", 403: "permission_error", 404: "not_found_error"}


def create_app(
    settings: Settings | dict[str, Any] | str | None = None,
    service: BriefsService | None = None,
    with_web: bool = True,
) -> FastAPI:
    """The whole server: API routes under /v1, /healthz, /readyz, docs at /docs, the MCP server at /mcp and
    (with_web) Gradio at "/"."""
    configure_offline()
    settings = service.settings if service is not None and settings is None else get_settings(settings)
    if settings.api_auth_all and not (api_keys(settings) or read_keys(settings)):
        raise ConfigError(
            "api_auth_all=True (BRIEFS_API_AUTH_ALL) needs at least one key: set BRIEFS_API_KEYS=<key>[,<key>…]."
        )
    service = service or BriefsService(settings)
    mcp = McpEndpoint(service, settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with mcp.run():  # the MCP session manager lives as long as the app
            yield

    app = FastAPI(
        title="Briefs Assistant API",
        version="1",
        docs_url="/docs",
        description="Answers from policy briefs, every claim with a verified [n] citation. "
        "Writing endpoints need 'Authorization: Bearer <key>' (BRIEFS_API_KEYS). "
        "MCP clients connect to /mcp (Streamable HTTP).",
        lifespan=lifespan,
    )
    app.state.settings, app.state.service = settings, service
    app.add_middleware(documents.UploadLimit, max_file_mb=settings.ingest.max_file_mb)
    _install_error_handlers(app)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_credentials=False,
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.include_router(health.router)
    for module in (chat, ask, documents, files):
        app.include_router(module.router, dependencies=[Depends(require_key_when_auth_all)])
    app.router.routes.append(Route("/mcp", mcp))  # an ASGI app; before the web chat, which takes the rest
    if not (with_web and _mount_web(app, service)):
        app.add_api_route("/", lambda: RedirectResponse("/docs"), include_in_schema=False)
    return app


def _mount_web(app: FastAPI, service: BriefsService) -> bool:
    try:
        from ui.web.app import mount_web
    except ImportError as e:
        logger.warning("web chat not mounted (%s); serving the API only", e)
        return False
    mount_web(app, service)  # after the API routes: Gradio takes "/" and everything not matched above
    return True


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            {**error_body(exc.message, exc.type, exc.code), **exc.extra}, exc.status, headers=exc.headers
        )

    @app.exception_handler(BriefsError)
    async def briefs_error(_: Request, exc: BriefsError) -> JSONResponse:
        status, type_, code = status_for(exc)
        if status >= 500:
            logger.warning("%s: %s", type(exc).__name__, exc)
        return JSONResponse(error_body(str(exc), type_, code), status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        type_ = TYPE_BY_STATUS.get(
            exc.status_code, "server_error" if exc.status_code >= 500 else "invalid_request_error"
        )
        return JSONResponse(error_body(str(exc.detail), type_, None), exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            error_body(validation_message(exc.errors()), "invalid_request_error", "invalid_value"), 422
        )

    @app.exception_handler(ClientDisconnect)
    async def disconnected(request: Request, _: ClientDisconnect) -> JSONResponse:
        logger.info("client disconnected during %s %s", request.method, request.url.path)
        body = error_body(
            "The client disconnected before the request was read.",
            "invalid_request_error",
            "client_disconnected",
        )
        return JSONResponse(body, 400)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", exc_info=exc)
        return JSONResponse(
            error_body("Internal server error; the server log has the details.", "server_error", None), 500
        )


def validation_message(errors: Any) -> str:
    """'field.path: what is wrong (got value)' for each error, joined by '; '."""
    parts = []
    for err in errors:
        loc = [str(x) for x in err.get("loc", ())]
        field = ".".join(loc[1:] if loc[:1] == ["body"] and len(loc) > 1 else loc) or "body"
        got = (
            f" (got {_short(err['input'])})"
            if "input" in err and not isinstance(err["input"], dict | list)
            else ""
        )
        parts.append(f"{field}: {err.get('msg', 'invalid')}{got}")
    return "; ".join(parts)


def _short(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters: an error never echoes a megabyte of input back."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(str(value)):,} characters)"
