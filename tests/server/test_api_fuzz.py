"""schemathesis against the live server's own /openapi.json: generated requests to every operation, bounded in count
and time, with a read-only key (so generated DELETEs cannot empty the fixture store). Fails on any 5xx, on a status
code the spec does not list, and on a response body that does not match its schema."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS, TINY, ingest_into

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

WRITE, READ = "fuzz-write-key", "fuzz-read-key"


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[str]:
    from assistant.service import BriefsService
    from tests.ui.test_http import live_server
    from ui.http.app import create_app

    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(TINY, root / "briefs")
    shutil.copy(CORPUS / "blinkens-visit-to-beijing.txt", root / "briefs")
    settings_ = ingest_into(root / "data", root / "briefs", embedder, api_keys=WRITE, api_read_keys=READ)
    service = BriefsService(settings_, embedder=embedder)
    with live_server(create_app(settings_, service=service, with_web=False)) as url:
        yield url
    assert {b.id for b in service.list_briefs()} >= {"arctic-shipping", "blinkens-visit-to-beijing"}  # nothing was deleted


def test_no_generated_request_breaks_the_server_or_its_schema(live_url: str, tmp_path: Path) -> None:
    """Every operation of the served OpenAPI schema, with requests generated from it by schemathesis's own runner
    (in its own process: Hypothesis refuses to generate floats in a process where a native library has set
    flush-to-zero): no 5xx, and every response matches the schema."""
    cli = Path(sys.executable).with_name("schemathesis")
    # reads need a key only with api_auth_all (the bearer scheme is declared, and optional here), so "a request
    # without the key was answered" is expected: tests/ui/test_http.py covers auth itself
    run = subprocess.run(
        [str(cli), "run", f"{live_url}/openapi.json", "--checks", "all", "--exclude-checks", "ignored_auth",
         "--max-examples", "12", "--generation-deterministic", "--phases", "examples,fuzzing", "--workers", "1",
         "--request-timeout", "60", "-H", f"Authorization: Bearer {READ}", "--no-color"],
        capture_output=True, text=True, timeout=800, cwd=tmp_path,  # its run folder (.schemathesis/) goes there
    )
    assert run.returncode == 0, run.stdout[run.stdout.find("FAILURES") :][:8000] + run.stderr[-2000:]
    assert "operations" in run.stdout.lower() or "api operations" in run.stdout.lower(), run.stdout[-2000:]


def test_the_fuzzed_store_is_intact(live_url: str) -> None:
    import httpx

    ids = {d["id"] for d in httpx.get(f"{live_url}/v1/documents", timeout=30).json()}
    assert {"arctic-shipping", "blinkens-visit-to-beijing", "xm30-v2"} <= ids
