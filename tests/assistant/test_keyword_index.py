"""The BM25 index: rankings equal to llama-index's BM25Retriever (which it replaced), persisted and memory-mapped,
filtered by brief, and loaded without bm25s, scipy or llama-index."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.components.keyword_index import KeywordIndex
from assistant.models import ChunkRow
from tests.conftest import ROOT

TEXTS = {
    "arctic": ["Russia expanded its icebreaker fleet in the Arctic.", "Shipping lanes open as the ice retreats."],
    "doe": ["The DOE funds the ENERGY STAR program with the EPA.", "Energy efficiency labels for appliances."],
    "water": ["Lake Chad is shrinking and water security suffers.", "Does irrigation drain the lake?"],
}
QUERIES = ["icebreaker fleet", "Does the DOE fund ENERGY STAR?", "water security of Lake Chad", "lake", "the of"]


@pytest.fixture(scope="module")
def chunks() -> list[ChunkRow]:
    return [
        ChunkRow(f"{b}:g:{i}", b, i, 0, len(t), None, t) for b, texts in TEXTS.items() for i, t in enumerate(texts)
    ]


def test_rankings_equal_llama_index_bm25_retriever(chunks: list[ChunkRow]) -> None:
    from llama_index.core.schema import BaseNode, TextNode
    from llama_index.retrievers.bm25 import BM25Retriever

    nodes: list[BaseNode] = [TextNode(id_=c.id, text=c.text, metadata={"brief_id": c.brief_id}) for c in chunks]
    reference = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=len(nodes))
    ours = KeywordIndex.build(chunks, 1)
    assert ours is not None
    for q in QUERIES:
        want = [(n.node.node_id, n.score) for n in reference.retrieve(q) if (n.score or 0) > 0]
        got = ours.search(q, len(chunks))
        assert [i for i, _ in sorted(got)] == [i for i, _ in sorted(want)], q
        assert [s for _, s in sorted(got)] == pytest.approx([s for _, s in sorted(want)], abs=1e-5), q


def test_a_persisted_index_loads_memory_mapped_and_answers_alike(chunks: list[ChunkRow], tmp_path: Path) -> None:
    built = KeywordIndex.build(chunks, 7)
    assert built is not None
    built.persist(tmp_path / "7")
    loaded = KeywordIndex.load(tmp_path / "7", 7)
    assert loaded is not None and isinstance(loaded._arrays["data"], np.memmap)
    for q in QUERIES:
        assert loaded.search(q, 3) == built.search(q, 3)
    assert loaded.ids == [c.id for c in chunks]
    assert KeywordIndex.load(tmp_path / "7", 8) is None  # another revision: rebuilt by the store


def test_an_index_of_the_older_format_is_rebuilt(chunks: list[ChunkRow], tmp_path: Path) -> None:
    folder = tmp_path / "3"
    folder.mkdir()
    (folder / "revision").write_text("3")
    (folder / "retriever.json").write_text("{}")  # what llama-index's BM25Retriever persisted
    assert KeywordIndex.load(folder, 3) is None


def test_search_within_allowed_briefs_and_stopwords(chunks: list[ChunkRow]) -> None:
    index = KeywordIndex.build(chunks, 1)
    assert index is not None
    assert {i.split(":")[0] for i, _ in index.search("lake energy icebreaker", 10, {"water"})} == {"water"}
    assert index.search("icebreaker", 10, {"no-such-brief"}) == []
    assert index.search("the of and", 10) == []  # stopwords only


def test_searching_a_persisted_index_imports_no_bm25s_scipy_or_llama_index(chunks: list[ChunkRow], tmp_path: Path) -> None:
    built = KeywordIndex.build(chunks, 1)
    assert built is not None
    built.persist(tmp_path / "1")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from assistant.components.keyword_index import KeywordIndex\n"
        f"index = KeywordIndex.load(Path({str(tmp_path / '1')!r}), 1)\n"
        "assert index.search('icebreaker fleet', 3)\n"
        "print([m for m in ('bm25s', 'scipy', 'llama_index') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def test_a_folder_of_an_older_format_is_replaced_not_rebuilt_forever(chunks: list[ChunkRow], tmp_path: Path) -> None:
    """An upgraded store has bm25/<revision>/ in llama-index's format: the first load rebuilds it, persists the new
    format in its place, and the next load reads it instead of rebuilding again."""
    from assistant.store import _persist

    folder = tmp_path / "bm25" / "5"
    folder.mkdir(parents=True)
    (folder / "revision").write_text("5")
    (folder / "retriever.json").write_text("{}")  # what BM25Retriever.persist left
    assert KeywordIndex.load(folder, 5) is None
    index = KeywordIndex.build(chunks, 5)
    assert index is not None
    _persist(index, folder)
    again = KeywordIndex.load(folder, 5)
    assert again is not None and again.search("icebreaker", 3) == index.search("icebreaker", 3)
    assert not (folder / "retriever.json").exists()
