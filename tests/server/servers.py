"""Start real server processes on loopback for the server tests and the server benchmark:
``chroma run`` on a temporary path and ``python -m llama_cpp.server`` serving SmolLM2.

>>> with chroma_server(Path("/tmp/chroma")) as url:   # doctest: +SKIP
...     test_settings(chroma_url=url)
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    """Poll ``url`` until it answers 200; fail early (with the log) if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"the server exited with {proc.returncode} before {url} answered:\n{log.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:g}s:\n{log.read_text()[-3000:]}")


@contextmanager
def running(
    cmd: list[str], ready_url: str, log: Path, timeout: float, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """Run ``cmd`` until the block ends; terminate it (then kill) in any case."""
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    try:
        wait_for(ready_url, proc, log, timeout)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def chroma_bin() -> str:
    found = BIN / "chroma" if (BIN / "chroma").exists() else shutil.which("chroma")
    if not found:
        raise FileNotFoundError(
            "The 'chroma' CLI (from the chromadb package) is not installed in this environment"
        )
    return str(found)


@contextmanager
def chroma_server(path: Path, timeout: float = 60) -> Iterator[str]:
    """A Chroma server persisting under ``path``; yields its URL."""
    path.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cmd = [chroma_bin(), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    with running(
        cmd,
        f"http://127.0.0.1:{port}/api/v2/heartbeat",
        path.parent / f"{path.name}.log",
        timeout,
        env={"ANONYMIZED_TELEMETRY": "False"},
    ):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def llama_server(model: Path, log: Path, n_ctx: int = 4096, timeout: float = 120) -> Iterator[str]:
    """``python -m llama_cpp.server`` serving ``model``; yields its OpenAI base URL (…/v1)."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--seed",
        "0",
    ]
    with running(cmd, f"http://127.0.0.1:{port}/v1/models", log, timeout):
        yield f"http://127.0.0.1:{port}/v1"
