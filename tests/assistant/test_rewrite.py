"""Follow-ups become standalone queries from the conversation."""

from __future__ import annotations

import pytest

from assistant.answering.rewrite import is_follow_up, rewrite
from assistant.models import Turn
from assistant.service import BriefsService

XM30 = [
    Turn(role="user", content="What is the Army's XM30 Mechanized Infantry Combat Vehicle?"),
    Turn(role="assistant", content="It is the planned replacement for the Bradley [1]."),
]


def test_follow_up_detection() -> None:
    assert is_follow_up("Who builds it?")
    assert is_follow_up("And the cost?")
    assert not is_follow_up("What did the Arctic shipping brief recommend for icebreakers?")


def test_heuristic_rewrite_carries_the_entities_of_earlier_turns() -> None:
    query = rewrite("Who builds it?", XM30)
    assert query.startswith("Who builds it?") and "XM30" in query
    assert (
        rewrite("What did the Arctic brief recommend about icebreakers?", XM30)
        == "What did the Arctic brief recommend about icebreakers?"
    )


def test_follow_up_retrieves_the_brief_of_the_previous_turn(assistant: BriefsService) -> None:
    alone = assistant.retriever.retrieve("Who builds it?")
    answer = assistant.ask("Who builds it?", history=XM30)
    assert answer.citations and answer.citations[0].brief_id == "xm30-v2"
    assert "Rheinmetall" in answer.text
    assert alone.query == "Who builds it?" != answer.query


class _Rewriter:
    name = "scripted"

    def generate(self, messages):  # type: ignore[no-untyped-def]
        assert "XM30" in messages[-1]["content"]
        return "Which companies build the XM30 Mechanized Infantry Combat Vehicle?"

    def stream(self, messages):  # type: ignore[no-untyped-def]
        yield self.generate(messages)


def test_llm_rewrite_is_used_when_an_llm_is_configured() -> None:
    assert (
        rewrite("Who builds it?", XM30, _Rewriter())
        == "Which companies build the XM30 Mechanized Infantry Combat Vehicle?"
    )


ANSWER = (
    "Section 73100 of the 2025 reconciliation law (P.L. 119-21) bars federal unemployment payments to people whose "
    "base-period wages reached $1 million, and the House passed H.R. 1156, a bill on pandemic UI fraud."
)


def test_the_things_an_answer_names_are_counted_once_each() -> None:
    from assistant.answering.rewrite import named_items

    # the law cited beside its section is the same item; bills in one sentence are not
    assert named_items(ANSWER) == ["Section 73100", "H.R. 1156"]
    assert named_items("H.R. 1156 passed the House before S. 500 did.") == ["H.R. 1156", "S. 500"]


@pytest.mark.parametrize(("question", "resolved"), [
    ("What would the second one do?", "What would H.R. 1156 do?"),
    ("What does the first one bar?", "What does Section 73100 bar?"),
    ("When did the latter pass?", "When did H.R. 1156 pass?"),
    ("Which unit gets the first battalion?", "Which unit gets the first battalion?"),  # an ordinal of a noun
    ("What did the former president say?", "What did the former president say?"),  # "former" as an adjective
])
def test_an_ordinal_reference_is_what_the_previous_answer_named_in_that_place(question: str, resolved: str) -> None:
    from assistant.answering.rewrite import resolve_references

    history = [Turn(role="user", content="What UI legislation has moved?"), Turn(role="assistant", content=ANSWER)]
    assert resolve_references(question, history) == resolved
    assert resolve_references(question, history[:1]) == question  # no answer to count in


@pytest.mark.parametrize(("question", "previous", "resolved"), [
    ("And in FY2024?", "What was the NIH success rate in FY2025?", "What was the NIH success rate in FY2024?"),
    ("What about 2023?", "How many bridges were poor in 2025?", "How many bridges were poor in 2023?"),
    ("And in 2023?", "How did spending change between 2020 and 2025?", "And in 2023?"),  # which year it replaces?
    ("And in 2023?", "How many bridges are poor?", "And in 2023?"),  # no year to replace
    ("And who won in 2023?", "How many ballots were there in 2025?", "And who won in 2023?"),  # asks its own thing
    ("And in 2025?", "What did the 2017 tax law change?", "And in 2025?"),  # the year names the law
])
def test_a_question_naming_only_another_year_asks_the_previous_question_of_it(
    question: str, previous: str, resolved: str
) -> None:
    from assistant.answering.rewrite import resolve_references

    history = [Turn(role="user", content=previous), Turn(role="assistant", content="About 42,000 [1].")]
    assert resolve_references(question, history) == resolved


def test_years_asked_in_a_row_each_ask_the_first_question() -> None:
    from assistant.answering.rewrite import resolve_references

    history = [Turn(role="user", content="What was the NIH success rate in FY2025?"),
               Turn(role="assistant", content="13% [1]."), Turn(role="user", content="And in FY2024?"),
               Turn(role="assistant", content="19% [1].")]
    assert resolve_references("And in FY2023?", history) == "What was the NIH success rate in FY2023?"
