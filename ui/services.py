"""One process-wide set of services shared by the HTTP API and the web UI (same store, same models).

Ingest and delete go through one lock so that uploads from several clients don't interleave; questions
run concurrently.
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path

from assistant.service import Assistant
from assistant.settings import Settings
from ingest.pipeline import Ingestor, IngestReport


class Services:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.write_lock = threading.Lock()

    @cached_property
    def assistant(self) -> Assistant:
        return Assistant(self.settings)

    @cached_property
    def ingestor(self) -> Ingestor:
        a = self.assistant
        return Ingestor(self.settings, store=a.store, embedder=a.embedder)  # type: ignore[arg-type]

    def ingest(self, paths: list[Path]) -> IngestReport:
        with self.write_lock:
            return self.ingestor.ingest(paths)

    def delete(self, brief_id: str) -> None:
        with self.write_lock:
            self.ingestor.delete(brief_id)

    def uploads_dir(self) -> Path:
        folder = self.settings.data_dir / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
