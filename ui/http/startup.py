"""Fast server start: :class:`DeferredApp` is the ASGI app ``briefs serve`` hands to uvicorn. It answers
``/healthz`` at once and ``/readyz`` with 503 ``{"status": "warming"}`` while the real app (FastAPI, the MCP
endpoint and the Gradio chat, whose imports take seconds) is built in a thread; then it enters that app's
lifespan and passes every request to it. Other requests that arrive meanwhile wait for it.

This module imports no web framework, so the server listens before any of them is loaded.

>>> app = DeferredApp(lambda: create_app(settings, service=service))   # doctest: +SKIP
>>> uvicorn.run(app, host="127.0.0.1", port=7860)                    # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class DeferredApp:
    """An ASGI app that builds the real one (``build()``, run in a thread) after the server has started."""

    def __init__(
        self,
        build: Callable[[], Any],
        on_failure: Callable[[BaseException], None] | None = None,
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        self._build = build
        self._on_failure = on_failure
        self._on_ready = on_ready  # called in a thread once the app serves requests
        self._app: Any = None
        self._error: BaseException | None = None
        self._ready: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if self._app is None:
            path = scope.get("path", "")
            if scope["type"] == "http" and path in ("/healthz", "/readyz"):
                await self._answer_while_starting(path, send)
                return
            if self._ready is not None:
                await self._ready.wait()
            if self._app is None:
                await _json(send, 503, _error_body(f"The server failed to start: {self._error}"))
                return
        await self._app(scope, receive, send)

    async def _answer_while_starting(self, path: str, send: Send) -> None:
        if self._error is not None:
            await _json(send, 503, {"status": "failed", "error": str(self._error)})
        elif path == "/healthz":
            await _json(send, 200, {"status": "ok"})
        else:
            await _json(send, 503, {"status": "warming"})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        self._ready, self._stop = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(self._run_app())
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        self._stop.set()
        try:
            await task
        except Exception:
            logger.exception("error while stopping the app")
        await send({"type": "lifespan.shutdown.complete"})

    async def _run_app(self) -> None:
        assert self._ready is not None and self._stop is not None
        t0 = time.perf_counter()
        try:
            app = await asyncio.to_thread(self._build)
        except BaseException as e:  # reported on every request, and the server is asked to stop
            self._error = e
            self._ready.set()
            logger.error("the app could not be built: %s", e)
            if self._on_failure is not None:
                self._on_failure(e)
            return
        async with app.router.lifespan_context(app):  # the MCP session manager, Gradio's startup events
            self._app = app
            self._ready.set()
            logger.info("app built in %.1fs", time.perf_counter() - t0)
            if self._on_ready is not None:
                threading.Thread(target=self._on_ready, name="on-ready", daemon=True).start()
            await self._stop.wait()


def _error_body(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "server_error", "code": None}}


async def _json(send: Send, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
