"""The MCP server driven by the SDK's own client over both transports: ``briefs mcp`` started as a real subprocess
(stdio) and /mcp of a live uvicorn server of ``create_app`` (Streamable HTTP, behind API keys). Every behaviour
test runs against both; the stdio ones are marked ``server`` (the subprocess loads its own model). Real store,
real embedder, no mocks."""

from __future__ import annotations

import base64
import json
import shutil
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult

from assistant.settings import Settings
from tests.conftest import test_settings
from tests.ui.test_http import ABSTAINED, ANSWERED, NEW_BRIEF, NEW_QUESTION, live_server

ROOT = Path(__file__).resolve().parents[2]  # the checkout this file is in: the subprocess runs its code
KEY = "mcp-key-1"
READ_TOOLS = {"ask", "search", "list_briefs", "get_brief"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "raw-httpx", "version": "0"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@dataclass
class Served:
    """A connected SDK client and the transport it speaks."""

    transport: str
    client: Client

    async def call(self, tool: str, **arguments: Any) -> CallToolResult:
        return await self.client.call_tool(tool, arguments)

    async def ok(self, tool: str, **arguments: Any) -> dict[str, Any]:
        result = await self.call(tool, **arguments)
        assert not result.is_error, result.content
        assert result.structured_content is not None
        return result.structured_content

    async def error(self, tool: str, **arguments: Any) -> str:
        result = await self.call(tool, **arguments)
        assert result.is_error, result.structured_content
        return " ".join(getattr(c, "text", "") for c in result.content)


def bearer(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# -- servers and clients -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


def writable_copy(ingested_dir: Path, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A copy of the session's ingested tiny corpus that one server may write to."""
    target = tmp_path_factory.mktemp(name) / "data"
    shutil.copytree(ingested_dir, target)
    return target


@pytest.fixture(scope="module")
def http_settings(ingested_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return test_settings(data_dir=writable_copy(ingested_dir, tmp_path_factory, "mcp-http"), api_keys=KEY)


@pytest.fixture(scope="module")
def http_url(http_settings: Settings, embedder: Any) -> Iterator[str]:
    """The API app (keys configured) under uvicorn, lifespan on; yields the /mcp URL."""
    from assistant.service import BriefsService
    from ui.http.app import create_app

    service = BriefsService(http_settings, embedder=embedder)
    with live_server(create_app(http_settings, service=service, with_web=False), lifespan="on") as url:
        yield f"{url}/mcp"


@pytest.fixture(scope="module")
def http_url_no_keys(ingested_dir: Path, embedder: Any) -> Iterator[str]:
    """The API app with no API key configured, over the (read-only here) session corpus."""
    from assistant.service import BriefsService
    from ui.http.app import create_app

    settings = test_settings(data_dir=ingested_dir)
    service = BriefsService(settings, embedder=embedder)
    with live_server(create_app(settings, service=service, with_web=False), lifespan="on") as url:
        yield f"{url}/mcp"


def stdio_server(data_dir: Path, *extra: str) -> StdioServerParameters:
    """``briefs mcp`` of this checkout as a subprocess (the test profile reads no BRIEFS_* variables)."""
    args = ["-m", "ui.cli", "mcp", "--settings", "test", "--data-dir", str(data_dir), *extra]
    return StdioServerParameters(command=sys.executable, args=args, cwd=ROOT, env={"PYTHONPATH": str(ROOT)})


@pytest.fixture(scope="module", params=[pytest.param("stdio", marks=pytest.mark.server), "http"])
async def served(
    request: pytest.FixtureRequest, ingested_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Served]:
    """One client per transport for the whole module; stdio is started with --allow-write on its own copy."""
    if request.param == "stdio":
        data_dir = writable_copy(ingested_dir, tmp_path_factory, "mcp-stdio")
        async with Client(stdio_server(data_dir, "--allow-write"), read_timeout_seconds=120) as client:
            yield Served("stdio", client)
        return
    url = request.getfixturevalue("http_url")
    async with httpx2.AsyncClient(headers=bearer(), timeout=120) as http:
        async with Client(streamable_http_client(url, http_client=http)) as client:
            yield Served("http", client)


# -- tools and their schemas -------------------------------------------------------------------------
@pytest.mark.anyio
async def test_lists_the_five_tools_with_input_schemas_and_descriptions(served: Served) -> None:
    tools = {t.name: t for t in (await served.client.list_tools()).tools}
    assert set(tools) == READ_TOOLS | {"ingest"}  # ingest: stdio --allow-write / HTTP with keys configured
    for tool in tools.values():
        assert tool.input_schema["type"] == "object" and tool.output_schema, tool.name
        assert tool.description and len(tool.description) > 150, tool.name
    assert tools["ask"].input_schema["required"] == ["question"]
    assert set(tools["search"].input_schema["properties"]) == {"query", "filters", "top_k"}
    top_k = tools["search"].input_schema["properties"]["top_k"]["anyOf"][0]
    assert (top_k["minimum"], top_k["maximum"]) == (1, 100)
    assert set(tools["get_brief"].input_schema["properties"]) == {"id", "start", "end"}
    path_arg = "path" in tools["ingest"].input_schema["properties"]
    assert path_arg is (served.transport == "stdio")  # server paths only for the local user
    assert tools["ask"].annotations and tools["ask"].annotations.read_only_hint is True


@pytest.mark.anyio
async def test_ask_cites_quotes_that_equal_the_brief_text_at_start_end(served: Served) -> None:
    answer = await served.ok("ask", question=ANSWERED)
    assert answer["abstained"] is False and "[1]" in answer["text"]
    assert answer["citations"] and {c["brief_id"] for c in answer["citations"]} == {
        "blinkens-visit-to-beijing"
    }
    for c in answer["citations"]:
        assert f"[{c['n']}]" in answer["text"]
        assert {"title", "authors", "date", "source", "quote", "start", "end"} <= set(c)
        brief = await served.ok("get_brief", id=c["brief_id"])
        assert brief["text"][c["start"] : c["end"]] == c["quote"]
        span = await served.ok("get_brief", id=c["brief_id"], start=c["start"], end=c["end"])
        assert span["text"] == c["quote"]
        resource = await served.client.read_resource(f"brief://{c['brief_id']}")
        assert getattr(resource.contents[0], "text", "")[c["start"] : c["end"]] == c["quote"]
    text = (await served.call("ask", question=ANSWERED)).content[0]
    assert "Sources:" in getattr(text, "text", "")  # the readable block a client shows as is


@pytest.mark.anyio
async def test_ask_abstains_when_the_briefs_do_not_cover_it(served: Served) -> None:
    answer = await served.ok("ask", question=ABSTAINED)
    assert answer["abstained"] is True and answer["citations"] == [] and "[1]" not in answer["text"]


@pytest.mark.anyio
async def test_ask_follows_up_with_history_and_filters(served: Served) -> None:
    history = [
        {"role": "user", "content": "Tell me about the Arctic shipping brief."},
        {"role": "assistant", "content": "It covers new shipping lanes in the Arctic [1]."},
    ]
    answer = await served.ok(
        "ask",
        question="Which icebreakers does it recommend?",
        history=history,
        filters={"author": "Lindqvist"},
    )
    assert {c["brief_id"] for c in answer["citations"]} <= {"arctic-shipping"}


@pytest.mark.anyio
async def test_search_ranks_passages_with_their_brief_metadata(served: Served) -> None:
    found = await served.ok("search", query="icebreaker fleet Arctic shipping lanes", top_k=3)
    hits = found["hits"]
    assert 1 <= len(hits) <= 3 and [h["rank"] for h in hits] == list(range(1, len(hits) + 1))
    assert hits[0]["brief_id"] == "arctic-shipping" and hits[0]["authors"] == [
        "Maria Lindqvist",
        "Tomas Berg",
    ]
    assert hits[0]["date"] == "2024-03-14" and hits[0]["source"].startswith("https://")
    text = (await served.ok("get_brief", id="arctic-shipping"))["text"]
    assert all(text[h["start"] : h["end"]] == h["text"] for h in hits if h["brief_id"] == "arctic-shipping")


@pytest.mark.anyio
async def test_list_briefs_filters_by_metadata_and_keeps_the_newest_version(served: Served) -> None:
    every = await served.ok("list_briefs")
    ids = {b["id"] for b in every["briefs"]}
    assert {"arctic-shipping", "xm30-v1", "xm30-v2", "blinkens-visit-to-beijing"} <= ids
    assert every["count"] == len(every["briefs"]) and all("/" not in b["path"] for b in every["briefs"])
    newest = await served.ok("list_briefs", filters={"author": "feickert"})
    assert [b["id"] for b in newest["briefs"]] == ["xm30-v2"]
    both = await served.ok("list_briefs", filters={"author": "feickert", "all_versions": True})
    assert sorted(b["id"] for b in both["briefs"]) == ["xm30-v1", "xm30-v2"]
    dated = await served.ok("list_briefs", filters={"date_from": "2024-01-01", "date_to": "2024-06-30"})
    assert "arctic-shipping" in {b["id"] for b in dated["briefs"]} and "xm30-v2" not in dated["briefs"]


@pytest.mark.anyio
async def test_get_brief_returns_a_span_of_the_cleaned_text(served: Served) -> None:
    whole = await served.ok("get_brief", id="arctic-shipping")
    assert whole["start"] == 0 and whole["end"] == whole["chars"] == len(whole["text"])
    span = await served.ok("get_brief", id="arctic-shipping", start=10, end=60)
    assert span["text"] == whole["text"][10:60] and (span["start"], span["end"]) == (10, 60)
    assert span["title"] == whole["title"] and span["chars"] == whole["chars"]
    tail = await served.ok("get_brief", id="arctic-shipping", start=whole["chars"] - 5)
    assert tail["text"] == whole["text"][-5:]


# -- errors: named argument, value and what is valid ---------------------------------------------------
@pytest.mark.anyio
async def test_an_unknown_brief_id_is_an_error_naming_it(served: Served) -> None:
    message = await served.error("get_brief", id="no-such-brief")
    assert "'no-such-brief'" in message and "arctic-shipping" in message  # names the known ids
    with pytest.raises(MCPError, match="no-such-brief"):
        await served.client.read_resource("brief://no-such-brief")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("tool", "arguments", "words"),
    [
        ("search", {"query": "chips", "top_k": 500}, ["top_k", "500", "100"]),
        ("search", {"query": "chips", "top_k": 0}, ["top_k", "0", "1"]),
        ("search", {"query": "chips", "filters": {"authr": "Clark"}}, ["authr", "valid filters", "author"]),
        (
            "ask",
            {"question": ANSWERED, "filters": {"date_from": "last week"}},
            ["date_from", "YYYY-MM-DD", "'last week'"],
        ),
        ("ask", {"question": ""}, ["question", "at least 1 character"]),
        ("ask", {"query": ANSWERED}, ["'query'", "question"]),
        (
            "list_briefs",
            {"filters": {"date_from": "2025-01-01", "date_to": "2024-01-01"}},
            ["date_from", "after date_to"],
        ),
        ("get_brief", {"id": "arctic-shipping", "start": 5000}, ["start", "5000", "0 to"]),
        ("get_brief", {"id": "arctic-shipping", "start": 50, "end": 10}, ["end", "before start"]),
    ],
    ids=[
        "top_k-high",
        "top_k-zero",
        "filter-key",
        "date",
        "empty",
        "unknown-arg",
        "date-range",
        "start",
        "end",
    ],
)
async def test_bad_input_is_an_error_naming_argument_value_and_what_is_valid(
    served: Served, tool: str, arguments: dict[str, Any], words: list[str]
) -> None:
    message = await served.error(tool, **arguments)
    assert all(w in message for w in words), message


@pytest.mark.anyio
async def test_a_cancelled_call_leaves_the_server_healthy(served: Served) -> None:
    t0 = anyio.current_time()
    expected = await served.ok("ask", question=ANSWERED)
    took = anyio.current_time() - t0
    with anyio.move_on_after(took / 5) as scope:  # the request is on the wire, its answer not back yet
        await served.call("ask", question=ANSWERED)
    assert scope.cancelled_caught
    assert await served.ok("ask", question=ANSWERED) == expected
    assert (await served.ok("list_briefs"))["count"] >= 6


# -- writing ------------------------------------------------------------------------------------------
@pytest.mark.anyio
async def test_an_ingested_brief_is_listed_and_cited(served: Served) -> None:
    before = await served.ok("ask", question=NEW_QUESTION)
    assert all("heat-pumps" not in c["brief_id"] for c in before["citations"])
    name = f"lisbon-heat-pumps-{served.transport}.md"
    encoded = base64.b64encode(NEW_BRIEF.encode()).decode()
    result = await served.ok("ingest", filename=name, content=encoded, encoding="base64")
    assert [f["status"] for f in result["files"]] == ["added"], result
    brief_id = result["files"][0]["brief_id"]
    again = await served.ok("ingest", filename=name, content=NEW_BRIEF)
    assert [f["status"] for f in again["files"]] == ["unchanged"]

    answer = await served.ok("ask", question=NEW_QUESTION)
    assert not answer["abstained"] and "twelve thousand" in answer["text"].lower()
    assert {c["brief_id"] for c in answer["citations"]} == {brief_id}
    text = (await served.ok("get_brief", id=brief_id))["text"]
    assert all(text[c["start"] : c["end"]] == c["quote"] for c in answer["citations"])
    listed = await served.ok("list_briefs", filters={"author": "Ferreira"})
    assert [b["id"] for b in listed["briefs"]] == [brief_id] and listed["briefs"][0]["date"] == "2024-05-02"


@pytest.mark.anyio
async def test_bad_uploads_are_refused_with_the_reason(served: Served) -> None:
    assert "unsupported type '.exe'" in await served.error("ingest", filename="x.exe", content="MZ")
    assert "plain file name" in await served.error("ingest", filename="../escape.md", content=NEW_BRIEF)
    assert "base64" in await served.error("ingest", filename="x.md", content="not base64!", encoding="base64")
    assert "content" in await served.error("ingest", filename="x.md")


@pytest.mark.anyio
async def test_ingest_by_server_path_is_for_the_local_user_only(served: Served, tmp_path: Path) -> None:
    brief = tmp_path / "path-brief.md"
    brief.write_text(NEW_BRIEF.replace("Lisbon", "Porto"), encoding="utf-8")
    if served.transport == "http":
        assert "unknown argument 'path'" in await served.error("ingest", path=str(brief))
        return
    result = await served.ok("ingest", path=str(brief))
    assert [(f["status"], Path(f["file"]).name) for f in result["files"]] == [("ingested", "path-brief.md")]
    assert "no file or folder" in await served.error("ingest", path=str(tmp_path / "missing"))
    answer = await served.ok("ask", question="How many heat pumps did Porto install in council flats?")
    assert result["files"][0]["brief_id"] in {c["brief_id"] for c in answer["citations"]}


# -- HTTP: the API's keys guard /mcp --------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers", [{}, bearer("wrong-key"), {"Authorization": KEY}], ids=["none", "wrong", "not-bearer"]
)
@pytest.mark.anyio
async def test_http_mcp_without_a_valid_key_is_refused_with_401(
    http_url: str, headers: dict[str, str]
) -> None:
    async with httpx.AsyncClient() as raw:
        r = await raw.post(http_url, json=INITIALIZE, headers={**MCP_HEADERS, **headers})
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"]["type"] == "authentication_error" and "API key" in r.json()["error"]["message"]
    with pytest.raises(ExceptionGroup) as refused:  # the SDK client cannot even connect
        async with httpx2.AsyncClient(headers=headers) as http:
            async with Client(streamable_http_client(http_url, http_client=http)):
                pass
    assert refused.group_contains(MCPError, depth=None)


@pytest.mark.anyio
async def test_http_mcp_with_a_key_works_for_a_handshake_era_client(http_url: str) -> None:
    async with httpx2.AsyncClient(headers=bearer(), timeout=60) as http:
        async with Client(streamable_http_client(http_url, http_client=http), mode="legacy") as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            answer = await client.call_tool("ask", {"question": ANSWERED})
    assert (
        tools == READ_TOOLS | {"ingest"}
        and answer.structured_content
        and answer.structured_content["citations"]
    )


@pytest.mark.anyio
async def test_http_mcp_without_keys_configured_serves_reads_and_refuses_ingest(
    http_url_no_keys: str,
) -> None:
    async with Client(http_url_no_keys) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        refused = await client.call_tool("ingest", {"filename": "x.md", "content": NEW_BRIEF})
        answer = await client.call_tool("ask", {"question": ANSWERED})
    assert tools == READ_TOOLS and answer.structured_content and answer.structured_content["citations"]
    assert refused.is_error and "BRIEFS_API_KEYS" in getattr(refused.content[0], "text", "")


# -- in process: the read-only stdio policy ----------------------------------------------------------
@pytest.mark.anyio
async def test_a_read_only_server_hides_ingest_and_says_how_to_enable_it(assistant: Any) -> None:
    from ui.mcp import build_server

    async with Client(build_server(assistant)) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        refused = await client.call_tool("ingest", {"path": "/tmp"})
    assert tools == READ_TOOLS
    assert refused.is_error and "--allow-write" in getattr(refused.content[0], "text", "")


@pytest.mark.anyio
async def test_tool_results_carry_structured_content_and_a_text_block(assistant: Any) -> None:
    from ui.mcp import build_server

    async with Client(build_server(assistant)) as client:
        result = await client.call_tool("search", {"query": "export controls", "top_k": 2})
    assert not result.is_error and len(result.structured_content["hits"]) == 2  # type: ignore[index]
    assert json.loads(getattr(result.content[0], "text", ""))["hits"][0]["brief_id"] == "semiconductors"
