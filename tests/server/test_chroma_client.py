"""How the store reaches a Chroma server: a clear error when it is down, the bearer token taken from the
env var named by ``chroma_token_env``, and a clear error when that variable is empty. No server needed."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.components.chroma import make_chroma_client
from assistant.errors import ConfigError, StoreError
from assistant.store import BriefStore
from tests.conftest import test_settings
from tests.server.servers import free_port


@pytest.fixture
def recording_server() -> Iterator[tuple[str, list[bytes]]]:
    """Answers every HTTP request with 500 and records what it received."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    seen: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    seen.append(conn.recv(65536))
                    conn.sendall(
                        b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}"
                    )
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}", seen
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def test_a_chroma_server_that_is_down_gives_a_clear_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError, match=f"Cannot reach the Chroma server at {url}"):
        BriefStore(test_settings(data_dir=tmp_path, chroma_url=url))


def test_the_token_comes_from_the_named_env_var(
    recording_server: tuple[str, list[bytes]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = recording_server
    monkeypatch.setenv("TEAM_CHROMA_TOKEN", "s3cret")
    with pytest.raises(StoreError):
        BriefStore(test_settings(data_dir=tmp_path, chroma_url=url, chroma_token_env="TEAM_CHROMA_TOKEN"))
    assert seen and all(b"authorization: bearer s3cret" in request.lower() for request in seen)


def test_an_empty_token_env_var_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEAM_CHROMA_TOKEN", raising=False)
    with pytest.raises(
        ConfigError,
        match="BRIEFS_CHROMA_TOKEN_ENV names 'TEAM_CHROMA_TOKEN', but that environment variable is empty",
    ):
        make_chroma_client(
            test_settings(
                data_dir=tmp_path,
                chroma_url="https://chroma.example.org",
                chroma_token_env="TEAM_CHROMA_TOKEN",
            )
        )


def test_a_chroma_url_without_scheme_is_rejected() -> None:
    with pytest.raises(ValueError, match="chroma_url must start with http:// or https://, got 'chroma:8000'"):
        test_settings(chroma_url="chroma:8000")
