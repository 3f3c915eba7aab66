"""The openai answerer against a live OpenAI-compatible server (``python -m llama_cpp.server`` serving
SmolLM2-135M), configured only through the flat ``BRIEFS_LLM_*`` environment variables. The tiny model
cites poorly, so these assert the invariants (verified citations or a clean abstention), not wording."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.answering.abstain import ABSTAIN_TEXT
from assistant.components.llms import OpenAIGenerator
from assistant.models import Answer
from assistant.service import BriefsService
from assistant.settings import LLMSettings, get_settings
from tests.assistant.test_contracts import GeneratorContract

pytestmark = pytest.mark.server

QUESTIONS = [
    "How much has Lake Chad shrunk since the 1960s?",
    "Which countries joined the semiconductor export controls in 2023?",
]


@pytest.fixture
def llm_assistant(
    llm_url: str, ingested_dir: Path, assistant: BriefsService, monkeypatch: pytest.MonkeyPatch
) -> BriefsService:
    monkeypatch.setenv("BRIEFS_ANSWERER", "openai")
    monkeypatch.setenv("BRIEFS_LLM_BASE_URL", llm_url)
    monkeypatch.setenv("BRIEFS_LLM_MODEL", "smollm2")
    monkeypatch.setenv("BRIEFS_LLM_API_KEY_ENV", "BRIEFS_TEST_LLM_KEY")
    monkeypatch.setenv("BRIEFS_TEST_LLM_KEY", "sk-local")
    monkeypatch.setenv("BRIEFS_LLM__TIMEOUT_S", "120")
    monkeypatch.setenv(
        "BRIEFS_LLM__MAX_TOKENS", "160"
    )  # keeps a CPU run short; the invariants do not depend on length
    monkeypatch.setenv("BRIEFS_RETRIEVAL__TOP_K", "4")
    settings = get_settings(
        "default", data_dir=ingested_dir
    )  # this test is about configuring through the environment
    assert (settings.llm.base_url, settings.llm.model) == (llm_url, "smollm2")
    return BriefsService(settings, store=assistant.store, embedder=assistant.embedder)


def check_invariants(answer: Answer, assistant: BriefsService) -> None:
    """Every shown citation is an exact passage of its brief and every [n] in the text has one."""
    assert answer.answerer == "openai:smollm2"
    for c in answer.citations:
        assert assistant.brief_text(c.brief_id)[c.start : c.end] == c.quote
    if answer.abstained:
        assert answer.text.startswith(ABSTAIN_TEXT) and not answer.citations
        return
    assert answer.citations
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == {c.n for c in answer.citations}


@pytest.mark.parametrize("question", QUESTIONS)
def test_an_answer_comes_back_with_verified_citations(llm_assistant: BriefsService, question: str) -> None:
    answer = llm_assistant.ask(question)
    check_invariants(answer, llm_assistant)
    assert answer.timings["generate_ms"] > 0 or answer.abstained


def test_streaming_sends_deltas_then_one_final_answer(llm_assistant: BriefsService) -> None:
    events = list(llm_assistant.stream(QUESTIONS[0]))
    assert [e.type for e in events[:-1]] == ["delta"] * (len(events) - 1) and events[-1].type == "answer"
    assert (
        len(events) > 2 and "".join(e.text for e in events[:-1]).strip()
    )  # the model's text arrived in pieces
    assert events[-1].answer is not None
    check_invariants(events[-1].answer, llm_assistant)


class TestOpenAIGeneratorOnALlamaServer(GeneratorContract):
    """The Generator conformance suite against a real OpenAI-compatible server (llama.cpp with SmolLM2)."""

    @pytest.fixture
    def gen(self, llm_url: str) -> OpenAIGenerator:
        return OpenAIGenerator(
            LLMSettings(base_url=llm_url, model="smollm2", max_tokens=24, timeout_s=120, temperature=0.0)
        )
