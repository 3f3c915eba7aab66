"""Uploaded briefs: check the client's file name, type and size, save under the uploads folder, ingest.

Used by :meth:`assistant.service.BriefsService.upload`, which every surface (HTTP, web, MCP) calls. A file is
written to a temporary name first and moved into place only once it passed the checks; if ingesting it fails,
the previous file of that name (and so the brief already stored from it) is put back, so a bad upload never
loses what was there.

>>> uploads = Uploads(Path("data/uploads"), max_mb=25, ingest=service.ingest, brief_at=service.brief_id_at)   # doctest: +SKIP
>>> uploads.save_and_ingest([("brief.md", open("brief.md", "rb"))])[0].status                               # doctest: +SKIP
'added'
"""

from __future__ import annotations

import logging
import os
import re
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Literal

from assistant.errors import UploadRejected
from assistant.models import UPLOAD_SUFFIXES, IngestReport, UploadResult

logger = logging.getLogger(__name__)

ALLOWED_SUFFIXES = UPLOAD_SUFFIXES
MAX_NAME_CHARS = 160
CHUNK_BYTES = 1 << 20

Reason = Literal["invalid_filename", "unsupported_file_type", "file_too_large", "empty_file", "ingest_failed"]


def safe_filename(name: str | None) -> str:
    """The client's file name if it is a plain, harmless name with a supported suffix; UploadRejected otherwise.

    Folders and '..' are refused rather than stripped: a client sending them is either confused or hostile.
    Characters other than letters, digits, space, '.', '-', '_' become '_'.
    """
    if not name or not name.strip():
        raise UploadRejected(
            "The uploaded file has no file name; send one, e.g. 'brief.md'.", "invalid_filename"
        )
    if "/" in name or "\\" in name or name.strip() in {".", ".."} or "\x00" in name:
        raise UploadRejected(
            f"File name {name!r} must be a plain file name, without folders or '..' (e.g. 'brief.md').",
            "invalid_filename",
        )
    clean = re.sub(r"[^\w .\-]", "_", name.strip(), flags=re.ASCII).lstrip(".")
    if not clean or len(clean) > MAX_NAME_CHARS:
        raise UploadRejected(
            f"File name {name!r} is empty after cleaning or longer than {MAX_NAME_CHARS} characters.",
            "invalid_filename",
        )
    suffix = Path(clean).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise UploadRejected(
            f"File {name!r} has unsupported type {suffix or '(none)'!r}; supported: {' '.join(ALLOWED_SUFFIXES)}.",
            "unsupported_file_type",
        )
    return clean


def check_size(name: str, size: int | None, max_mb: float) -> None:
    """UploadRejected when ``size`` (bytes; None = unknown) is zero or over ``max_mb`` MiB."""
    if size is None:
        return
    if size == 0:
        raise UploadRejected(f"File {name!r} is empty.", "empty_file")
    if size > max_mb * 2**20:
        raise UploadRejected(
            f"File {name!r} is {size / 2**20:.1f} MiB, over the limit of {max_mb:g} MiB (BRIEFS_INGEST__MAX_FILE_MB).",
            "file_too_large",
        )


class Uploads:
    """The uploads folder: save checked files, ingest them, put the previous file back when that fails."""

    def __init__(
        self,
        folder: Path,
        max_mb: float,
        ingest: Callable[[list[Path]], IngestReport],
        brief_at: Callable[[str], str | None],
    ) -> None:
        self.folder = folder
        self.max_mb = max_mb
        self._ingest = ingest
        self._brief_at = brief_at
        self.lock = (
            threading.Lock()
        )  # one upload or delete at a time touches the folder (save, back up, restore)

    def save_and_ingest(self, files: list[tuple[str, BinaryIO]]) -> list[UploadResult]:
        """Check every file first (name, type, size), then save and ingest them one by one.

        Raises UploadRejected, having saved nothing, when any file fails a check. Files that cannot be
        ingested come back with status 'failed' and the reason; whatever was stored before is kept.
        """
        checked = []
        for name, stream in files:
            clean = safe_filename(name)
            check_size(name, _size(stream), self.max_mb)
            checked.append((name, clean, stream))
        if len({c for _, c, _ in checked}) < len(checked):
            raise UploadRejected(
                "Two uploaded files have the same name; send each name once.", "invalid_filename"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        folder = self.folder.resolve()
        with self.lock:
            return [self._save_one(folder, name, clean, stream) for name, clean, stream in checked]

    def remove(self, path: str) -> None:
        """Delete ``path`` if it is a file inside the uploads folder (briefs ingested from elsewhere are left alone).
        Callers hold ``lock``."""
        target = Path(path).resolve()
        if target.parent == self.folder.resolve() and target.is_file():
            target.unlink()
            logger.info("removed uploaded file %s", target)

    def _save_one(self, folder: Path, name: str, clean: str, stream: BinaryIO) -> UploadResult:
        target = folder / clean
        if target.parent != folder:  # belt and braces: safe_filename already refused separators
            raise UploadRejected(
                f"File name {name!r} would be saved outside the uploads folder.", "invalid_filename"
            )
        tmp = folder / f".incoming-{uuid.uuid4().hex}{target.suffix}"
        backup = folder / f".previous-{uuid.uuid4().hex}{target.suffix}"
        try:
            _copy_limited(name, stream, tmp, self.max_mb)
            if target.exists():
                os.replace(target, backup)
            os.replace(tmp, target)
            result = self._ingest_one(name, target)
            if result.status in ("failed", "skipped"):
                _restore(target, backup)
            return result
        except BaseException:
            _restore(target, backup)
            raise
        finally:
            tmp.unlink(missing_ok=True)
            backup.unlink(missing_ok=True)

    def _ingest_one(self, name: str, target: Path) -> UploadResult:
        report = self._ingest([target])
        if report.failed:
            return UploadResult(name, "failed", error=report.failed[0]["error"])
        if report.skipped:
            return UploadResult(name, "skipped", error=report.skipped[0]["error"])
        status: Literal["added", "updated", "unchanged"] = (
            "added" if report.added else "updated" if report.updated else "unchanged"
        )
        return UploadResult(
            name, status, brief_id=report.ids[0] if report.ids else self._brief_at(str(target))
        )


def _size(stream: BinaryIO) -> int | None:
    try:
        here = stream.tell()
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        stream.seek(here)
        return size
    except (OSError, AttributeError):
        return None


def _copy_limited(name: str, stream: BinaryIO, dest: Path, max_mb: float) -> None:
    stream.seek(0)
    written = 0
    with dest.open("wb") as out:
        while block := stream.read(CHUNK_BYTES):
            written += len(block)
            check_size(name, written, max_mb)
            out.write(block)
    check_size(name, written, max_mb)


def _restore(target: Path, backup: Path) -> None:
    """Put the previous file back (or remove the new one when there was none)."""
    if backup.exists():
        os.replace(backup, target)
    else:
        target.unlink(missing_ok=True)
