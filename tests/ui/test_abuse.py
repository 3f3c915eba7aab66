"""What an adversarial probe of the HTTP API and the web page found (issue 16), each pinned by a test: bounded work
per request, Gradio's upload endpoint behind the same keys as the API, small error bodies, an honest OpenAPI."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.service import BriefsService
from tests.conftest import test_settings

WRITE, READ = "write-key", "read-key"
BRIEF = b"# Ports\n\nThe port of Rotterdam handled 440 million tonnes of cargo in 2023, the brief says.\n"


@pytest.fixture
def client(assistant: BriefsService) -> Iterator[TestClient]:
    """The API over the session's ingested store (read-only use), keys configured."""
    from ui.http.app import create_app

    settings = assistant.settings.model_copy(update={"api_keys": WRITE, "api_read_keys": READ})
    with TestClient(create_app(settings, service=assistant, with_web=False)) as c:
        yield c


def _web(tmp_path: Path, embedder: Any, **settings: Any) -> TestClient:
    from ui.http.app import create_app

    service = BriefsService(test_settings(data_dir=tmp_path / "data", **settings), embedder=embedder)
    return TestClient(create_app(service.settings, service=service))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# -- 3. unbounded work from one request ---------------------------------------------------------------------
def test_a_huge_conversation_is_refused_quickly_with_413(client: TestClient) -> None:
    big = "Tell me everything about the Arctic icebreaker fleet and its costs. " * 18_000  # 1.2 MB
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "Hi"},
                                                               {"role": "assistant", "content": big},
                                                               {"role": "user", "content": "And then?"}]})
    assert r.status_code == 413 and "over the limit of 100,000" in r.json()["error"]["message"]
    too_many = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "q"}] * 201})
    assert too_many.status_code == 422 and too_many.json()["error"]["message"].startswith("messages")


def test_question_analysis_is_linear_in_the_text() -> None:
    import time

    from assistant.text import content_terms, entities

    base = "The Army said the XM30 costs $51 billion. Why? Because NATO and the U.S. Congress agreed on it. "
    entities(base)  # loads the stopword list once

    def cost(n: int) -> float:
        text = base * n
        t0 = time.perf_counter()
        entities(text), content_terms(text)
        return time.perf_counter() - t0

    small, large = min(cost(500) for _ in range(3)), min(cost(4000) for _ in range(3))
    assert large / small < 16, (small, large)  # 8x the text: linear gives ~8x, the old quadratic scan ~64x


# -- 9. error bodies, blank questions, tool messages, OpenAPI ---------------------------------------------------
def test_validation_errors_do_not_echo_the_whole_input(client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": "x" * 1_200_000})
    assert r.status_code == 422 and len(r.content) < 2000, len(r.content)
    assert "1,200,000 characters" in r.json()["error"]["message"]


def test_a_blank_question_is_refused_by_ask_as_by_chat(client: TestClient) -> None:
    for r in (client.post("/v1/ask", json={"question": "   "}),
              client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "   "}]})):
        assert r.status_code == 422, r.text


def test_tool_messages_are_accepted_and_ignored(client: TestClient) -> None:
    messages = [{"role": "user", "content": "What did the visit achieve?"},
                {"role": "assistant", "content": None, "tool_calls": [{"id": "t1", "type": "function",
                                                                       "function": {"name": "search", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "t1", "content": "some tool output"}]
    r = client.post("/v1/chat/completions", json={"messages": messages})
    assert r.status_code == 200, r.text
    assert r.json()["citations"]


def test_openapi_documents_the_error_responses(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()["paths"]
    assert {"401", "422"} <= set(spec["/v1/ask"]["post"]["responses"])
    assert {"413", "422"} <= set(spec["/v1/chat/completions"]["post"]["responses"])
    assert {"400", "411", "413", "415", "422"} <= set(spec["/v1/documents"]["post"]["responses"])
    assert "404" in spec["/v1/documents/{brief_id}"]["get"]["responses"]
    upload = spec["/v1/documents"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert upload  # declared by FastAPI's UploadFile, not by hand


# -- read-only keys -----------------------------------------------------------------------------------------------
def test_a_read_only_key_reads_but_never_writes(tmp_path: Path, embedder: Any) -> None:
    with _web(tmp_path, embedder, api_keys=WRITE, api_read_keys=READ, api_auth_all=True) as c:
        assert c.get("/v1/documents").status_code == 401
        assert c.get("/v1/documents", headers=bearer(READ)).status_code == 200
        up = c.post("/v1/documents", headers=bearer(READ), files=[("files", ("ports.md", BRIEF))])
        assert up.status_code == 403 and up.json()["error"]["code"] == "read_only_key"
        assert c.post("/v1/documents", headers=bearer(WRITE), files=[("files", ("ports.md", BRIEF))]).status_code == 201


# -- 9. a duplicate upload creates nothing, so it is not 201 ------------------------------------------------------
def test_uploading_the_same_file_again_is_200_not_201(tmp_path: Path, embedder: Any) -> None:
    with _web(tmp_path, embedder, api_keys=WRITE) as c:
        first = c.post("/v1/documents", headers=bearer(WRITE), files=[("files", ("ports.md", BRIEF))])
        again = c.post("/v1/documents", headers=bearer(WRITE), files=[("files", ("ports.md", BRIEF))])
        copy = c.post("/v1/documents", headers=bearer(WRITE), files=[("files", ("copy.md", BRIEF))])
    assert first.status_code == 201 and first.json()["results"][0]["status"] == "added"
    assert again.status_code == 200 and again.json()["results"][0]["status"] == "unchanged"
    assert copy.status_code == 200 and copy.json()["results"][0]["status"] == "skipped"


# -- 5. Gradio's own upload endpoint ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("settings", "key", "status"), [
    ({"api_keys": WRITE}, None, 401),
    ({"api_keys": WRITE, "api_read_keys": READ}, READ, 403),
    ({"api_keys": WRITE}, "wrong", 401),
    ({"host": "0.0.0.0"}, None, 403),
    ({"api_keys": WRITE}, WRITE, 200),
    ({}, None, 200),  # a loopback server without keys: local use, as the web Library allows
], ids=["no-key", "read-key", "wrong-key", "exposed-without-keys", "write-key", "local"])
def test_gradio_upload_endpoint_needs_what_writing_needs(tmp_path: Path, embedder: Any, settings: dict[str, Any],
                                                          key: str | None, status: int) -> None:
    with _web(tmp_path, embedder, **settings) as c:
        r = c.post("/gradio_api/upload", headers=bearer(key) if key else {}, files=[("files", ("x.exe", b"MZ" * 100))])
    assert r.status_code == status, r.text
    if status != 200:
        assert "/tmp" not in r.text and "gradio" not in r.text.lower()  # no server path revealed


def test_a_client_that_disconnects_mid_upload_is_not_an_unhandled_error(
        tmp_path: Path, embedder: Any, caplog: pytest.LogCaptureFixture) -> None:
    import socket
    import time
    from urllib.parse import urlparse

    from tests.ui.test_http import live_server

    caplog.set_level(logging.INFO)
    app = _web(tmp_path, embedder, api_keys=WRITE).app
    with live_server(app) as url:
        u = urlparse(url)
        body = b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.md\"\r\n\r\n# Half a brief"
        head = (f"POST /v1/documents HTTP/1.1\r\nHost: {u.netloc}\r\nAuthorization: Bearer {WRITE}\r\n"
                f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n").encode()
        with socket.create_connection((u.hostname, u.port)) as sock:
            sock.sendall(head + body)
            time.sleep(0.5)
        time.sleep(1.0)
    assert "unhandled error" not in caplog.text and "Traceback" not in caplog.text
