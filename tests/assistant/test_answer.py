"""The extractive answerer end to end on a real index: cited answers, exact quotes, abstention."""

from __future__ import annotations

import json

from click.testing import CliRunner

from assistant.service import BriefsService
from tests.conftest import assert_quotes_exact


def test_visit_achievements_are_answered_with_exact_citations(assistant: BriefsService) -> None:
    answer = assistant.ask("What did the visit achieve?")
    assert not answer.abstained
    text = answer.text.lower()
    assert "working groups" in text
    assert "communication" in text
    assert len(answer.citations) >= 2
    assert all(c.brief_id == "blinkens-visit-to-beijing" for c in answer.citations)
    assert_quotes_exact(assistant, answer)
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))


def test_question_the_briefs_do_not_cover_abstains(assistant: BriefsService) -> None:
    for question in ["What did Blinken say about Taiwan?", "How do I bake sourdough bread?"]:
        answer = assistant.ask(question)
        assert answer.abstained, (question, answer.text)
        assert answer.citations == []
        assert "don't cover" in answer.text


def test_abstention_lists_the_closest_briefs(assistant: BriefsService) -> None:
    answer = assistant.ask("What did Blinken say about Taiwan?")
    assert "Blinken’s Visit to Beijing" in answer.text


def test_answer_stays_within_the_relevant_brief(assistant: BriefsService) -> None:
    answer = assistant.ask("What do the Arctic shipping authors recommend?")
    assert "icebreakers" in answer.text
    assert {c.brief_id for c in answer.citations} == {"arctic-shipping"}


def test_newest_version_answers_unless_all_versions_requested(assistant: BriefsService) -> None:
    answer = assistant.ask("How much will the XM30 program cost?")
    assert "51 billion" in answer.text and "45 billion" not in answer.text
    assert {c.brief_id for c in answer.citations} == {"xm30-v2"}
    passages = assistant.retrieve("XM30 program cost estimate", filters={"all_versions": True})
    assert {"xm30-v1", "xm30-v2"} <= {p.brief_id for p in passages}


def test_stream_yields_sentences_then_the_verified_answer(assistant: BriefsService) -> None:
    events = list(assistant.stream("What did the visit achieve?"))
    assert [e.type for e in events][-1] == "answer" and all(e.type == "delta" for e in events[:-1])
    final = events[-1].answer
    assert final is not None
    assert "".join(e.text for e in events[:-1]).strip() == final.text


def test_cli_ask_json_prints_the_answer_object(ingested_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ui.cli import cli

    result = CliRunner().invoke(
        cli, ["ask", "What did the visit achieve?", "--json", "--data-dir", str(ingested_dir)]
    )
    assert result.exit_code == 0, result.output
    obj = json.loads(result.output)
    assert set(obj) >= {"text", "citations", "abstained", "passages", "timings"}
    assert set(obj["citations"][0]) >= {
        "n",
        "brief_id",
        "title",
        "authors",
        "organisation",
        "date",
        "source",
        "quote",
        "start",
        "end",
        "score",
    }
    assert set(obj["passages"][0]) >= {"brief_id", "title", "text", "start", "end", "score"}


def test_cli_history_file_and_its_errors(ingested_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ui.cli import cli

    history = tmp_path / "h.json"
    history.write_text(
        json.dumps(
            [
                {
                    "role": "user",
                    "content": "Tell me about the Army's XM30 Mechanized Infantry Combat Vehicle.",
                },
                {"role": "assistant", "content": "It replaces the Bradley."},
            ]
        )
    )
    result = CliRunner().invoke(
        cli, ["ask", "Who builds it?", "--json", "--history", str(history), "--data-dir", str(ingested_dir)]
    )
    obj = json.loads(result.output)
    assert "XM30" in obj["query"] and obj["citations"][0]["brief_id"] == "xm30-v2"
    assert "Rheinmetall" in obj["text"]
    history.write_text(json.dumps([{"role": "robot", "content": "x"}]))
    bad = CliRunner().invoke(
        cli, ["ask", "Who builds it?", "--history", str(history), "--data-dir", str(ingested_dir)]
    )
    assert bad.exit_code == 2 and "--history" in bad.output and "role" in bad.output
    bad_date = CliRunner().invoke(cli, ["ask", "x", "--since", "yesterday", "--data-dir", str(ingested_dir)])
    assert bad_date.exit_code == 2 and "date_from" in bad_date.output and "yesterday" in bad_date.output
