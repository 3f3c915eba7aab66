"""Re-ingesting adds nothing; a changed file replaces its brief; --prune and delete remove cleanly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from assistant.service import BriefsService
from ui.cli import cli


def _vector_ids(ingestor: BriefsService) -> set[str]:
    return set(ingestor.store.vectors.collection.get(include=[])["ids"])


def test_second_run_reports_everything_unchanged(ingestor: BriefsService, tiny_copy: Path) -> None:
    first = ingestor.ingest([tiny_copy])
    assert first.added == 6 and not first.failed
    second = ingestor.ingest([tiny_copy])
    assert (second.added, second.updated, second.unchanged) == (0, 0, 6)
    assert second.chunks == first.chunks == ingestor.store.vector_count()


def test_changed_file_replaces_its_brief_without_stale_chunks(
    ingestor: BriefsService, tiny_copy: Path
) -> None:
    ingestor.ingest([tiny_copy])
    before = {c.id for c in ingestor.store.registry.all_chunks() if c.brief_id == "arctic-shipping"}
    path = tiny_copy / "arctic-shipping.md"
    path.write_text(path.read_text().replace("forty vessels", "fifty-two vessels"))
    report = ingestor.ingest([tiny_copy])
    assert (report.updated, report.unchanged, report.added) == (1, 5, 0)
    after = {c.id for c in ingestor.store.registry.all_chunks() if c.brief_id == "arctic-shipping"}
    assert before.isdisjoint(after)
    assert _vector_ids(ingestor) == {c.id for c in ingestor.store.registry.all_chunks()}
    text = ingestor.store.registry.brief_text("arctic-shipping") or ""
    assert "fifty-two vessels" in text and "forty vessels" not in text


def test_prune_removes_briefs_whose_files_are_gone(ingestor: BriefsService, tiny_copy: Path) -> None:
    ingestor.ingest([tiny_copy])
    (tiny_copy / "semiconductors.txt").unlink()
    kept = ingestor.ingest([tiny_copy])
    assert kept.removed == 0 and kept.briefs == 6
    pruned = ingestor.ingest([tiny_copy], prune=True)
    assert pruned.removed == 1 and pruned.briefs == 5
    assert not any(i.startswith("semiconductors:") for i in _vector_ids(ingestor))


def test_same_content_under_another_name_is_not_added_twice(ingestor: BriefsService, tiny_copy: Path) -> None:
    ingestor.ingest([tiny_copy])
    shutil.copy(tiny_copy / "semiconductors.txt", tiny_copy / "chips-copy.txt")
    report = ingestor.ingest([tiny_copy])
    assert report.added == 0 and report.briefs == 6
    assert any("chips-copy.txt" in s["path"] and "semiconductors" in s["error"] for s in report.skipped)


def test_cli_ingest_twice_and_docs_list_delete(tiny_copy: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    data = str(tmp_path / "cli-data")
    first = runner.invoke(cli, ["ingest", str(tiny_copy), "--json", "--data-dir", data])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output)
    assert set(summary) >= {"added", "updated", "unchanged", "removed", "failed", "briefs", "chunks"}
    second = json.loads(runner.invoke(cli, ["ingest", str(tiny_copy), "--json", "--data-dir", data]).output)
    assert second["unchanged"] == summary["briefs"] == 6 and second["chunks"] == summary["chunks"]

    listed = json.loads(runner.invoke(cli, ["docs", "list", "--json", "--data-dir", data]).output)
    by_id = {b["id"]: b for b in listed}
    assert by_id["arctic-shipping"]["chunks"] >= 1 and by_id["arctic-shipping"]["authors"] == [
        "Maria Lindqvist",
        "Tomas Berg",
    ]

    deleted = runner.invoke(cli, ["docs", "delete", "arctic-shipping", "--data-dir", data])
    assert deleted.exit_code == 0
    missing = runner.invoke(cli, ["docs", "delete", "arctic-shipping", "--data-dir", data])
    assert missing.exit_code == 1 and "No brief with id 'arctic-shipping'" in missing.output
    listed = json.loads(runner.invoke(cli, ["docs", "list", "--json", "--data-dir", data]).output)
    assert "arctic-shipping" not in {b["id"] for b in listed}


def test_same_file_name_in_two_folders_gets_two_ids(ingestor: BriefsService, tmp_path: Path) -> None:
    for folder, topic in (("a", "ports in the Baltic"), ("b", "rare earth mining in Greenland")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "brief.md").write_text(
            f"# Brief on {topic}\n\nThis brief discusses {topic} and what governments plan to do about it."
        )
    report = ingestor.ingest([tmp_path / "a", tmp_path / "b"])
    assert report.added == 2 and report.briefs == 2
    assert len({b.id for b in ingestor.store.list_briefs()}) == 2


def test_identical_files_in_one_run_are_added_once(ingestor: BriefsService, tmp_path: Path) -> None:
    for name in ("one.txt", "two.txt"):
        (tmp_path / name).write_text(
            "Chips policy\n\nExport controls restrict advanced chips and the tools that make them."
        )
    report = ingestor.ingest([tmp_path / "one.txt", tmp_path / "two.txt"])
    assert report.added == 1 and len(report.skipped) == 1 and report.briefs == 1


def test_an_explicit_id_cannot_take_over_another_brief(ingestor: BriefsService, tmp_path: Path) -> None:
    (tmp_path / "first.md").write_text(
        "---\nid: shared\n---\n# First\n\nThe first brief is about fisheries and quotas in the North Sea."
    )
    (tmp_path / "second.md").write_text(
        "---\nid: shared\n---\n# Second\n\nThe second brief is about wind farms and grid links."
    )
    report = ingestor.ingest([tmp_path])
    assert report.added == 1 and "already belongs to" in report.failed[0]["error"]
    assert ingestor.store.get_brief("shared").title == "First"
