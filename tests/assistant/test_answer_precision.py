"""What an answer is made of, on a brief written to hold the traps: a table whose cells read like sentences, a
sentence saying the asked-for value is not known, a hyphenated name ("Norway-brokered"), words of a programme the
brief never names as one ("national", "flood", "insurance", "program"), and a follow-up whose conversation words
fill other paragraphs."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answering.candidates import answer_like
from assistant.models import NOT_STATED
from assistant.service import BriefsService
from tests.conftest import assert_quotes_exact, ingest_into

BRIEF = """---
title: "Coastal Flood Barriers: Funding and Governance"
authors: ["Ines Alvarez"]
organisation: Delta Policy Institute
date: 2025-06-02
source: https://example.org/briefs/flood-barriers
---
# Coastal Flood Barriers: Funding and Governance

## Background

The national government builds flood barriers along the delta coast, and a regional insurance pool covers the
damage they do not prevent. The barrier program began in 1998 with three sites. The Ministry of Water’s Coastal
Defence Office oversees it.

## Construction

The Norway-brokered agreement of May 2024 let the two countries share barrier designs for ten years. The number of
engineers assigned to each barrier is not known. Construction of the northern barrier finished in March 2025,
two months late. The Danish and Dutch ministers signed the agreement in Copenhagen in June 2024. The second phase
of the northern barrier, for the national builders association, begins in 2027.

| Barrier | Opened | Contract awarded to a consortium of five regional builders |
|---|---|---|
| Northern | March 2025 | Contract awarded to a consortium of five regional builders in 2019 |
|  |  | Contract awarded to the national builders association for the second phase (Law No. 12-34) |

## The court case

Residents sued the ministry over the southern barrier's route in 2024. In January 2026 the court ruled that the
ministry had to hold a new public consultation, and it suspended the works until then. The ministry said it would
appeal the ruling.

## Governance

The barrier council, made up of delegates from the coastal provinces, met for the first time in 2023. It elected its
chair on the third ballot.

## Maintenance

In May 2025 the ministry recalled the floodgate sensors installed on the eastern dike. It said that this recall cost
4 million euros. This recall was the second since 2020.

## Funding

The northern barrier cost 1.2 billion euros, and the ministry has asked parliament for 800 million euros more for the
southern one. Parliament has not yet voted on the request.
"""


def library_of(root: Path, briefs: dict[str, str], embedder) -> BriefsService:  # type: ignore[no-untyped-def]
    """A service over ``briefs`` ({file name: text}) ingested under ``root``."""
    folder = root / "briefs"
    folder.mkdir()
    for name, text in briefs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return BriefsService(ingest_into(root / "data", folder, embedder), embedder=embedder)


@pytest.fixture(scope="module")
def barriers(tmp_path_factory: pytest.TempPathFactory, embedder) -> BriefsService:  # type: ignore[no-untyped-def]
    return library_of(tmp_path_factory.mktemp("barriers"), {"flood-barriers.md": BRIEF}, embedder)


def test_a_brief_saying_the_value_is_not_known_is_cited_in_the_abstention(barriers: BriefsService) -> None:
    answer = barriers.ask("How many engineers are assigned to each barrier?")
    assert answer.abstained and answer.text.startswith(NOT_STATED)
    assert len(answer.citations) == 1 and "is not known" in answer.citations[0].quote
    assert "[1]" in answer.text and answer.abstain_reason and "not known" in answer.abstain_reason
    assert_quotes_exact(barriers, answer)


def test_a_programme_the_briefs_name_only_word_by_word_is_off_topic(barriers: BriefsService) -> None:
    answer = barriers.ask("When does the National Flood Insurance Program's authorization expire?")
    assert answer.abstained and answer.citations == []
    assert answer.abstain_reason and "National Flood Insurance Program" in answer.abstain_reason
    # the same words, asked about what the brief does name, are answered; a name is the same with or without a
    # possessive ("the Ministry of Water’s Coastal Defence Office")
    assert not barriers.ask("When did the barrier program begin?").abstained
    assert not barriers.ask("What does the Water Coastal Defence Office oversee?").abstained


def test_table_cells_are_not_answer_sentences(barriers: BriefsService) -> None:
    # the row with empty cells is stored as its one cell, a line without "|" that reads like a sentence
    text = barriers.brief_text("flood-barriers")
    assert "\nContract awarded to the national builders association" in text
    answer = barriers.ask("What does the national builders association get for the second phase?")
    assert not answer.abstained and answer.citations
    assert all("Contract awarded" not in c.quote and "|" not in c.quote for c in answer.citations)


def test_prose_above_and_below_a_table_stays_prose() -> None:
    from assistant.answering.candidates import _in_table

    text = "The program cost 5 million euros in 2024.\nYear | Cost\n2024 | 5\nA cell left alone\nThe table shows costs.\n"
    at = lambda s: (text.find(s), text.find(s) + len(s))  # noqa: E731
    assert not _in_table(text, *at("The program cost 5 million euros in 2024."))
    assert _in_table(text, *at("2024 | 5")) and _in_table(text, *at("A cell left alone"))
    assert not _in_table(text, *at("The table shows costs."))


def test_a_who_question_is_answered_from_a_hyphenated_name(barriers: BriefsService) -> None:
    answer = barriers.ask("Who brokered the agreement?")
    assert not answer.abstained
    assert "Norway-brokered" in answer.text.split("[1]")[0]
    assert_quotes_exact(barriers, answer)


def test_a_follow_up_is_answered_by_what_it_asks_not_by_the_conversation_words(barriers: BriefsService) -> None:
    history = [
        {"role": "user", "content": "What did the ministry ask parliament for the southern barrier funding?"},
        {"role": "assistant", "content": "It asked for 800 million euros more for the southern barrier."},
    ]
    answer = barriers.ask("How did the court rule?", history=history)
    assert not answer.abstained
    assert "public consultation" in answer.text
    assert "800 million" not in answer.text and "1.2 billion" not in answer.text  # the conversation's words
    assert_quotes_exact(barriers, answer)


def test_a_cited_near_miss_renders_its_citation_in_the_web_chat(barriers: BriefsService) -> None:
    from ui.web.render import render_answer_html, render_sources_html

    answer = barriers.ask("How many engineers are assigned to each barrier?")
    html = render_answer_html(answer)
    assert "The briefs don’t say" in html and "is not known" in html
    assert "So there is no cited answer" not in html and 'class="ba-cite"' in html
    assert "Nothing cited" not in render_sources_html(answer, barriers, text_of=barriers.brief_text)


def test_a_count_is_answered_by_an_ordinal_of_what_is_counted(barriers: BriefsService) -> None:
    answer = barriers.ask("How many ballots did it take for the barrier council to elect its chair?")
    assert not answer.abstained and any("third ballot" in c.quote for c in answer.citations)
    # "for the first time" is not a count of times
    times = barriers.ask("How many times has the barrier council met?")
    assert not any("first time" in c.quote for c in times.citations)


def test_a_sentence_that_refers_back_is_about_what_the_sentence_before_names(barriers: BriefsService) -> None:
    from assistant.text import stem

    question = "How much did the May 2025 recall of the eastern dike's floodgate sensors cost?"
    retrieval = barriers.retriever.retrieve(question)
    cands = {c.text: c for c in barriers.answerer.fact.builder.build(question, retrieval)}
    refers = next(c for t, c in cands.items() if t.startswith("It said that this recall cost"))
    assert {stem("floodgate"), stem("dike")} <= refers.before  # "this recall" is the one the sentence before names
    assert next(c for t, c in cands.items() if t.startswith("In May 2025")).before == frozenset()
    assert stem("euros") in next(c for t, c in cands.items() if t.startswith("This recall was")).before  # "This …"
    answer = barriers.ask(question)
    assert not answer.abstained and "4 million euros" in answer.text
    assert_quotes_exact(barriers, answer)


HARBOURS = """---
title: "Harbour Locks: Contracts and Costs"
authors: ["Ines Alvarez"]
organisation: Delta Policy Institute
date: 2025-09-12
---
# Harbour Locks: Contracts and Costs

## Contracts

The port authority signed 6 lock contracts for the western harbour (Figure 2). To date, the port authority has
signed 14 lock contracts, of which 6 are for the western harbour. (For a map of the lock sites, see the institute's
brief on harbour defence, DP-12.) The port authority's staffing level at the end of 2025 was 412.

## The eastern lock

The eastern lock cost 310 million euros. Its gates were replaced after a storm in 2021.

After the storm, the eastern lock's repaired gates reopened to ships in June 2021. After the storm, the eastern lock's
repaired gates reopened to ships on June 14, 2021, as planned.

The eastern lock opened to shipping in April 2019.

## The western lock

The western lock is to open to shipping in 2029.

## Bills

The Quay Act would ban private tolls at public locks. It would also cap the fees a lock may charge. These rules would
be enforced by the port inspectorate, with fines of up to 5,000 euros a day. The Dock Act would instead let each
harbour set its own fees.

## Enforcement

When the Quay Act passed in 2023, enforcement of its rules was to start in 2025. A 2026 amendment to the Quay Act moved the
start of enforcement to 2028.

## Rules

The new rules for lock operators were first proposed in May 2024 by the port authority. The lock operators'
compliance deadline was moved to June 30, 2026. In March 2026 a court suspended the new rules until the port authority consulted
the operators.

## Tolls

In 2025 the eastern lock charged a toll of 2 euros per tonne. The port charter lets a lock charge a toll of up to 4
euros per tonne.

## Traffic

The harbour handled 41 million tonnes of cargo in 2024, up from 38 million tonnes of cargo in 2023. In 2025, after
the eastern lock's gates were replaced and the dredging of its approach channel was finished, the harbour handled a
record 45 million tonnes of cargo.

## The western lock again

Engineers estimate that the western lock will cost 950 million euros. Each of the western lock's pumps will cost
2 million euros. The western lock's design contract cost 40 million euros. Operating the western lock will cost
shippers a toll of 3 euros per tonne.
"""


@pytest.fixture(scope="module")
def harbours(tmp_path_factory: pytest.TempPathFactory, embedder) -> BriefsService:  # type: ignore[no-untyped-def]
    return library_of(tmp_path_factory.mktemp("harbours"), {"harbour-locks.md": HARBOURS}, embedder)


def test_one_sentence_giving_every_asked_quantity_answers_the_parts_together(harbours: BriefsService) -> None:
    answer = harbours.ask("How many lock contracts has the port authority signed, and how many of them are for the western harbour?")
    assert not answer.abstained
    assert "14 lock contracts, of which 6" in answer.text
    assert "(Figure 2)" not in answer.text  # a sentence giving only one of the two counts adds nothing
    assert_quotes_exact(harbours, answer)


def test_a_sentence_that_only_points_elsewhere_is_not_an_answer() -> None:
    assert not answer_like("Shares are rounded to the nearest percentage point.", None)  # a note on a table
    assert not answer_like("Columns may not sum to the totals shown due to rounding.", None)
    assert not answer_like("140, part 12 (July 26, 1994), pp. 17891-17895, https://www.congress.gov/crecb/1994.pdf.", None)
    assert not answer_like("(For a map of the lock sites, see the institute's brief on harbour defence, DP-12.)", None)
    assert not answer_like("For more on proposals to condition funding, see CRS In Focus IF12345.", None)
    assert answer_like("For the first time, the port authority signed a contract with a foreign builder.", None)


def test_a_comparison_asking_two_things_of_each_side_answers_both_for_each(harbours: BriefsService) -> None:
    answer = harbours.ask("Compare the eastern lock and the western lock: what did each cost, and when does each open?")
    assert answer.kind == "compare" and answer.table and len(answer.table) == 2
    eastern, western = answer.table
    assert "310 million euros" in eastern.text and "April 2019" in eastern.text
    assert "950 million euros" in western.text and "2029" in western.text


PORT_BRIEFS = {
    "dredging.md": """---
title: "Small Port Dredging Grants"
organisation: Delta Policy Institute
date: 2025-03-01
---
# Small Port Dredging Grants

The fund pays for dredging at small ports whose channels silt up every winter. It receives 5 million euros per year
from the ministry, and a port may apply once every three years.
""",
    "overview.md": """---
title: "The Harbour Fund and Other Port Programs: An Overview"
organisation: Delta Policy Institute
date: 2025-04-01
---
# The Harbour Fund and Other Port Programs: An Overview

The Harbour Fund is one of several port programs the ministry runs. The ministry's port budget is 90 million euros
per year, most of it for the large container terminals. The Harbour Fund, the Ferry Fund and the Quay Fund are
reviewed every five years.
""",
}


def test_a_follow_up_stays_on_the_brief_the_previous_answer_came_from(tmp_path, embedder) -> None:  # type: ignore[no-untyped-def]
    service = library_of(tmp_path, PORT_BRIEFS, embedder)
    history = [  # a client that sends no cited brief ids: the answer's words say where it came from
        {"role": "user", "content": "What does the Harbour Fund do?"},
        {"role": "assistant", "content": "It pays for dredging at small ports whose channels silt up every winter."},
    ]
    answer = service.ask("How much does it get each year?", history=history)
    assert not answer.abstained
    assert "5 million euros" in answer.text and "90 million" not in answer.text
    assert {c.brief_id for c in answer.citations} == {"dredging"}


def test_a_sentence_referring_back_twice_is_about_what_the_paragraph_first_named(harbours: BriefsService) -> None:
    answer = harbours.ask("How much can a fine under the Quay Act be?")
    assert not answer.abstained
    assert "5,000 euros" in answer.text.split("[1]")[0]
    compared = harbours.ask("Compare the Quay Act and the Dock Act: what fines would each set?")
    assert compared.table and "5,000 euros" in compared.table[0].text


def test_a_count_is_answered_by_a_sentence_whose_word_for_it_stems_differently(harbours: BriefsService) -> None:
    answer = harbours.ask("How many staff did the port authority have at the end of 2025?")  # "staff" / "staffing"
    assert not answer.abstained and "412" in answer.text.split("[1]")[0]


def test_a_word_is_matched_in_its_other_forms(harbours: BriefsService) -> None:
    answer = harbours.ask("When did lock operators have to start complying?")  # the brief says "compliance"
    assert not answer.abstained and "June 30, 2026" in answer.text.split("[1]")[0]


def test_a_question_about_now_prefers_the_latest_state_of_things(harbours: BriefsService) -> None:
    answer = harbours.ask("When is enforcement of the Quay Act now supposed to start?")
    assert not answer.abstained and "2028" in answer.text.split("[1]")[0]


def test_a_year_the_question_asks_about_outranks_sentences_about_other_years(harbours: BriefsService) -> None:
    answer = harbours.ask("How much cargo did the harbour handle in 2025?")
    assert not answer.abstained and "45 million tonnes" in answer.text.split("[1]")[0]
    earlier = harbours.ask("How much cargo did the harbour handle in 2023?")
    assert "38 million tonnes" in earlier.text.split("[1]")[0]


def test_a_question_asking_for_a_bound_is_answered_by_the_sentence_stating_one(harbours: BriefsService) -> None:
    answer = harbours.ask("How high can a lock's toll go?")
    assert not answer.abstained and "up to 4 euros" in answer.text.split("[1]")[0]


def test_when_is_answered_by_the_exact_date_first(harbours: BriefsService) -> None:
    answer = harbours.ask("When did the eastern lock's repaired gates reopen after the storm?")
    assert not answer.abstained and "June 14, 2021" in answer.text.split("[1]")[0]


def test_whether_a_rule_stands_is_answered_by_what_became_of_it_first(harbours: BriefsService) -> None:
    answer = harbours.ask("Are the new rules for lock operators in effect?")
    assert not answer.abstained and "suspended" in answer.text.split("[1]")[0]


def test_the_brief_being_discussed_is_the_one_most_of_the_best_passages_come_from() -> None:
    from assistant.answering.pipeline import leading_brief
    from assistant.models import Passage

    def passage(brief: str, score: float) -> Passage:
        return Passage(brief_id=brief, title=brief, text="…", start=0, end=1, score=score)

    # one overview passage on top, three of the primer just below it
    ranked = [passage("overview", 0.033), passage("primer", 0.032), passage("primer", 0.031), passage("primer", 0.03)]
    assert leading_brief(ranked) == "primer"
    assert leading_brief([passage("overview", 0.033), passage("primer", 0.01)]) == "overview"
