"""One conformance suite per protocol; every backend (and every shared fake) inherits it.

The store/registry suite lives in tests/server/test_store_contract.py (it also runs against a live Chroma server).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from assistant.protocols import Embedder, Generator, SentenceEmbedder
from tests.conftest import FakeEmbedder, ScriptedGenerator, test_settings

TEXTS = [
    "Russia has expanded its icebreaker fleet.",
    "The Army's XM30 replaces the Bradley.",
    "",
    "Lake Chad is shrinking.",
]


class EmbedderContract:
    """What every Embedder must do; subclasses provide ``emb``."""

    @pytest.fixture
    def emb(self) -> Any:
        raise NotImplementedError

    def test_satisfies_the_protocol(self, emb: Any) -> None:
        assert isinstance(emb, Embedder)
        assert emb.dim > 0 and emb.max_tokens > 0 and emb.name

    def test_vectors_are_unit_length_float32_one_per_text(self, emb: Any) -> None:
        vecs = emb.embed(TEXTS)
        assert vecs.shape == (len(TEXTS), emb.dim) and vecs.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vecs[[0, 1, 3]], axis=1), 1.0, atol=1e-4)

    def test_deterministic_and_batch_independent(self, emb: Any) -> None:
        together = emb.embed(TEXTS)
        one_by_one = np.vstack([emb.embed([t]) for t in TEXTS])
        np.testing.assert_allclose(together, one_by_one, atol=1e-4)

    def test_empty_input_gives_an_empty_matrix(self, emb: Any) -> None:
        assert emb.embed([]).shape[0] == 0

    def test_similar_texts_are_closer_than_unrelated_ones(self, emb: Any) -> None:
        a, b, c = emb.embed(
            ["icebreaker fleet in the Arctic", "the Arctic icebreaker fleet grows", "school lunch budget"]
        )
        assert float(a @ b) > float(a @ c)

    def test_tokens_are_counted_by_the_tokenizer(self, emb: Any) -> None:
        text = "Chunks are sized with the embedder's own tokenizer."
        assert emb.count_tokens(text) == len(emb.tokenize(text)) > 0


class TestFakeEmbedder(EmbedderContract):
    @pytest.fixture
    def emb(self) -> Any:
        return FakeEmbedder()


class SentenceEmbedderContract(EmbedderContract):
    """What an embedder that pools sentence vectors from the same pass (late chunking) must also do."""

    def test_sentence_vectors_come_from_the_same_pass(self, emb: Any) -> None:
        assert isinstance(emb, SentenceEmbedder)
        text = "First sentence about icebreakers. Second sentence about water."
        spans = [(0, 33), (34, len(text))]
        vectors, sentences = emb.embed_with_sentences([text], [spans])
        np.testing.assert_allclose(vectors, emb.embed([text]), atol=1e-4)
        assert sentences[0].spans == spans and sentences[0].vectors.shape == (2, emb.dim)
        alone = emb.embed([text[s:e] for s, e in spans])
        assert all(
            float(sentences[0].vectors[i] @ alone[i]) > 0.6 for i in range(2)
        )  # pooled in context, close to alone

    def test_one_sentence_vector_set_per_text_even_without_spans(self, emb: Any) -> None:
        vectors, sentences = emb.embed_with_sentences(["One. Two.", ""], [[(0, 4), (5, 9)], []])
        assert vectors.shape == (2, emb.dim) and len(sentences) == 2
        assert sentences[0].spans == [(0, 4), (5, 9)] and sentences[1].spans == []

    def test_fingerprint_names_the_backend(self, emb: Any) -> None:
        assert emb.fingerprint.split("/")[0] in ("onnx", "sentence-transformers") and emb.name in emb.fingerprint


class TestSentenceTransformerEmbedder(SentenceEmbedderContract):
    @pytest.fixture
    def emb(self, st_embedder: Any) -> Any:
        return st_embedder


class TestOnnxEmbedder(SentenceEmbedderContract):
    """The default embedder: ONNX Runtime, int8 weights."""

    @pytest.fixture
    def emb(self, embedder: Any) -> Any:
        return embedder


class TestOnnxEmbedderFp32(SentenceEmbedderContract):
    @pytest.fixture
    def emb(self) -> Any:
        from assistant.components.embedders import make_embedder

        return make_embedder(test_settings(embed_precision="fp32"))


class GeneratorContract:
    """What every Generator must do; subclasses provide ``gen``."""

    MESSAGES = [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Say: the fleet grew."},
    ]

    @pytest.fixture
    def gen(self) -> Any:
        raise NotImplementedError

    def test_satisfies_the_protocol(self, gen: Any) -> None:
        assert isinstance(gen, Generator) and gen.name

    def test_generate_returns_text(self, gen: Any) -> None:
        out = gen.generate(self.MESSAGES)
        assert isinstance(out, str) and out.strip()

    def test_stream_yields_text_pieces(self, gen: Any) -> None:
        pieces = list(gen.stream(self.MESSAGES))
        assert pieces and all(isinstance(p, str) for p in pieces) and "".join(pieces).strip()


class TestScriptedGenerator(GeneratorContract):
    @pytest.fixture
    def gen(self) -> Any:
        return ScriptedGenerator("The fleet grew [1].")

    def test_stream_joins_to_the_generated_text(self, gen: Any) -> None:
        assert "".join(gen.stream(self.MESSAGES)) == gen.generate(self.MESSAGES)
