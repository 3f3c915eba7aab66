"""schemathesis against the live server's own /openapi.json: generated requests to every operation, bounded in count
and time, with a read-only key (so generated DELETEs cannot empty the fixture store). Fails on any 5xx, on a status
code the spec does not list, and on a response body that does not match its schema."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

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


@pytest.fixture(scope="module")
def api_schema(live_url: str) -> Any:
    return schemathesis.openapi.from_url(f"{live_url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_generated_request_breaks_the_server_or_its_schema(case: Any) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {READ}"}, timeout=60)


def test_the_fuzzed_store_is_intact(live_url: str) -> None:
    import httpx

    ids = {d["id"] for d in httpx.get(f"{live_url}/v1/documents", timeout=30).json()}
    assert {"arctic-shipping", "blinkens-visit-to-beijing", "xm30-v2"} <= ids
