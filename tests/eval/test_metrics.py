"""Metrics on hand-made cases with known answers (each assertion fails if the metric is computed wrongly)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from eval import metrics as m


class LetterEmbedder:
    """Deterministic: a text's normalised letter counts (identical texts → cosine 1)."""

    name = "letters"
    max_tokens = 256

    def embed(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        vecs = np.zeros((len(texts), 26), dtype=np.float32)
        for i, t in enumerate(texts):
            for ch in t.lower():
                if "a" <= ch <= "z":
                    vecs[i, ord(ch) - 97] += 1
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)

    def count_tokens(self, text: str) -> int:
        return len(text.split())


REFERENCE = "The establishment of working groups would concentrate on specific areas of cooperation, such as climate change and regional security."
SAME_TOPIC = (
    "Working groups on climate change and regional security were discussed; the areas of cooperation "
    "and the establishment of security groups concentrate specific change."
)


def test_aggregate_skips_items_the_metric_does_not_apply_to() -> None:
    assert m.aggregate([1.0, None, 0.0]) == {"score": 0.5, "individual_scores": [1.0, None, 0.0]}
    assert m.aggregate([None, None])["score"] is None


@pytest.mark.parametrize(
    ("passage", "reference", "found"),
    [
        (f"Intro sentence here. {REFERENCE} And more text after it.", REFERENCE, True),  # contains it
        (REFERENCE.upper().replace(" ", "\n  "), REFERENCE, True),  # case and whitespace
        ("Earlier context. " + REFERENCE[:80], REFERENCE, True),  # ≥ half of the shorter's 3-grams
        (SAME_TOPIC, REFERENCE, False),  # same words, no shared 3-grams
        ("Completely unrelated text about penguins and ice.", REFERENCE, False),
        ("", REFERENCE, False),
    ],
)
def test_context_found(passage: str, reference: str, found: bool) -> None:
    assert m.context_found(passage, reference) is found


def test_a_long_common_run_of_words_counts_as_overlap() -> None:
    shared = " ".join(f"word{i}" for i in range(30))
    passage = shared + " " + " ".join(f"tail{i}" for i in range(200))
    reference = " ".join(f"head{i}" for i in range(200)) + " " + shared
    assert m.context_found(passage, reference)  # 3-gram overlap is only ~13%, but 30 words in a row match
    assert not m.context_found(
        passage, " ".join(f"head{i}" for i in range(200)) + " " + " ".join(shared.split()[:20])
    )


def test_retrieval_metrics_on_known_rankings() -> None:
    rel = [
        m.Relevance([set(), {0}, set()], 1),  # found at rank 2
        m.Relevance([{0}, {0}, {1}], 2),  # both references, the first one twice
        m.Relevance([set(), set(), set()], 1),  # missed
        None,  # unanswerable: not scored
    ]
    assert m.hit_at_k(rel, 3)["individual_scores"] == [1.0, 1.0, 0.0, None]
    assert m.hit_at_k(rel, 1)["individual_scores"] == [0.0, 1.0, 0.0, None]
    assert m.mrr(rel, 3) == {"score": 0.5, "individual_scores": [0.5, 1.0, 0.0, None]}
    ndcg = m.ndcg_at_k(rel, 3)["individual_scores"]
    assert ndcg[0] == pytest.approx(1 / np.log2(3), abs=1e-4)
    # gains at ranks 1 and 3 (the repeat at rank 2 earns nothing); ideal gains at ranks 1 and 2
    assert ndcg[1] == pytest.approx((1 + 1 / np.log2(4)) / (1 + 1 / np.log2(3)), abs=1e-4)
    assert ndcg[2] == 0.0 and ndcg[3] is None
    assert m.context_recall(rel, 2)["individual_scores"] == [1.0, 0.5, 0.0, None]
    assert m.context_recall(rel, 3)["individual_scores"] == [1.0, 1.0, 0.0, None]


def test_mrr_accepts_plain_match_lists() -> None:
    assert m.mrr([[set(), set(), {0}]], k=2)["score"] == 0.0
    assert m.mrr([[set(), set(), {0}]], k=3)["score"] == pytest.approx(1 / 3, abs=1e-4)


def test_key_fact_recall_takes_any_alternative_case_insensitively() -> None:
    facts = [["working groups"], ["climate change", "global warming"], ["China’s backing of Russia"]]
    answers = [
        "They set up WORKING GROUPS on Global Warming.",
        "China's backing of Russia was criticised.",
        "",
        None,
    ]
    scores = m.key_fact_recall(answers, [facts, facts, facts, facts])["individual_scores"]
    assert scores == [pytest.approx(2 / 3, abs=1e-4), pytest.approx(1 / 3, abs=1e-4), 0.0, None]
    assert m.key_fact_recall(["anything"], [[]])["individual_scores"] == [None]
    assert m.missing_key_facts("working groups", facts) == facts[1:]


def test_token_f1_is_squad_style() -> None:
    assert m.token_f1(["The cat sat."], ["a cat sat"])["score"] == 1.0  # articles, case, punctuation
    assert m.token_f1(["cat sat on mat"], ["cat sat"])["score"] == pytest.approx(2 * 0.5 * 1 / 1.5, abs=1e-4)
    assert m.token_f1(["dogs"], ["cats"])["score"] == 0.0
    assert m.token_f1([None, "x"], ["ref", None])["individual_scores"] == [None, None]


def test_answer_similarity_is_the_embedding_cosine() -> None:
    emb = LetterEmbedder()
    scores = m.answer_similarity(
        ["working groups", "", "zzz", None], ["working groups", "ref", "aaa", "ref"], emb.embed
    )["individual_scores"]
    assert scores == [
        1.0,
        0.0,
        0.0,
        None,
    ]  # identical → 1; an abstention ("") → 0; orthogonal → 0; n/a → None
    assert 0 < m.answer_similarity(["groups working"], ["working group"], emb.embed)["score"] < 1.0 + 1e-6


def test_abstention_rates_split_by_answerability() -> None:
    abstained = [True, False, True, False]
    answerable = [False, False, True, True]
    assert m.correct_abstention(abstained, answerable) == {
        "score": 0.5,
        "individual_scores": [1.0, 0.0, None, None],
    }
    assert m.false_abstention(abstained, answerable) == {
        "score": 0.5,
        "individual_scores": [None, None, 1.0, 0.0],
    }


def test_latency_percentiles() -> None:
    ms = [100.0, 200.0, 300.0, 400.0, 1000.0]
    assert m.latency(ms, 50)["score"] == 300.0
    assert m.latency(ms, 95)["score"] == pytest.approx(880.0)
    assert m.latency([], 50)["score"] is None


def test_answer_text_drops_markers() -> None:
    assert (
        m.answer_text("Groups were set up. [1] It helps [2, 3]. Odd claim. [unsupported]")
        == "Groups were set up. It helps. Odd claim."
    )
