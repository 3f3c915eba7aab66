"""Copies of the original PDFs under the data dir, so that a citation can open its brief's file at the page
(``/v1/files/{id}#page=4``) wherever the brief was ingested from, and only files under the data dir are served.

A copy is named by the file's SHA-256 (``files/<sha256>.pdf``, the brief's ``content_hash``): it is written
(to a temporary name, checked, then renamed) before the brief is committed, so a committed PDF brief has its file;
copies no brief refers to any more are removed by :meth:`Originals.prune` after each ingest and delete.

>>> originals = Originals(Path("data/files"))             # doctest: +SKIP
>>> originals.keep(Path("briefs/grid.pdf"), meta.content_hash)  # doctest: +SKIP
>>> originals.path_of(meta)                              # doctest: +SKIP
PosixPath('data/files/3f9a….pdf')
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import uuid
from pathlib import Path

from assistant.models import BriefMeta

logger = logging.getLogger(__name__)

FOLDER = "files"
KEPT = {".pdf": "application/pdf"}  # the formats whose original is kept and served
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class Originals:
    """The folder of kept originals (``<data dir>/files``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @staticmethod
    def kept_type(path: str | Path) -> str | None:
        """The media type of ``path`` when its original is kept (PDFs), else None."""
        return KEPT.get(Path(path).suffix.lower())

    def keep(self, source: Path, content_hash: str) -> bool:
        """Copy ``source`` in, unless it is there already; False when the file no longer has ``content_hash``
        (it changed after it was read: the next ingest picks the new content up)."""
        suffix = source.suffix.lower()
        if suffix not in KEPT or not SHA256.match(content_hash):
            return False
        target = self.folder / f"{content_hash}{suffix}"
        if target.is_file():
            return True
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{content_hash}-{uuid.uuid4().hex[:8]}.tmp"
        try:
            data = source.read_bytes()
            if hashlib.sha256(data).hexdigest() != content_hash:
                logger.warning("%s changed while it was ingested; its original is not kept this time", source)
                return False
            tmp.write_bytes(data)
            os.replace(tmp, target)
        except OSError as e:
            logger.warning("could not keep a copy of %s under %s: %s", source, self.folder, e)
            tmp.unlink(missing_ok=True)
            return False
        return True

    def path_of(self, meta: BriefMeta) -> Path | None:
        """The kept original of ``meta``, only if it is a regular file inside the folder (a link pointing out of
        the data dir, or a hash that is not one, gives None)."""
        suffix = Path(meta.path).suffix.lower()
        if suffix not in KEPT or not SHA256.match(meta.content_hash):
            return None
        candidate = self.folder / f"{meta.content_hash}{suffix}"
        try:
            resolved = candidate.resolve(strict=True)
            root = self.folder.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not resolved.is_relative_to(root) or not resolved.is_file():
            return None
        return resolved

    def prune(self, live: set[str]) -> int:
        """Remove kept files (and stale temporaries) whose hash no brief has; returns how many went."""
        if not self.folder.is_dir():
            return 0
        removed = 0
        for f in self.folder.iterdir():
            stem = f.name.split(".", 1)[0] if not f.name.startswith(".") else ""
            if f.name.startswith(".") or (SHA256.match(stem) and stem not in live):
                try:
                    f.unlink()
                    removed += 1
                except OSError as e:
                    logger.warning("could not remove %s: %s", f, e)
        return removed
