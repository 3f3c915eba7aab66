"""The isolated index is cached by content (reruns don't re-embed) and the LLM judge is skipped cleanly."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.models import Answer, Passage
from assistant.service import BriefsService
from eval.datasets import EvalDataset, EvalItem
from eval.index import READY, index_key, prepare_index
from eval.judge import make_judge
from tests.conftest import test_settings

TEXT = "# Water security\n\nThe basin treaty sets quotas for the three riparian states and a joint commission to resolve disputes.\n"


def _dataset(folder: Path) -> EvalDataset:
    return EvalDataset(
        "tiny",
        folder / "tiny.jsonl",
        "jsonl",
        [EvalItem(id="a", query="What does the treaty set?")],
        [folder / "src"],
    )


def test_index_is_built_once_and_rebuilt_when_sources_chunking_or_embedder_change(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "water.md").write_text(TEXT)
    ds, cache = _dataset(tmp_path), tmp_path / "cache"
    first = prepare_index(
        ds,
        test_settings(data_dir=tmp_path / "ignored"),
        cache,
        BriefsService(test_settings(), embedder=embedder),
    )
    stamp = (first.data_dir / READY).stat().st_mtime_ns
    again = prepare_index(ds, test_settings(), cache, BriefsService(test_settings(), embedder=embedder))
    assert (
        again.data_dir == first.data_dir and (again.data_dir / READY).stat().st_mtime_ns == stamp
    )  # cached: not re-ingested
    assert first.data_dir.parent == cache and first.chroma_url is None
    assert index_key(ds.sources, test_settings(chunk={"size": 64})) != index_key(ds.sources, test_settings())
    for other in ({"embedder": "sentence-transformers"}, {"embed_precision": "fp32"}):
        assert index_key(ds.sources, test_settings(**other)) != index_key(ds.sources, test_settings())
    (tmp_path / "src" / "water.md").write_text(TEXT + "\nA new paragraph.\n")
    assert (
        prepare_index(ds, test_settings(), cache, BriefsService(test_settings(), embedder=embedder)).data_dir
        != first.data_dir
    )


def test_judge_is_skipped_cleanly_without_an_llm_server() -> None:
    assert make_judge(test_settings(llm={"base_url": None}), enabled=False) == (None, "off (pass --judge)")
    judge, note = make_judge(test_settings(llm={"base_url": None}), enabled=True)
    assert judge is None and "set BRIEFS_LLM__BASE_URL" in note


class _StubLLM(BaseHTTPRequestHandler):
    """An OpenAI-compatible /chat/completions that answers like a judge would."""

    def do_POST(self) -> None:  # noqa: N802  # http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = json.dumps(body["messages"])
        text = "4.0\nMostly correct." if "reference answer" in prompt.lower() else "YES"
        reply = {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stub_llm() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StubLLM)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_judge_scores_through_an_openai_compatible_server(stub_llm: str) -> None:
    pytest.importorskip("llama_index.llms.openai_like", reason="the judge extra is not installed")
    judge, note = make_judge(
        test_settings(llm={"base_url": stub_llm, "model": "judge-model", "api_key_env": None}), enabled=True
    )
    assert judge is not None and note == f"openai-like:judge-model@{stub_llm}"
    item = EvalItem(id="a", query="What does the treaty set?", reference_answer="Quotas for three states.")
    passage = Passage(brief_id="w", title="Water", text=TEXT, start=0, end=len(TEXT), score=1.0)
    answer = Answer(
        question=item.query,
        text="The treaty sets quotas for the three riparian states. [1]",
        passages=[passage],
    )
    assert judge.judge(item, answer) == {"judge_faithfulness": 1.0, "judge_correctness": 0.8}
    assert judge.judge(item, answer.model_copy(update={"abstained": True})) == {
        "judge_faithfulness": None,
        "judge_correctness": None,
    }
