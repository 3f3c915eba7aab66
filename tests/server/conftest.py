"""Fixtures for tests against live servers: a Chroma server and a llama.cpp OpenAI-compatible server,
each started once per session on a free loopback port and stopped at the end."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.settings import Settings
from tests.conftest import test_settings
from tests.server.servers import chroma_server, llama_server


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with chroma_server(tmp_path_factory.mktemp("chroma-server") / "db") as url:
        yield url


@pytest.fixture
def server_settings(tmp_path: Path, chroma_url: str) -> Settings:
    """Server mode with a collection of its own (the server is shared by the whole session)."""
    return test_settings(
        data_dir=tmp_path / "data", chroma_url=chroma_url, collection=f"t{uuid.uuid4().hex[:12]}"
    )


@pytest.fixture(scope="session")
def llm_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed: make install-local")
    from assistant.components.llms import smollm2_path

    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with llama_server(smollm2_path(), log, n_ctx=4096) as url:
        yield url
