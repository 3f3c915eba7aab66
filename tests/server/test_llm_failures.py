"""The openai answerer when the LLM server misbehaves: a server that accepts but never answers, a server
that is down, and the extractive fallback. These need no model, only sockets on loopback."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from assistant.answering.abstain import ABSTAIN_TEXT
from assistant.components.llms import OpenAIGenerator
from assistant.errors import ConfigError, LLMError
from assistant.service import BriefsService
from assistant.settings import LLMSettings, Settings
from tests.server.servers import free_port

MESSAGES = [{"role": "user", "content": "Hello"}]
QUESTION = "How much has Lake Chad shrunk since the 1960s?"


@pytest.fixture
def hanging_url() -> Iterator[str]:
    """A listener that accepts connections and reads requests but never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        server.close()


@pytest.fixture
def down_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there


@pytest.mark.parametrize("call", ["generate", "stream"])
def test_a_server_that_never_answers_fails_within_the_bound(hanging_url: str, call: str) -> None:
    gen = OpenAIGenerator(LLMSettings(base_url=hanging_url, timeout_s=1.0, max_retries=1))
    t0 = time.monotonic()
    with pytest.raises(LLMError, match=rf"{hanging_url} did not answer within 1s \(2 attempts"):
        if call == "generate":
            gen.generate(MESSAGES)
        else:
            list(gen.stream(MESSAGES))
    elapsed = time.monotonic() - t0
    assert 2.0 <= elapsed < 2.0 + 3.0  # timeout * (retries + 1), plus the client's short backoff


def test_a_server_that_is_down_gives_a_clear_error(down_url: str) -> None:
    gen = OpenAIGenerator(LLMSettings(base_url=down_url, timeout_s=2.0, max_retries=0))
    with pytest.raises(
        LLMError, match=rf"Cannot reach the LLM server at {down_url} after 1 attempt: is it running\?"
    ):
        gen.generate(MESSAGES)


def test_the_assistant_raises_when_the_llm_is_down_and_no_fallback(
    assistant: BriefsService, down_url: str
) -> None:
    settings = assistant.settings.model_copy(
        update={"answerer": "openai", "llm": LLMSettings(base_url=down_url, max_retries=0)}
    )
    llm_assistant = BriefsService(settings, store=assistant.store, embedder=assistant.embedder)
    with pytest.raises(LLMError, match=down_url):
        llm_assistant.ask(QUESTION)


def test_the_assistant_falls_back_to_extractive_only_when_configured(
    assistant: BriefsService, down_url: str
) -> None:
    llm = LLMSettings(base_url=down_url, max_retries=0, fallback_to_extractive=True)
    settings = assistant.settings.model_copy(update={"answerer": "openai", "llm": llm})
    fallback = BriefsService(settings, store=assistant.store, embedder=assistant.embedder).ask(QUESTION)
    extractive = assistant.ask(QUESTION)
    assert not fallback.text.startswith(ABSTAIN_TEXT)
    assert (fallback.text, fallback.citations, fallback.answerer) == (
        extractive.text,
        extractive.citations,
        "extractive",
    )


@pytest.mark.parametrize(
    ("llm", "env", "message"),
    [
        ({}, {}, "needs BRIEFS_LLM_BASE_URL"),
        (
            {"base_url": "127.0.0.1:8080/v1"},
            {},
            "must start with http:// or https://, got '127.0.0.1:8080/v1'",
        ),
        (
            {"base_url": "http://127.0.0.1:8080/v1", "api_key_env": "BRIEFS_TEST_KEY"},
            {"BRIEFS_TEST_KEY": ""},
            "BRIEFS_LLM_API_KEY_ENV names 'BRIEFS_TEST_KEY', but that environment variable is empty",
        ),
    ],
)
def test_llm_configuration_errors_name_the_setting(
    llm: dict, env: dict, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        OpenAIGenerator(LLMSettings(**llm))


def test_flat_llm_env_names_configure_the_openai_answerer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFS_LLM_BASE_URL", "http://llm:8000/v1")
    monkeypatch.setenv("BRIEFS_LLM_MODEL", "Qwen/Qwen2.5-7B-Instruct")
    monkeypatch.setenv("BRIEFS_LLM_API_KEY_ENV", "VLLM_API_KEY")
    llm = Settings().llm
    assert (llm.base_url, llm.model, llm.api_key_env) == (
        "http://llm:8000/v1",
        "Qwen/Qwen2.5-7B-Instruct",
        "VLLM_API_KEY",
    )
    assert Settings(llm={"model": "explicit"}).llm.model == "explicit"  # explicit arguments still win
    assert Settings(llm={"model": "explicit"}).llm.base_url == "http://llm:8000/v1"  # and merge with the env
    monkeypatch.setenv("BRIEFS_LLM__MODEL", "nested")
    assert Settings().llm.model == "nested"  # the __ spelling wins over the flat one


def test_flat_llm_names_are_read_from_the_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name in ("BRIEFS_LLM_BASE_URL", "BRIEFS_LLM_MODEL", "BRIEFS_LLM__MODEL", "BRIEFS_LLM__BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".env").write_text("BRIEFS_LLM_BASE_URL=http://from-dotenv:8080/v1\n")
    monkeypatch.chdir(tmp_path)
    assert Settings().llm.base_url == "http://from-dotenv:8080/v1"
