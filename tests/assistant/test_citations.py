"""Every LLM answer is checked: wrong, invented or unsupported citations never reach the user.

The generator here is scripted (it plays an LLM that cites badly); the passages, the verifier and the
rest of the pipeline are real. The live llama.cpp model is covered in test_llamacpp.py.
"""

from __future__ import annotations

from assistant.answering.citations import parse_claims
from assistant.answering.llm import LLMAnswerer
from assistant.service import BriefsService
from tests.conftest import ScriptedGenerator


def _answer_with(assistant: BriefsService, reply_for) -> tuple:  # type: ignore[no-untyped-def]
    question = "How much will the XM30 program cost?"
    retrieval = assistant.retriever.retrieve(question)
    n_cost = next(i for i, p in enumerate(retrieval.passages, 1) if "51 billion" in p.text)
    n_other = next(
        i
        for i, p in enumerate(retrieval.passages, 1)
        if "51 billion" not in p.text and p.brief_id != "xm30-v2"
    )
    llm = ScriptedGenerator(reply_for(n_cost, n_other))
    answerer = LLMAnswerer(assistant.settings, llm, assistant.embedder, assistant.retriever.briefs)
    return answerer.answer(question, retrieval), retrieval, llm


def test_parse_claims_handles_trailing_and_grouped_markers() -> None:
    claims = parse_claims(
        "The cost is 51 billion dollars [1]. It replaces the Bradley. [2, 3] Unsupported claim."
    )
    assert [c.cites for c in claims] == [[1], [2, 3], []]
    assert claims[0].text == "The cost is 51 billion dollars."


def test_supported_citation_is_kept_with_an_exact_quote(assistant: BriefsService) -> None:
    answer, retrieval, llm = _answer_with(
        assistant,
        lambda good, other: (
            f"The Army estimates the program at 51 billion dollars over its lifetime [{good}]."
        ),
    )
    assert not answer.abstained and answer.dropped_citations == 0
    assert answer.text.endswith("[1]")
    c = answer.citations[0]
    assert c.brief_id == "xm30-v2" and "51 billion" in c.quote
    assert assistant.brief_text(c.brief_id)[c.start : c.end] == c.quote
    assert f"[{len(retrieval.passages)}]" in llm.prompts[0][1]["content"]  # numbered sources reached the LLM


def test_wrong_source_is_dropped_and_the_claim_removed(assistant: BriefsService) -> None:
    answer, _, _ = _answer_with(
        assistant,
        lambda good, other: (
            f"The Army estimates the program at 51 billion dollars over its lifetime [{good}]. "
            f"The program will cost 51 billion dollars [{other}]. Nobody builds the vehicle [{other}]."
        ),
    )
    assert answer.dropped_citations == 2
    assert answer.text.count("[") == 1 and "Nobody builds" not in answer.text
    assert all(c.brief_id == "xm30-v2" for c in answer.citations)


def test_citation_of_a_source_that_was_not_retrieved_is_dropped(assistant: BriefsService) -> None:
    answer, _, _ = _answer_with(
        assistant, lambda good, other: f"The program costs 51 billion dollars [{good}] [42]."
    )
    assert answer.dropped_citations == 1 and [c.n for c in answer.citations] == [1]


def test_answer_with_no_supported_sentence_abstains(assistant: BriefsService) -> None:
    answer, _, _ = _answer_with(
        assistant, lambda good, other: f"Penguins invented the steam engine [{other}]."
    )
    assert answer.abstained and answer.citations == [] and answer.dropped_citations == 1


def test_unsupported_sentences_can_be_marked_instead_of_removed(assistant: BriefsService) -> None:
    assistant.settings.answer.unsupported = "mark"
    try:
        answer, _, _ = _answer_with(
            assistant,
            lambda good, other: (
                f"The Army estimates the program at 51 billion dollars over its lifetime [{good}]. Penguins invented the steam engine [{other}]."
            ),
        )
    finally:
        assistant.settings.answer.unsupported = "remove"
    assert "Penguins invented the steam engine. [unsupported]" in answer.text


def test_llm_saying_not_in_sources_abstains(assistant: BriefsService) -> None:
    answer, _, _ = _answer_with(assistant, lambda good, other: "NOT IN SOURCES")
    assert answer.abstained
