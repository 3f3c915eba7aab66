"""``/mcp``: the MCP server (:mod:`ui.mcp`) over Streamable HTTP, in the same app and behind the same API keys
as the HTTP API.

When keys are configured (``BRIEFS_API_KEYS``, or read-only ``BRIEFS_API_READ_KEYS``), every request to /mcp needs
``Authorization: Bearer <key>`` (401 otherwise, in the API's error shape), and ``ingest`` is offered when write keys
exist and accepts only those; with no key configured the read tools are open and ``ingest`` is refused, as the API's
writing endpoints are (:func:`ui.auth.authorize` decides for all of them). A session belongs to the key that opened it.
The SDK's session manager runs in the app's lifespan (:meth:`McpEndpoint.run`).

>>> endpoint = McpEndpoint(service, settings)          # doctest: +SKIP
>>> app.add_route("/mcp", endpoint)                    # doctest: +SKIP
>>> async with endpoint.run(): ...                     # in the app's lifespan   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from contextlib import AbstractAsyncContextManager

from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.security.utils import get_authorization_scheme_param
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import Receive, Scope, Send

from assistant.service import BriefsService
from assistant.settings import Settings
from ui.auth import WRITES_DISABLED, api_keys, read_keys
from ui.http.routers.common import ApiError, check_bearer, error_body
from ui.mcp import WritePolicy, build_server

LOOPBACK = ("127.0.0.1", "localhost", "::1")
BODY_OVERHEAD_BYTES = 1 << 20


class McpEndpoint:
    """An ASGI app for the /mcp route: the API-key check, then the SDK's Streamable HTTP session manager."""

    def __init__(self, service: BriefsService, settings: Settings) -> None:
        self.settings = settings
        keyed = bool(api_keys(settings))
        write = WritePolicy("api_key", keys=settings) if keyed else WritePolicy("off", WRITES_DISABLED)
        self.server = build_server(service, write)
        self.server.streamable_http_app(
            host=settings.host,
            transport_security=_transport_security(settings),
            # an uploaded brief travels as base64 (4/3 of its size) inside the JSON-RPC message
            max_request_body_size=int(settings.ingest.max_file_mb * 2**20 * 4 / 3) + BODY_OVERHEAD_BYTES,
        )
        self.sessions = self.server.session_manager

    def run(self) -> AbstractAsyncContextManager[None]:
        """The session manager's lifetime: enter it in the app's lifespan, once."""
        return self.sessions.run()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (api_keys(self.settings) or read_keys(self.settings)):
            credentials = _credentials(scope)
            try:
                check_bearer(credentials, self.settings)
            except ApiError as e:
                response = JSONResponse(error_body(e.message, e.type, e.code), e.status, headers=e.headers)
                await response(scope, receive, send)
                return
            assert credentials is not None
            scope["user"] = _caller(credentials.credentials)
        await self.sessions.handle_request(scope, receive, send)


def _credentials(scope: Scope) -> HTTPAuthorizationCredentials | None:
    header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
    scheme, key = get_authorization_scheme_param(header)
    if scheme.lower() != "bearer" or not key:
        return None
    return HTTPAuthorizationCredentials(scheme=scheme, credentials=key)


def _caller(key: str) -> AuthenticatedUser:
    """The SDK's user for a key, so that a session answers only the key that opened it (never the key itself)."""
    client_id = "key-" + hashlib.sha256(key.strip().encode()).hexdigest()[:16]
    return AuthenticatedUser(AccessToken(token=client_id, client_id=client_id, scopes=[]))


def _transport_security(settings: Settings) -> TransportSecuritySettings | None:
    """DNS-rebinding protection for a loopback server (the SDK's default), also admitting the CORS origins."""
    if settings.host not in LOOPBACK:
        return None
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
        allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*", *origins],
    )
