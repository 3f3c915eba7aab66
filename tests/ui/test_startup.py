"""Fast server start: the deferred app answers /healthz while the real app is built, /readyz says "warming"
until the store and models are loaded, and a failed start is reported rather than hidden."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.errors import ConfigError
from assistant.service import BriefsService
from tests.conftest import test_settings
from tests.ui.test_http import live_server
from ui.http.startup import DeferredApp

QUESTION = "What did the visit achieve?"


class GatedService(BriefsService):
    """A service whose warm-up waits for ``gate`` (so a test sees it warming)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = threading.Event()

    def warm_up(self) -> None:
        assert self.gate.wait(30)
        super().warm_up()


def test_healthz_answers_while_the_app_is_built_and_requests_wait_for_it(ingested_dir: Path, embedder: Any) -> None:
    from ui.http.app import create_app

    service = BriefsService(test_settings(data_dir=ingested_dir), embedder=embedder)
    built = threading.Event()

    def build() -> Any:
        assert built.wait(30)
        return create_app(service.settings, service=service, with_web=False)

    with live_server(DeferredApp(build), lifespan="on") as url, ThreadPoolExecutor(1) as pool:
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
        r = httpx.get(f"{url}/readyz")
        assert r.status_code == 503 and r.json() == {"status": "warming"}
        asked = pool.submit(httpx.post, f"{url}/v1/ask", json={"question": QUESTION}, timeout=60)
        time.sleep(0.3)
        assert not asked.done()  # waits for the app rather than failing
        built.set()
        assert asked.result().status_code == 200 and asked.result().json()["citations"]
        assert httpx.get(f"{url}/readyz").json()["status"] == "ready"


def test_a_failed_build_is_reported_and_stops_the_server(ingested_dir: Path) -> None:
    failures: list[BaseException] = []

    def build() -> Any:
        raise ConfigError("api_auth_all=True (BRIEFS_API_AUTH_ALL) needs at least one key")

    with live_server(DeferredApp(build, on_failure=failures.append), lifespan="on") as url:
        deadline = time.monotonic() + 10
        while not failures:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        r = httpx.get(f"{url}/healthz")
        assert r.status_code == 503 and "needs at least one key" in r.json()["error"]
        assert "needs at least one key" in httpx.get(f"{url}/v1/documents").json()["error"]["message"]


def test_readyz_says_warming_until_the_background_warm_up_is_done(ingested_dir: Path, embedder: Any) -> None:
    from ui.http.app import create_app

    service = GatedService(test_settings(data_dir=ingested_dir), embedder=embedder)
    service.start_warm_up()
    with live_server(create_app(service.settings, service=service, with_web=False)) as url:
        r = httpx.get(f"{url}/readyz")
        assert r.status_code == 503 and r.json() == {"status": "warming"}
        service.gate.set()
        deadline = time.monotonic() + 30
        while (r := httpx.get(f"{url}/readyz")).status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert r.json()["status"] == "ready" and r.json()["briefs"] >= 5


def test_a_failed_warm_up_makes_readyz_report_the_error(tmp_path: Path, embedder: Any) -> None:
    service = BriefsService(test_settings(data_dir=tmp_path / "data"), embedder=embedder)
    def broken() -> None:
        raise ConfigError("the store at data/chroma is unreadable")

    service.warm_up = broken  # type: ignore[method-assign]
    service.start_warm_up()
    deadline = time.monotonic() + 10
    while service.readiness()[0] == "warming":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert service.readiness() == ("failed", "the store at data/chroma is unreadable")


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_both_probes_answer_before_any_web_framework_is_imported(path: str) -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = (
        "import asyncio, sys\n"
        "from ui.http.startup import DeferredApp\n"
        "app = DeferredApp(lambda: None)\n"
        "sent = []\n"
        "async def send(m): sent.append(m)\n"
        "async def receive(): return {'type': 'http.request'}\n"
        f"asyncio.run(app({{'type': 'http', 'path': {path!r}}}, receive, send))\n"
        "print(sent[0]['status'], [m for m in ('fastapi', 'starlette', 'gradio') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split(" ", 1) == [("200" if path == "/healthz" else "503"), "[]\n"]


def test_briefs_serve_answers_healthz_then_readyz_warming_then_ready(ingested_dir: Path) -> None:
    """A real ``briefs serve`` process on loopback: once it listens, /healthz answers 200 on every try, /readyz
    answers 503 ``warming`` until the app and the store are loaded and 200 ``ready`` from then on."""
    import socket
    import subprocess
    import sys

    from tests.conftest import ROOT

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "ui.cli", "serve", "--settings", "test", "--no-web", "--port", str(port),
           "--data-dir", str(ingested_dir)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while True:  # until it listens
            try:
                first = httpx.get(f"{url}/healthz", timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "briefs serve did not listen"
                time.sleep(0.02)
        assert first.status_code == 200 and first.json() == {"status": "ok"}
        states: list[tuple[int, str]] = []
        while not states or states[-1][0] != 200:
            r = httpx.get(f"{url}/readyz", timeout=5)
            states.append((r.status_code, r.json()["status"]))
            assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200  # answers throughout the warm-up
            assert proc.poll() is None and time.monotonic() < deadline, states[-3:]
            time.sleep(0.02)
        # building the app (FastAPI, the routers) and loading the store take far longer than one poll
        assert states[0] == (503, "warming") and set(states[:-1]) == {(503, "warming")}, states[:3]
        assert states[-1] == (200, "ready")
        r = httpx.post(f"{url}/v1/ask", json={"question": QUESTION}, timeout=60)
        assert r.status_code == 200 and r.json()["citations"]
        assert httpx.get(f"{url}/readyz", timeout=5).json()["status"] == "ready"
    finally:
        proc.terminate()
        proc.wait(15)
