"""Each kind of question gets an answer in its own form, through the service, on the tiny corpus: metadata from the
registry cited to the brief's header, a list of briefs, a summary of one brief, a comparison table, a precise
abstention when the topic is covered but the asked-for fact is not."""

from __future__ import annotations

from assistant.service import BriefsService
from tests.conftest import assert_quotes_exact


def test_metadata_is_answered_from_the_registry_and_cited_to_the_header(assistant: BriefsService) -> None:
    answer = assistant.ask("Who wrote the CRS In Focus on the XM30?")
    assert answer.kind == "metadata" and not answer.abstained
    assert "Andrew Feickert" in answer.text and "IF99930" in answer.text
    assert answer.citations and "Feickert, Andrew" in answer.citations[0].quote  # the brief's own "Author(s):" line
    assert_quotes_exact(assistant, answer)
    dated = assistant.ask("When was the XM30 In Focus last updated, and what is its report number?")
    assert dated.kind == "metadata" and "February 10, 2026" in dated.text and "IF99930" in dated.text
    assert len(dated.text.split()) <= 60
    assert_quotes_exact(assistant, dated)


def test_metadata_without_a_header_cites_the_sentence_naming_the_author(assistant: BriefsService) -> None:
    answer = assistant.ask("Who is the author of the brief on Blinken's visit to Beijing?")
    assert answer.kind == "metadata" and "S. M. Saifee Islam" in answer.text
    assert answer.citations and "S. M. Saifee Islam is a Research Associate" in answer.citations[0].quote  # whole sentence
    assert_quotes_exact(assistant, answer)


def test_list_questions_get_the_matching_briefs_newest_first(assistant: BriefsService) -> None:
    answer = assistant.ask("Which briefs discuss the XM30 vehicle?")
    assert answer.kind == "list" and not answer.abstained
    ids = [b.brief_id for b in answer.briefs]
    assert ids and ids[0] == "xm30-v2" and "arctic-shipping" not in ids  # newest version only, topic-matched
    assert all(b.citation for b in answer.briefs)
    assert_quotes_exact(assistant, answer)


def test_filters_stated_in_words_narrow_a_list(assistant: BriefsService) -> None:
    answer = assistant.ask("Which briefs were published in March 2024?")
    assert answer.kind == "list"
    assert [b.brief_id for b in answer.briefs] == ["arctic-shipping"]
    assert answer.interpretation is not None and answer.interpretation.filters.date_from is not None


def test_a_summary_covers_the_named_brief_across_its_sections(assistant: BriefsService) -> None:
    answer = assistant.ask("Summarise the brief on Arctic shipping.")
    assert answer.kind == "summary" and not answer.abstained
    assert {c.brief_id for c in answer.citations} == {"arctic-shipping"}
    assert 3 <= len(answer.citations) <= 6
    starts = [c.start for c in answer.citations]
    assert starts == sorted(starts)  # reading order
    assert_quotes_exact(assistant, answer)


def test_a_comparison_answers_each_side_in_a_table(assistant: BriefsService) -> None:
    answer = assistant.ask("Compare Arctic shipping routes and semiconductor export controls.")
    assert answer.kind == "compare" and len(answer.table) == 2
    assert {b for row in answer.table for b in row.brief_ids} == {"arctic-shipping", "semiconductors"}
    assert all(row.citations for row in answer.table)
    assert_quotes_exact(assistant, answer)


def test_a_covered_topic_without_the_asked_for_value_abstains_with_the_reason(assistant: BriefsService) -> None:
    answer = assistant.ask("How much does a single icebreaker cost?")
    assert answer.abstained and answer.text.startswith("The briefs don't say.")
    assert answer.abstain_reason and "amount" in answer.abstain_reason
    assert "Arctic" in answer.text  # the closest brief is named


def test_a_fact_answer_leads_with_the_sentence_carrying_the_value(assistant: BriefsService) -> None:
    answer = assistant.ask("By how much did the Northern Sea Route cut the voyage from Rotterdam to Shanghai?")
    assert answer.kind == "fact" and not answer.abstained
    assert "40 percent" in answer.text.split("[1]")[0]
    assert len(answer.citations) <= 3
    assert_quotes_exact(assistant, answer)


def test_the_interpretation_travels_with_the_answer(assistant: BriefsService) -> None:
    answer = assistant.ask("How many icebreakers does Russia operate?")
    assert answer.interpretation is not None
    assert answer.interpretation.kind == "fact" and answer.interpretation.answer_types == ["number"]
    assert answer.interpretation.notes[0].startswith("a fact question; expecting number")


def test_words_no_brief_uses_make_a_question_off_topic_in_a_large_library(ingested_dir, embedder) -> None:  # type: ignore[no-untyped-def]
    """'Measles' is in no brief: with the size guard lowered to the tiny library the question is off-topic and the
    reason names the word; at the default guard a small library answers questions with words it happens to lack."""
    from tests.conftest import test_settings

    question = "Which Arctic shipping routes did measles quarantines close?"
    small = BriefsService(test_settings(data_dir=ingested_dir), embedder=embedder)
    assert "measl" not in (small.ask(question).abstain_reason or "")
    settings = test_settings(data_dir=ingested_dir)
    settings.retrieval.unknown_word_min_passages = 0
    large = BriefsService(settings, embedder=embedder)
    answer = large.ask(question)
    assert answer.abstained and answer.abstain_reason and "measl" in answer.abstain_reason
    assert not large.ask("Which icebreakers does the Arctic brief recommend?").abstained


def test_a_compound_question_is_answered_part_by_part(assistant: BriefsService) -> None:
    answer = assistant.ask("By how much did the Northern Sea Route cut the voyage to Shanghai, and when do most transits happen?")
    assert answer.kind == "fact" and not answer.abstained
    assert "40 percent" in answer.text and "between July and November" in answer.text
    assert_quotes_exact(assistant, answer)


def test_a_part_the_briefs_do_not_answer_is_named(assistant: BriefsService) -> None:
    answer = assistant.ask("How many icebreakers does Russia have, and how much does each one cost?")
    assert not answer.abstained and "forty vessels" in answer.text
    assert answer.text.endswith("The briefs don't answer “How much does each one cost?”")
    assert answer.interpretation is not None and any("not in the briefs" in n for n in answer.interpretation.notes)
    assert_quotes_exact(assistant, answer)
