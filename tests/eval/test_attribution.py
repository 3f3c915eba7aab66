"""ALCE-style citation recall and precision on hand-made answers, judged by the real (lexical) CitationVerifier."""

from __future__ import annotations

import pytest

from assistant.answering.citations import CitationVerifier
from assistant.models import Answer, Citation, Passage
from assistant.settings import AnswerSettings
from eval.attribution import Supports, citation_precision, citation_recall, claims_of, score_citations

GROUPS = "Both sides established working groups on climate change and regional security."
CRITIC = "The United States criticised China for backing Russia in its war against Ukraine."
HOTLINE = "Military hotlines could manage potential conflicts efficiently."
TEXT = f"{GROUPS} {CRITIC} {HOTLINE}"


def _passage(sentence: str) -> Passage:
    start = TEXT.index(sentence)
    return Passage(
        brief_id="b", title="Brief", text=sentence, start=start, end=start + len(sentence), score=1.0
    )


PASSAGES = [_passage(GROUPS), _passage(CRITIC), _passage(HOTLINE)]


def _answer(text: str, cited: list[str], abstained: bool = False) -> Answer:
    citations = [
        Citation(
            n=i,
            brief_id="b",
            title="Brief",
            quote=s,
            start=TEXT.index(s),
            end=TEXT.index(s) + len(s),
            score=1.0,
        )
        for i, s in enumerate(cited, 1)
    ]
    return Answer(question="q", text=text, citations=citations, passages=PASSAGES, abstained=abstained)


@pytest.fixture
def verifier() -> Supports:
    checker = CitationVerifier(AnswerSettings(), embedder=None)  # lexical support only: deterministic
    return lambda claim, passage: checker.support(claim, passage)[0]


def test_markers_after_the_full_stop_belong_to_the_sentence_before() -> None:
    assert [c.cites for c in claims_of("One claim here. [1] Another claim. [2, 3] Last one [4].")] == [
        [1],
        [2, 3],
        [4],
    ]


def test_supported_answer_scores_one(verifier: Supports) -> None:
    s = score_citations(_answer(f"{GROUPS} [1] {CRITIC} [2]", [GROUPS, CRITIC]), verifier)
    assert (s.recall, s.precision, s.sentences, s.citations) == (1.0, 1.0, 2, 2)


def test_wrong_citation_and_uncited_sentence_lower_recall_and_precision(verifier: Supports) -> None:
    # sentence 1 cites the wrong passage; sentence 2 is right; sentence 3 has no marker
    s = score_citations(_answer(f"{GROUPS} [1] {CRITIC} [2] {HOTLINE}", [CRITIC, CRITIC]), verifier)
    assert s.recall == pytest.approx(1 / 3)
    assert s.precision == 0.5
    assert s.unsupported == [GROUPS, HOTLINE]


def test_marker_without_a_citation_is_never_relevant(verifier: Supports) -> None:
    s = score_citations(_answer(f"{GROUPS} [1] [7]", [GROUPS]), verifier)
    assert (s.recall, s.precision) == (1.0, 0.5)


def test_alce_precision_keeps_citations_needed_jointly(verifier: Supports) -> None:
    joint = "Working groups on climate change will meet, and hotlines could manage conflicts efficiently."
    both = score_citations(_answer(f"{joint} [1] [2]", [GROUPS, HOTLINE]), verifier)
    assert (both.recall, both.precision) == (1.0, 1.0)  # neither supports alone, together they do
    extra = score_citations(_answer(f"{GROUPS} [1] [2]", [GROUPS, CRITIC]), verifier)
    assert (extra.recall, extra.precision) == (1.0, 0.5)  # [2] supports nothing and is not needed


def test_abstentions_are_not_scored(verifier: Supports) -> None:
    s = score_citations(_answer("The briefs don't cover this question.", [], abstained=True), verifier)
    assert citation_recall([s if s.recall is not None else None])["score"] is None
    assert citation_precision([None, score_citations(_answer(f"{GROUPS} [1]", [GROUPS]), verifier)])[
        "individual_scores"
    ] == [None, 1.0]
