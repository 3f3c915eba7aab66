"""What an adversarial probe found in ingest and the store, each pinned by a test (issue 16): nothing already stored
is lost, and no one file can make the work unbounded."""

from __future__ import annotations

import io
import shutil
import sqlite3
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.models import BriefMeta, ChunkRow, PreparedBrief
from assistant.service import BriefsService
from assistant.store import BriefStore, chunk_id
from tests.conftest import test_settings


def _complete(service: BriefsService) -> None:
    """Every committed chunk has its vector and its sentence vectors, and no vector is an orphan."""
    chunks = {c.id for c in service.store.registry.all_chunks()}
    vectors = set(service.store.vectors.collection.get(include=[])["ids"])
    assert vectors == chunks
    committed = service.store.registry.committed()
    assert service.store.registry.sentence_counts() == {i: c.chunks for i, c in committed.items()}  # type: ignore[attr-defined]


# -- 1. two writers on one embedded data dir --------------------------------------------------------------
def test_recovery_waits_for_a_writer_in_another_store_and_never_removes_its_vectors(tmp_path: Path) -> None:
    settings = test_settings(data_dir=tmp_path / "data")
    writer, other = BriefStore(settings), BriefStore(settings)  # two handles, as two processes would have
    text = "A brief about icebreakers and the polar fleet, long enough to be kept."
    meta = BriefMeta(id="inflight", title="In flight", path="/x.md", content_hash="h", chunks=1, chars=len(text))
    brief = PreparedBrief(meta, "f" * 64, text, [ChunkRow(chunk_id("inflight", "f" * 12, 0), "inflight", 0, 0, len(text), None, text)])
    vector = np.ones((1, 384), dtype=np.float32) / np.sqrt(384)
    recovered: list[Any] = []
    with writer.writing():  # vectors written, commit not yet made: exactly when the probe's second ingest struck
        writer.vectors.add(brief.chunks, vector, meta.title, brief.generation)
        thread = threading.Thread(target=lambda: recovered.append(other.recover()))
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), "recovery ran while another writer held the data dir"
        writer.registry.commit_brief(brief)
    thread.join(timeout=30)
    assert recovered and recovered[0].orphans == 0
    assert len(writer.vectors) == 1 and [c.id for c in writer.registry.all_chunks()] == [brief.chunks[0].id]


def test_recovery_re_embeds_a_committed_brief_whose_vectors_went_missing(ingestor: BriefsService, tiny_copy: Path) -> None:
    first = ingestor.ingest([tiny_copy])
    lost = [c.id for c in ingestor.store.registry.all_chunks() if c.brief_id == "arctic-shipping"][:2]
    ingestor.store.vectors.collection.delete(ids=lost)  # what the old recovery did to another writer's brief
    again = ingestor.ingest([tiny_copy])
    assert (again.repaired, again.unchanged, again.added) == (1, 6, 0)
    assert again.chunks == first.chunks
    _complete(ingestor)
    hits = ingestor.retrieve("How many vessels does the icebreaker fleet need?", top_k=3)
    assert hits[0].brief_id == "arctic-shipping"


# -- 2. sentence vectors are committed with the brief, and repaired on recovery -----------------------------
def test_sentence_vectors_are_part_of_the_commit_and_are_repaired(ingestor: BriefsService, tiny_copy: Path) -> None:
    ingestor.ingest([tiny_copy])
    _complete(ingestor)
    db = ingestor.settings.data_dir / "registry.sqlite3"
    with sqlite3.connect(db) as c:  # an older store, or rows lost: what the probe's crash left
        c.execute("DELETE FROM sentences WHERE chunk_id LIKE 'blinkens-visit-to-beijing:%'")
    report = ingestor.ingest([tiny_copy])
    assert report.repaired == 1 and report.unchanged == 6
    _complete(ingestor)


# -- 4. containers that expand without bound -----------------------------------------------------------------
def _docx(extra: dict[str, bytes]) -> bytes:
    import docx

    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("A short brief about water security in the Sahel, with enough words to keep.")
    document.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        for name, data in extra.items():
            dst.writestr(name, data)
    return out.getvalue()


def test_a_docx_that_expands_past_the_limit_is_refused_before_parsing(tmp_path: Path, embedder: Any) -> None:
    service = BriefsService(test_settings(data_dir=tmp_path / "data", ingest={"max_expanded_mb": 5}), embedder=embedder)
    bomb = tmp_path / "bomb.docx"
    bomb.write_bytes(_docx({"word/media/zeros.bin": b"\0" * (24 * 2**20)}))
    assert bomb.stat().st_size < 2**20  # small on disk
    report = service.ingest([bomb])
    assert report.failed and "expands to 24.8 MiB, over the limit of 5.0 MiB" in report.failed[0]["error"]
    assert "BRIEFS_INGEST__MAX_EXPANDED_MB" in report.failed[0]["error"]


def test_text_longer_than_the_limit_is_refused_naming_the_setting(tmp_path: Path, embedder: Any) -> None:
    service = BriefsService(test_settings(data_dir=tmp_path / "data", ingest={"max_text_chars": 2000}), embedder=embedder)
    path = tmp_path / "long.md"
    path.write_text("# Long\n\n" + "Paragraph about ports and shipping lanes. " * 200)
    report = service.ingest([path])
    assert report.failed and "over the limit of 2,000" in report.failed[0]["error"]


# -- 6. duplicates judged by what the files hold now --------------------------------------------------------
def test_a_copy_is_a_brief_of_its_own_once_the_original_changed(ingestor: BriefsService, tmp_path: Path) -> None:
    folder = tmp_path / "briefs"
    folder.mkdir()
    (folder / "a.md").write_text("# Ports\n\nThe port of Rotterdam handled 440 million tonnes of cargo in 2023.\n")
    ingestor.ingest([folder])
    shutil.copy(folder / "a.md", folder / "b.md")
    (folder / "a.md").write_text("# Ports\n\nThe port of Antwerp grew its container traffic by 5 percent in 2024.\n")
    report = ingestor.ingest([folder])
    assert report.skipped == [] and (report.added, report.updated) == (1, 1)
    texts = {b.id: ingestor.brief_text(b.id) for b in ingestor.list_briefs()}
    assert "Rotterdam" in texts["b"] and "Antwerp" in texts["a"]
    shutil.copy(folder / "a.md", folder / "c.md")  # a true duplicate is still skipped
    assert any("same content as brief 'a'" in s["error"] for s in ingestor.ingest([folder]).skipped)


# -- 7. NUL bytes anywhere; UTF-16 with a byte-order mark -----------------------------------------------------
def test_nul_bytes_after_the_first_8_kib_are_refused(ingestor: BriefsService, tmp_path: Path) -> None:
    path = tmp_path / "late-nul.txt"
    path.write_bytes(("Ports and shipping lanes. " * 400).encode() + b"\x00\x00tail")
    report = ingestor.ingest([path])
    assert report.failed and "binary content" in report.failed[0]["error"] and "10400" in report.failed[0]["error"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_with_a_byte_order_mark_is_decoded(ingestor: BriefsService, tmp_path: Path, encoding: str) -> None:
    text = "# Lakes\n\nLake Chad has shrunk by ninety percent since the 1960s, the brief reports.\n"
    data = text.encode(encoding)
    path = tmp_path / "utf16.md"
    path.write_bytes(data if encoding == "utf-16" else b"\xfe\xff" + data)
    report = ingestor.ingest([path])
    assert not report.failed, report.failed
    assert "ninety percent" in ingestor.brief_text(report.ids[0])


# -- 8. ids the routes can serve, readable ids from any script ------------------------------------------------
def test_front_matter_ids_are_validated(ingestor: BriefsService, tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text('---\nid: "team/notes"\n---\n# Notes\n\nA brief about river basins and water treaties in Asia.\n')
    report = ingestor.ingest([path])
    assert report.failed and "'team/notes'" in report.failed[0]["error"] and "no '/'" in report.failed[0]["error"]
    assert ingestor.list_briefs() == []


def test_unicode_file_names_give_readable_ids(ingestor: BriefsService, tmp_path: Path) -> None:
    path = tmp_path / "ünïcødé 名前 brief.md"
    path.write_text("# Unicode\n\nA brief whose file name is not ASCII, about fisheries in the Baltic Sea.\n")
    report = ingestor.ingest([path])
    assert report.ids == ["ünïcødé-名前-brief"]


# -- 9. a looping symlink is reported, not skipped silently -------------------------------------------------------
def test_looping_symlinks_are_reported(ingestor: BriefsService, tmp_path: Path) -> None:
    folder = tmp_path / "briefs"
    folder.mkdir()
    (folder / "ok.md").write_text("# Fine\n\nA brief about grain exports through the Black Sea corridor.\n")
    (folder / "loop.md").symlink_to(folder / "loop.md")
    report = ingestor.ingest([folder])
    assert report.added == 1
    assert any(s["path"].endswith("loop.md") and "link" in s["error"] for s in report.skipped)
