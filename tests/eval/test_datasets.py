"""Dataset loading: both formats, errors that name the line and field, and the gold set's labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from eval.datasets import DatasetError, load_dataset, parse_jsonl, parse_rag_dataset
from tests.conftest import CORPUS, ROOT, SHARED

GOLD = ROOT / "eval" / "datasets" / "gold.jsonl"
GOOD = {"id": "a", "query": "What did the visit achieve?", "key_facts": [["working groups"], "communication"]}


def _jsonl(*rows: object) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows)


def test_jsonl_item_with_defaults_and_bare_string_facts() -> None:
    [item] = parse_jsonl(_jsonl(GOOD))
    assert (
        item.answerable and item.history == [] and item.key_facts == [["working groups"], ["communication"]]
    )


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ((GOOD, "{not json"), r"data.jsonl:2: not valid JSON"),
        (({"id": "a"},), r"data.jsonl:1: query: Field required"),
        (
            ({**GOOD, "key_fact": []},),
            r"data.jsonl:1: key_fact: Extra inputs are not permitted .*valid fields: id, query, answerable",
        ),
        (({**GOOD, "answerable": False},), r"data.jsonl:1: .*unanswerable item .* cannot list key_facts"),
        (
            ({**GOOD, "key_facts": [["ok"], []]},),
            r"data.jsonl:1: key_facts: .*key_facts\[1\] must be a non-empty list",
        ),
        (
            ({**GOOD, "history": [{"role": "robot", "content": "hi"}]},),
            r"data.jsonl:1: history\[0\]\.role: Input should be 'user', 'assistant' or 'system'",
        ),
        ((GOOD, "", GOOD), r"data.jsonl:3: id 'a' is already used on line 1"),
        (("",), r"data.jsonl: no items"),
    ],
)
def test_jsonl_errors_name_line_and_field(rows: tuple, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        parse_jsonl(_jsonl(*rows), "data.jsonl")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"examples": [{"query": "q"}, {"reference_answer": "a"}]}',
            r"examples\[1\]\.query: Field required",
        ),
        ('{"examples": []}', r"examples: List should have at least 1 item"),
        ("[1, 2", r"not valid JSON"),
    ],
)
def test_rag_dataset_errors_name_the_example(text: str, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        parse_rag_dataset(text)


def test_rag_dataset_null_contexts_are_allowed() -> None:
    [item] = parse_rag_dataset(
        '{"examples": [{"query": "q", "reference_contexts": null, "reference_answer": "a", "query_by": {"type": "ai"}}]}'
    )
    assert (item.id, item.reference_contexts, item.reference_answer) == ("q001", [], "a")


def test_sources_default_to_the_sidecar_or_corpus(tmp_path: Path) -> None:
    (tmp_path / "plain.jsonl").write_text(_jsonl(GOOD))
    assert load_dataset(tmp_path / "plain.jsonl").sources == [CORPUS.resolve()]
    (tmp_path / "side.jsonl").write_text(_jsonl(GOOD))
    (tmp_path / "docs").mkdir()
    (tmp_path / "side.meta.json").write_text(json.dumps({"sources": ["docs"]}))
    assert load_dataset(tmp_path / "side.jsonl").sources == [(tmp_path / "docs").resolve()]
    with pytest.raises(DatasetError, match=r"Sources of dataset 'side' not found: .*nowhere; pass --sources"):
        load_dataset(tmp_path / "side.jsonl", sources=[tmp_path / "nowhere"])


def test_llamaindex_dataset_folder_loads_with_its_sources() -> None:
    folder = SHARED / "evaldata" / "paul_graham_essay"
    if not folder.is_dir():
        pytest.skip(f"{folder} not present")
    ds = load_dataset(folder)
    assert (ds.name, ds.format, len(ds.items)) == ("paul_graham_essay", "rag_dataset", 44)
    assert [p.resolve() for p in ds.sources] == [(folder / "source").resolve()] and all(
        i.reference_contexts for i in ds.items
    )


def test_gold_set_is_labelled_from_the_brief() -> None:
    ds = load_dataset(GOLD)
    brief = (CORPUS / "blinkens-visit-to-beijing.txt").read_text(encoding="utf-8")
    assert len(ds.items) >= 25 and ds.sources == [CORPUS.resolve()]
    assert sum(not i.answerable for i in ds.items) >= 5 and sum(bool(i.history) for i in ds.items) >= 4
    for item in ds.items:
        assert all(c in brief for c in item.reference_contexts), (
            f"{item.id}: reference context not copied exactly"
        )
        if item.answerable:
            assert item.reference_contexts and item.key_facts and item.reference_answer, item.id
            assert all(
                any(
                    alt.lower() in brief.lower().replace("’", "'") or alt.lower() in brief.lower()
                    for alt in facts
                )
                for facts in item.key_facts
            ), f"{item.id}: a key fact the brief never states"


def test_cli_reports_a_bad_dataset_line(tmp_path: Path) -> None:
    from ui.cli import cli

    bad = tmp_path / "bad.jsonl"
    bad.write_text(_jsonl(GOOD, {"id": "b", "query": ""}))
    result = CliRunner().invoke(cli, ["eval", "run", "--dataset", str(bad)])
    assert result.exit_code == 1
    assert "bad.jsonl:2: query: String should have at least 1 character" in result.output
