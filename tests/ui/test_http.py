"""The HTTP API through a live uvicorn server on loopback (the OpenAI client, uploads, auth, concurrency)
and through TestClient for the fine-grained validation cases. Real store, real embedder, no mocks."""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from assistant.errors import BriefsError, ConfigError, IngestError, LLMError, NotFoundError, StoreError
from assistant.settings import Settings
from tests.conftest import CORPUS, TINY, test_settings

KEY = "test-key-1"
ANSWERED = "What did the visit achieve?"
ABSTAINED = "What did Blinken say about Taiwan?"
NEW_BRIEF = """---
title: "Heat Pumps for Lisbon's Council Housing"
authors: ["Ana Ferreira"]
organisation: Iberian Energy Forum
date: 2024-05-02
---
# Heat Pumps for Lisbon's Council Housing

## Findings

Lisbon installed twelve thousand heat pumps in council flats between 2021 and 2023, which cut tenants' heating bills by a third.
The installations were financed by a municipal green bond worth 90 million euros.

## Recommendations

The brief recommends that Lisbon extend the heat pump subsidy to private landlords by 2026.
"""
NEW_QUESTION = "How many heat pumps did Lisbon install in council flats?"


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def api_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Settings:
    """A writable data dir with the tiny corpus ingested; uploads up to 0.05 MiB; one key configured."""
    from assistant.service import BriefsService

    root = tmp_path_factory.mktemp("api")
    folder = root / "briefs"
    shutil.copytree(TINY, folder)
    shutil.copy(CORPUS / "blinkens-visit-to-beijing.txt", folder)
    settings = test_settings(
        data_dir=root / "data",
        api_keys=f"{KEY}, other-key",
        cors_origins="http://allowed.example",
        ingest={"max_file_mb": 0.05},
    )
    report = BriefsService(settings, embedder=embedder).ingest([folder])
    assert not report.failed, report.failed
    return settings


@pytest.fixture(scope="module")
def services(api_settings: Settings, embedder: Any) -> Any:
    from assistant.service import BriefsService

    return BriefsService(api_settings, embedder=embedder)  # share the session's loaded model


@contextmanager
def live_server(app: Any, lifespan: Literal["on", "off"] = "off") -> Iterator[str]:
    """Run ``app`` under uvicorn in a thread on a free loopback port; stop it on exit. ``lifespan="on"`` runs the
    app's lifespan (the MCP session manager at /mcp needs it)."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan=lifespan))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


@pytest.fixture(scope="module")
def live(services: Any, api_settings: Settings) -> Iterator[str]:
    from ui.http.app import create_app

    with live_server(create_app(api_settings, service=services, with_web=False)) as url:
        yield url


@pytest.fixture(scope="module")
def live_no_keys(services: Any, api_settings: Settings) -> Iterator[str]:
    """A second server over the same services, with no API key configured."""
    from ui.http.app import create_app

    with live_server(
        create_app(api_settings.model_copy(update={"api_keys": ""}), service=services, with_web=False)
    ) as url:
        yield url


@pytest.fixture(scope="module")
def client(services: Any, api_settings: Settings) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from ui.http.app import create_app

    with TestClient(create_app(api_settings, service=services, with_web=False)) as c:
        yield c


def auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def brief_texts(base: str, citations: list[dict[str, Any]]) -> dict[str, str]:
    return {
        c["brief_id"]: httpx.get(f"{base}/v1/documents/{c['brief_id']}").json()["text"] for c in citations
    }


def assert_quotes_exact(base: str, citations: list[dict[str, Any]]) -> None:
    texts = brief_texts(base, citations)
    for c in citations:
        assert texts[c["brief_id"]][c["start"] : c["end"]] == c["quote"], c


def ask(base: str, question: str) -> dict[str, Any]:
    r = httpx.post(f"{base}/v1/ask", json={"question": question}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def stored_state(services: Any) -> tuple[list[str], list[str]]:
    return [b.id for b in services.list_briefs()], sorted(p.name for p in uploads_dir(services).iterdir())


def uploads_dir(service: Any) -> Path:
    folder = Path(service.settings.data_dir) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# -- the OpenAI door, live -------------------------------------------------------------------------
def test_openai_client_gets_cited_answer(live: str) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{live}/v1", api_key=KEY, max_retries=0)
    assert "briefs-assistant" in [m.id for m in client.models.list()]
    resp = client.chat.completions.create(
        model="briefs-assistant", messages=[{"role": "user", "content": ANSWERED}]
    )
    extra = resp.model_extra or {}
    text = resp.choices[0].message.content or ""
    assert "[1]" in text and extra["abstained"] is False
    assert extra["citations"] and all(
        c["brief_id"] == "blinkens-visit-to-beijing" for c in extra["citations"]
    )
    assert_quotes_exact(live, extra["citations"])
    assert text == ask(live, ANSWERED)["text"]


def test_openai_client_streams_the_same_cited_answer(live: str) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{live}/v1", api_key=KEY, max_retries=0)
    chunks = list(
        client.chat.completions.create(
            model="briefs-assistant",
            stream=True,
            messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": ANSWERED}],
        )
    )
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    final = chunks[-1].model_extra or {}
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert len(chunks) > 3 and streamed == ask(live, ANSWERED)["text"]
    assert final["abstained"] is False and final["citations"]
    assert_quotes_exact(live, final["citations"])


def test_openai_client_abstains_when_briefs_do_not_cover_it(live: str) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{live}/v1", api_key=KEY, max_retries=0)
    resp = client.chat.completions.create(model="anything", messages=[{"role": "user", "content": ABSTAINED}])
    assert (resp.model_extra or {})["abstained"] is True and not (resp.model_extra or {})["citations"]
    assert "[1]" not in (resp.choices[0].message.content or "")


# -- documents, live -----------------------------------------------------------------------------
def test_uploaded_brief_becomes_answerable_and_deleting_it_removes_it(live: str, services: Any) -> None:
    before = ask(live, NEW_QUESTION)
    assert before["abstained"] or all("heat" not in c["brief_id"] for c in before["citations"])
    r = httpx.post(
        f"{live}/v1/documents",
        headers=auth(),
        files=[("files", ("lisbon-heat-pumps.md", NEW_BRIEF.encode(), "text/markdown"))],
    )
    assert r.status_code == 201, r.text
    result = r.json()["results"][0]
    assert result["status"] == "added", result
    brief_id = result["brief_id"]
    assert (uploads_dir(services) / "lisbon-heat-pumps.md").is_file()

    answer = ask(live, NEW_QUESTION)
    assert not answer["abstained"] and "twelve thousand" in answer["text"].lower()
    assert {c["brief_id"] for c in answer["citations"]} == {brief_id}
    assert_quotes_exact(live, answer["citations"])
    assert brief_id in [d["id"] for d in httpx.get(f"{live}/v1/documents").json()]

    r = httpx.delete(f"{live}/v1/documents/{brief_id}", headers=auth())
    assert r.status_code == 200 and r.json() == {"id": brief_id, "deleted": True}
    after = ask(live, NEW_QUESTION)
    assert all(c["brief_id"] != brief_id for c in after["citations"])
    assert not (uploads_dir(services) / "lisbon-heat-pumps.md").exists()
    gone = httpx.delete(f"{live}/v1/documents/{brief_id}", headers=auth())
    assert gone.status_code == 404 and brief_id in gone.json()["error"]["message"]
    assert httpx.get(f"{live}/v1/documents/{brief_id}").json()["error"]["type"] == "not_found_error"


@pytest.mark.parametrize(
    "headers", [{}, auth("wrong-key"), {"Authorization": KEY}], ids=["none", "wrong", "not-bearer"]
)
def test_writes_without_a_valid_key_get_401_and_change_nothing(
    live: str, services: Any, headers: dict[str, str]
) -> None:
    before = stored_state(services)
    up = httpx.post(f"{live}/v1/documents", headers=headers, files=[("files", ("x.md", NEW_BRIEF.encode()))])
    down = httpx.delete(f"{live}/v1/documents/blinkens-visit-to-beijing", headers=headers)
    for r in (up, down):
        assert r.status_code == 401, r.text
        assert r.headers["www-authenticate"] == "Bearer"
        assert (
            r.json()["error"]["type"] == "authentication_error" and "API key" in r.json()["error"]["message"]
        )
    assert stored_state(services) == before


def test_writes_are_refused_with_403_when_no_key_is_configured(live_no_keys: str, services: Any) -> None:
    before = stored_state(services)
    up = httpx.post(
        f"{live_no_keys}/v1/documents", headers=auth(), files=[("files", ("x.md", NEW_BRIEF.encode()))]
    )
    down = httpx.delete(f"{live_no_keys}/v1/documents/blinkens-visit-to-beijing", headers=auth())
    for r in (up, down):
        assert r.status_code == 403, r.text
        assert "BRIEFS_API_KEYS" in r.json()["error"]["message"]
    assert stored_state(services) == before
    assert httpx.get(f"{live_no_keys}/v1/documents").status_code == 200  # reading stays open


@pytest.mark.parametrize(
    ("name", "content", "status", "words"),
    [
        ("../../escape.md", NEW_BRIEF.encode(), 400, ["plain file name", "'../../escape.md'"]),
        ("..\\escape.md", NEW_BRIEF.encode(), 400, ["plain file name"]),
        ("/etc/cron.d/escape.txt", NEW_BRIEF.encode(), 400, ["without folders"]),
        ("payload.exe", b"MZ" + b"\x00" * 100, 415, ["unsupported type '.exe'", ".pdf"]),
        ("big.txt", b"word " * 12_000, 413, ["0.05 MiB", "BRIEFS_INGEST__MAX_FILE_MB"]),
        ("empty.md", b"", 422, ["empty"]),
    ],
    ids=["traversal", "backslash", "absolute", "type", "oversize", "empty"],
)
def test_bad_uploads_are_rejected_with_clear_messages(
    live: str, services: Any, name: str, content: bytes, status: int, words: list[str]
) -> None:
    before = stored_state(services)
    r = httpx.post(f"{live}/v1/documents", headers=auth(), files=[("files", (name, content))])
    assert r.status_code == status, r.text
    message = r.json()["error"]["message"]
    assert all(w in message for w in words), message
    assert stored_state(services) == before
    assert not list(Path(services.settings.data_dir).parent.glob("escape*"))


def test_unparseable_reupload_keeps_the_brief_already_stored(live: str, services: Any) -> None:
    good = httpx.post(
        f"{live}/v1/documents", headers=auth(), files=[("files", ("keep-me.md", NEW_BRIEF.encode()))]
    )
    assert good.status_code == 201, good.text
    brief_id = good.json()["results"][0]["brief_id"]
    try:
        bad = httpx.post(
            f"{live}/v1/documents", headers=auth(), files=[("files", ("keep-me.md", b"\x00\x01binary" * 50))]
        )
        assert bad.status_code == 422, bad.text
        assert (
            "binary content" in bad.json()["error"]["message"]
            and bad.json()["results"][0]["status"] == "failed"
        )
        assert (uploads_dir(services) / "keep-me.md").read_text() == NEW_BRIEF
        assert not ask(live, NEW_QUESTION)["abstained"]
    finally:
        httpx.delete(f"{live}/v1/documents/{brief_id}", headers=auth())


@pytest.mark.slow
def test_a_hundred_concurrent_asks_all_succeed_consistently(live: str, artifacts: Path) -> None:
    """The bounded load test: 100 concurrent /v1/ask on loopback, 0 errors, the same answers as asked one by one."""
    n = 100
    questions = ([ANSWERED, ABSTAINED, "Which icebreakers does the Arctic brief recommend?"] * 34)[:n]
    expected = {
        q: ask(live, q)["text"] for q in set(questions)
    }  # sequential reference answers (also warms up)

    def one(client: httpx.Client, q: str) -> tuple[str, str, float, int]:
        t0 = time.perf_counter()
        r = client.post("/v1/ask", json={"question": q})
        return q, r.json().get("text", r.text), (time.perf_counter() - t0) * 1000, r.status_code

    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    with httpx.Client(base_url=live, timeout=180, limits=limits) as client, ThreadPoolExecutor(n) as pool:
        t0 = time.perf_counter()
        results = list(pool.map(lambda q: one(client, q), questions))
        wall = time.perf_counter() - t0
    assert all(status == 200 for *_, status in results), [r for r in results if r[3] != 200][:3]
    assert all(text == expected[q] for q, text, *_ in results)
    latencies = sorted(ms for _, _, ms, _ in results)
    figures = {
        "requests": n,
        "wall_s": round(wall, 2),
        "requests_per_s": round(n / wall, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(latencies[int(0.95 * len(latencies)) - 1], 1),
        "max_ms": round(latencies[-1], 1),
    }
    (artifacts / "http_concurrency.json").write_text(json.dumps(figures, indent=2))
    print(f"\n{n} concurrent /v1/ask: {figures}")


# -- `briefs serve`, a real process ----------------------------------------------------------------
@pytest.mark.server
def test_briefs_serve_prints_its_url_and_answers(api_settings: Settings) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [
        sys.executable,
        "-m",
        "ui.cli",
        "serve",
        "--no-web",
        "--port",
        str(port),
        "--data-dir",
        str(api_settings.data_dir),
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=Path(__file__).parents[2]
    )
    try:
        first = proc.stdout.readline() if proc.stdout else ""
        assert f"http://127.0.0.1:{port}" in first, first
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "briefs serve did not become ready"
            time.sleep(0.2)
        briefs = httpx.get(f"http://127.0.0.1:{port}/readyz").json()["briefs"]
        assert briefs >= 5
        assert ask(f"http://127.0.0.1:{port}", ANSWERED)["citations"]
        # once ready it says so, once: how many briefs are loaded and where the API docs and the MCP endpoint are
        banner = [proc.stdout.readline() for _ in range(3)] if proc.stdout else []
        assert banner[0].strip() == f"Ready: {briefs} briefs loaded.", banner
        assert f"http://127.0.0.1:{port}/docs" in banner[1] and f"http://127.0.0.1:{port}/mcp" in banner[2], banner
    finally:
        proc.terminate()
        proc.wait(15)


@pytest.mark.server
def test_briefs_serve_stops_with_the_reason_when_warming_up_fails(api_settings: Settings, tmp_path: Path) -> None:
    """A model that cannot be loaded stops the server with the reason, rather than leaving it up to fail every
    question."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    missing = tmp_path / "no-such-model"
    proc = subprocess.run(
        [sys.executable, "-m", "ui.cli", "serve", "--no-web", "--port", str(port), "--data-dir",
         str(api_settings.data_dir)],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[2],
        env={**os.environ, "BRIEFS_EMBED_MODEL": str(missing)},
    )
    assert proc.returncode != 0
    assert str(missing) in proc.stdout + proc.stderr and "Ready:" not in proc.stdout


# -- fine-grained cases through TestClient ---------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"question": ANSWERED, "top_k": 500}, "top_k"),
        ({"question": ANSWERED, "filters": {"date_from": "last week"}}, "filters.date_from"),
        ({"question": ""}, "question"),
        ({"query": "x"}, "question"),
    ],
    ids=["top_k", "date", "empty", "missing"],
)
def test_invalid_requests_get_422_naming_the_field(client: Any, body: dict[str, Any], field: str) -> None:
    r = client.post("/v1/ask", json=body)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"].startswith(field), error


def test_a_batch_with_one_bad_file_saves_nothing(client: Any, services: Any) -> None:
    before = stored_state(services)
    files = [("files", ("fine.md", NEW_BRIEF.encode())), ("files", ("notes.rtf", b"{\\rtf1 hello}"))]
    r = client.post("/v1/documents", headers=auth(), files=files)
    assert r.status_code == 415 and "'notes.rtf'" in r.json()["error"]["message"]
    twice = client.post(
        "/v1/documents",
        headers=auth(),
        files=[("files", ("a.md", b"x" * 50)), ("files", ("a.md", b"y" * 50))],
    )
    assert twice.status_code == 400 and "same name" in twice.json()["error"]["message"]
    none = client.post("/v1/documents", headers=auth(), data={"note": "no file here"})
    assert none.status_code == 422 and none.json()["error"]["message"].startswith("files")
    huge = client.post(
        "/v1/documents", headers={**auth(), "Content-Length": str(3 * 2**20)}, content=b"x" * (3 * 2**20)
    )
    assert huge.status_code == 413 and "BRIEFS_INGEST__MAX_FILE_MB" in huge.json()["error"]["message"]
    assert stored_state(services) == before


def test_chat_without_a_user_message_is_422(client: Any) -> None:
    r = client.post(
        "/v1/chat/completions", json={"model": "x", "messages": [{"role": "system", "content": "hi"}]}
    )
    assert r.status_code == 422 and "role 'user'" in r.json()["error"]["message"]


def test_chat_uses_earlier_messages_as_history(client: Any) -> None:
    messages = [
        {"role": "user", "content": "Tell me about Blinken's visit to Beijing."},
        {"role": "assistant", "content": "He met Chinese leaders [1]."},
        {"role": "user", "content": [{"type": "text", "text": "What did it achieve?"}]},
    ]
    body = client.post("/v1/chat/completions", json={"messages": messages}).json()
    assert body["citations"] and body["citations"][0]["brief_id"] == "blinkens-visit-to-beijing"


def test_retrieve_returns_ranked_passages_with_metadata(client: Any) -> None:
    for mode in ("hybrid", "dense", "bm25"):
        r = client.post("/v1/retrieve", json={"query": "icebreaker fleet", "top_k": 3, "mode": mode})
        assert r.status_code == 200, r.text
        passages = r.json()["passages"]
        assert [p["rank"] for p in passages] == list(range(1, len(passages) + 1)) and len(passages) <= 3
        assert (
            passages[0]["brief_id"] == "arctic-shipping"
            and passages[0]["organisation"] == "Nordic Policy Institute"
        )
    bad = client.post("/v1/retrieve", json={"query": "x", "mode": "fuzzy"})
    assert bad.status_code == 422 and bad.json()["error"]["message"].startswith("mode")


def test_ask_stream_sends_events_then_done(client: Any) -> None:
    with client.stream("POST", "/v1/ask/stream", json={"question": ANSWERED}) as r:
        frames = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]
    assert frames[-1] == "[DONE]"
    events = [json.loads(f) for f in frames[:-1]]
    assert events[-1]["type"] == "answer" and events[-1]["answer"]["citations"]
    assert all(e["type"] == "delta" for e in events[:-1])


def test_documents_hide_server_folders_and_unknown_ids_are_404(client: Any) -> None:
    docs = client.get("/v1/documents").json()
    assert docs and all("/" not in d["path"] for d in docs)
    r = client.get("/v1/documents/no-such-brief")
    assert r.status_code == 404 and r.json()["error"] == {
        "message": r.json()["error"]["message"],
        "type": "not_found_error",
        "code": "not_found_error",
    }
    assert "no-such-brief" in r.json()["error"]["message"]


def test_health_readiness_docs_and_cors(client: Any) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["briefs"] >= 5 and ready["vectors"] > 0
    schema = client.get("/openapi.json").json()
    assert schema["components"]["schemas"]["ChatBody"]["examples"] and client.get("/docs").status_code == 200
    pre = {
        "Origin": "http://allowed.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization",
    }
    assert (
        client.options("/v1/ask", headers=pre).headers["access-control-allow-origin"]
        == "http://allowed.example"
    )
    assert (
        "access-control-allow-origin"
        not in client.get("/healthz", headers={"Origin": "http://evil.example"}).headers
    )


def test_auth_all_protects_everything_but_healthz(services: Any, api_settings: Settings) -> None:
    from fastapi.testclient import TestClient

    from ui.http.app import create_app

    app = create_app(api_settings.model_copy(update={"api_auth_all": True}), service=services, with_web=False)
    with TestClient(app) as c:
        assert c.get("/healthz").status_code == 200
        for path in ("/readyz", "/v1/documents", "/v1/models"):
            assert c.get(path).status_code == 401
            assert c.get(path, headers=auth("other-key")).status_code == 200
        assert c.post("/v1/ask", json={"question": ANSWERED}).status_code == 401
    with pytest.raises(ConfigError, match="BRIEFS_API_KEYS"):
        create_app(
            api_settings.model_copy(update={"api_auth_all": True, "api_keys": " , "}),
            service=services,
            with_web=False,
        )


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFoundError("x"), 404),
        (IngestError("x"), 422),
        (LLMError("x"), 502),
        (ConfigError("x"), 503),
        (StoreError("x"), 503),
        (BriefsError("x"), 500),
    ],
)
def test_core_errors_map_to_http_status(error: BriefsError, status: int) -> None:
    from ui.http.routers.common import status_for

    assert status_for(error)[0] == status
