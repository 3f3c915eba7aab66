"""The ONNX Runtime embedder against the sentence-transformers reference, the question path's imports, and the
store's record of which embedder made its vectors.

Stated tolerances: fp32 ONNX vectors equal the reference within 1e-4 per component (cosine > 0.9999); int8 ones
keep a cosine of at least 0.97 to the reference, 0.99 on average over non-empty texts (retrieval quality on the CRS dev split is
checked by the eval, see benchmarks/README.md).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.components.embedders import make_embedder
from assistant.errors import ConfigError
from assistant.service import BriefsService
from assistant.store import embed_header
from tests.conftest import CORPUS, ROOT, TINY, FakeEmbedder, test_settings

TEXTS = [
    "Russia has expanded its icebreaker fleet.",
    "The Army's XM30 replaces the Bradley — a ‘new’ vehicle for 2030s doctrine (see § 4.2).",
    "",
    "Lake Chad is shrinking; 30 million people depend on it.\n\nSecond paragraph with\ttabs.",
    "A long text that the 256-token window truncates. " * 60,
]


@pytest.fixture(scope="module")
def fp32() -> Any:
    return make_embedder(test_settings(embed_precision="fp32"))


def _spans(text: str) -> list[tuple[int, int]]:
    cuts = [i + 1 for i, ch in enumerate(text) if ch in ".;"] or [len(text)]
    starts = [0, *cuts[:-1]]
    return [(s, e) for s, e in zip(starts, cuts, strict=True) if text[s:e].strip()]


def test_onnx_fp32_vectors_equal_the_sentence_transformers_ones(fp32: Any, st_embedder: Any) -> None:
    np.testing.assert_allclose(fp32.embed(TEXTS), st_embedder.embed(TEXTS), atol=1e-4)


def test_onnx_fp32_sentence_vectors_equal_the_sentence_transformers_ones(fp32: Any, st_embedder: Any) -> None:
    spans = [_spans(t) for t in TEXTS]
    ours, our_sentences = fp32.embed_with_sentences(TEXTS, spans)
    ref, ref_sentences = st_embedder.embed_with_sentences(TEXTS, spans)
    np.testing.assert_allclose(ours, ref, atol=1e-4)
    for a, b in zip(our_sentences, ref_sentences, strict=True):
        assert a.spans == b.spans  # the same spans survive truncation
        np.testing.assert_allclose(a.vectors, b.vectors, atol=1e-4)


def test_onnx_int8_vectors_stay_close_to_the_reference(embedder: Any, st_embedder: Any) -> None:
    assert embedder.precision == "int8"
    cosines = np.sum(embedder.embed(TEXTS) * st_embedder.embed(TEXTS), axis=1)
    texts = np.array([bool(t) for t in TEXTS])
    assert cosines.min() >= 0.97 and cosines[texts].mean() >= 0.99, cosines  # the empty text is the outlier


def test_onnx_int8_passes_run_in_parallel_and_give_each_text_its_own_vector(embedder: Any, tmp_path: Path) -> None:
    from assistant.components.onnx_embedder import OnnxEmbedder

    shutil.copy(embedder.onnx_path, tmp_path / embedder.onnx_path.name)  # the exported model, not exported again
    embedder = OnnxEmbedder(embedder.path, tmp_path, "int8", threads=2)  # parallel even on a one-CPU runner
    assert embedder._workers == 2 and embedder.onnx_path.parent == tmp_path
    texts = [t for t in TEXTS if t]
    together = embedder.embed(texts)  # several passes at once, one thread each
    alone = np.stack([embedder.embed([t])[0] for t in texts])  # one pass at a time
    np.testing.assert_allclose(together, alone, atol=1e-6)
    vectors, sentences = embedder.embed_with_sentences(texts, [_spans(t) for t in texts])
    np.testing.assert_allclose(vectors, alone, atol=1e-6)
    for text, got in zip(texts, sentences, strict=True):  # each text's sentence vectors land on that text
        (_, (want,)) = embedder.embed_with_sentences([text], [_spans(text)])
        assert got.spans == want.spans
        np.testing.assert_allclose(got.vectors, want.vectors, atol=1e-6)


def test_onnx_tokenizer_counts_like_the_reference(embedder: Any, st_embedder: Any) -> None:
    for text in TEXTS:
        assert embedder.tokenize(text) == st_embedder.tokenize(text)
        assert embedder.count_tokens(text) == st_embedder.count_tokens(text)


def test_backends_and_precisions_have_distinct_fingerprints(embedder: Any, fp32: Any, st_embedder: Any) -> None:
    assert len({embedder.fingerprint, fp32.fingerprint, st_embedder.fingerprint}) == 3


def test_the_onnx_model_is_exported_once_and_cached(embedder: Any) -> None:
    again = make_embedder(test_settings(embed_batch_size=7))  # another configuration, the same cached file
    assert again is not embedder and again.onnx_path == embedder.onnx_path and embedder.onnx_path.is_file()


def test_a_question_imports_neither_torch_nor_llama_index(ingested_dir: Path, embedder: Any) -> None:
    """A cold process answering a question loads ONNX Runtime, not torch, transformers, sentence-transformers,
    llama-index or bm25s (the ONNX file is already cached by the session's embedder)."""
    code = (
        "import sys\n"
        "from assistant.service import BriefsService\n"
        "from tests.conftest import test_settings\n"
        f"s = BriefsService(test_settings(data_dir={str(ingested_dir)!r}))\n"
        "assert s.ask('What did the visit achieve?').citations\n"
        "heavy = ['torch', 'transformers', 'sentence_transformers', 'llama_index.core', 'bm25s', 'gradio']\n"
        "if 'nltk' not in sys.modules: heavy += ['sklearn', 'scipy']  # nltk (text.py) brings them in\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


# -- the store records which embedder made its vectors ------------------------------------------------
class RenamedEmbedder(FakeEmbedder):
    """Another deterministic embedder (its own word directions) under ``fingerprint``, as if another model,
    backend or precision."""

    def __init__(self, fingerprint: str) -> None:
        super().__init__()
        self.fingerprint = fingerprint

    def _word(self, word: str) -> np.ndarray:
        return super()._word(f"{self.fingerprint}:{word}")


def test_a_store_refuses_questions_embedded_by_another_embedder(tmp_path: Path) -> None:
    settings = test_settings(data_dir=tmp_path / "data")
    assert not BriefsService(settings, embedder=FakeEmbedder()).ingest([TINY]).failed
    assert BriefsService(settings, embedder=FakeEmbedder()).ask("Who builds the XM30?").citations
    with pytest.raises(ConfigError) as e:
        BriefsService(settings, embedder=RenamedEmbedder("onnx/other/int8/0")).ask("Who builds the XM30?")
    assert "'fake-embedder'" in str(e.value) and "'onnx/other/int8/0'" in str(e.value)
    assert "briefs ingest" in str(e.value)


def test_ingest_with_another_embedder_re_embeds_every_brief(tmp_path: Path) -> None:
    settings = test_settings(data_dir=tmp_path / "data")
    assert not BriefsService(settings, embedder=FakeEmbedder()).ingest([TINY, CORPUS]).failed
    new_embedder = RenamedEmbedder("fake/v2")
    report = BriefsService(settings, embedder=new_embedder).ingest([CORPUS])  # only one folder's files
    assert report.updated == 1 and not report.failed
    service = BriefsService(settings, embedder=new_embedder)
    assert service.store.recorded_embedder() == "fake/v2"
    chunks = service.store.registry.all_chunks()
    titles = {b.id: b.title for b in service.list_briefs()}
    got = service.store.vectors.collection.get(ids=[c.id for c in chunks], include=["embeddings"])
    stored = dict(zip(got["ids"], got["embeddings"], strict=True))
    want = new_embedder.embed([embed_header(titles[c.brief_id], c.section) + c.text for c in chunks])
    np.testing.assert_allclose(np.array([stored[c.id] for c in chunks]), want, atol=1e-5)  # every brief's
    assert service.ask("Who builds the XM30?").citations


def test_a_store_from_before_the_record_answers_the_reference_backend_only(tmp_path: Path) -> None:
    settings = test_settings(data_dir=tmp_path / "data")
    service = BriefsService(settings, embedder=FakeEmbedder())
    assert not service.ingest([TINY]).failed
    service.store.vectors.collection.modify(metadata={"note": "before the record"})  # what older stores hold
    assert service.store.recorded_embedder() is None
    BriefsService(settings, embedder=RenamedEmbedder("sentence-transformers/model/abc")).store.check_embedder(
        RenamedEmbedder("sentence-transformers/model/abc")
    )
    with pytest.raises(ConfigError, match="recorded before embedder fingerprints were"):
        BriefsService(settings, embedder=FakeEmbedder()).store.check_embedder(RenamedEmbedder("onnx/model/int8/abc"))


@pytest.mark.parametrize("which", ["st_embedder", "embedder"])
def test_embedding_while_another_thread_counts_tokens_gives_the_same_vectors(which: str, request: Any) -> None:
    """Ingest counts tokens (chunking) in one thread while another embeds: the tokenizer state is not shared."""
    import threading

    emb = request.getfixturevalue(which)
    texts = [t for t in TEXTS if t] * 4
    expected = emb.embed(texts)
    stop, errors = threading.Event(), []

    def count() -> None:
        try:
            while not stop.is_set():
                emb.count_tokens(TEXTS[-1])
        except Exception as e:  # noqa: BLE001  # reported by the test
            errors.append(e)

    counter = threading.Thread(target=count)
    counter.start()
    try:
        for _ in range(5):
            np.testing.assert_allclose(emb.embed(texts), expected, atol=1e-5)
            vectors, _sentences = emb.embed_with_sentences(texts, [_spans(t) for t in texts])
            np.testing.assert_allclose(vectors, expected, atol=1e-5)
    finally:
        stop.set()
        counter.join()
    assert not errors, errors
