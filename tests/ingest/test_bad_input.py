"""Every kind of bad file is reported with its path and reason, skipped, and nothing stored is lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.service import BriefsService
from ui.cli import cli

BAD = {
    "empty.txt": (b"", "file is empty"),
    "binary.txt": (b"\x00\x01\x02binary\x00" * 20, "binary content"),
    "corrupt.pdf": (b"%PDF-1.7\nthis is not really a pdf\n%%EOF", "PDF"),
    "slides.pptx": (b"PK\x03\x04 not supported", "unsupported file type '.pptx'"),
    "latin1.md": ("Résumé of the café policy brief, déjà vu.".encode("latin-1"), "not valid UTF-8"),
    "corrupt.docx": (b"PK\x03\x04 broken zip", "DOCX"),
}


@pytest.fixture
def bad_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "bad"
    folder.mkdir()
    for name, (data, _) in BAD.items():
        (folder / name).write_bytes(data)
    return folder


def test_each_bad_file_is_reported_and_the_store_survives(
    ingestor: BriefsService, tiny_copy: Path, bad_folder: Path
) -> None:
    good = ingestor.ingest([tiny_copy])
    report = ingestor.ingest([*sorted(bad_folder.iterdir()), tiny_copy])
    errors = {Path(f["path"]).name: f["error"] for f in report.failed}
    for name, (_, reason) in BAD.items():
        assert name in errors, f"{name} was not reported"
        assert reason in errors[name], errors[name]
    assert report.unchanged == 6 and report.briefs == good.briefs and report.chunks == good.chunks


def test_oversized_file_is_rejected_with_the_limit(settings, embedder, tiny_copy: Path) -> None:  # type: ignore[no-untyped-def]
    settings.ingest.max_file_mb = 0.0005  # ~524 bytes
    report = BriefsService(settings, embedder=embedder).ingest([tiny_copy / "arctic-shipping.md"])
    assert report.added == 0
    assert (
        "over the limit of" in report.failed[0]["error"]
        and "BRIEFS_INGEST__MAX_FILE_MB" in report.failed[0]["error"]
    )


def test_cli_exit_code_is_nonzero_when_a_file_failed(
    bad_folder: Path, tiny_copy: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "ingest",
            str(tiny_copy),
            str(bad_folder / "corrupt.pdf"),
            "--json",
            "--data-dir",
            str(tmp_path / "d"),
        ],
    )
    assert result.exit_code == 1
    summary = json.loads(result.output.splitlines()[0])
    assert summary["added"] == 6 and summary["failed"][0]["path"].endswith("corrupt.pdf")


def test_missing_path_and_bad_manifest_are_reported(ingestor: BriefsService, tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "brief.txt").write_text(
        "A brief about ports.\n\nPorts matter for trade and security in the region."
    )
    (folder / "manifest.csv").write_text("path,colour\nbrief.txt,blue\n")
    report = ingestor.ingest([folder, tmp_path / "nope"])
    errors = " | ".join(f"{f['path']}: {f['error']}" for f in report.failed)
    assert "unknown column(s) ['colour']" in errors
    assert "nope: no such file or folder" in errors
