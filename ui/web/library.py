"""Library actions of the web UI (upload, delete, filter choices), framework-free: each returns plain
messages that the page renders. Uploads go through :meth:`BriefsService.upload`, as the HTTP API's do, so a bad
file is reported by name with its reason and changes nothing.

>>> ok, failed = upload_briefs(service, ["/tmp/gradio/ab12/brief.md"])    # doctest: +SKIP
>>> ok                                                                      # doctest: +SKIP
['brief.md: added “Coral Reefs” (brief, 2 chunks)']
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from assistant.errors import BriefsError, NotFoundError
from assistant.models import BriefMeta, UploadResult
from assistant.service import BriefsService
from assistant.settings import Settings, WebSettings
from ui.auth import Denied, api_keys, authorize, key_is_valid

logger = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
WriteAccess = Literal["open", "key", "disabled"]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
Outcome = tuple[list[str], list[tuple[str, str]]]  # (success lines, (file or id, reason) failures)


def upload_briefs(service: BriefsService, paths: list[str], progress: Progress | None = None) -> Outcome:
    """Save and ingest each uploaded file in turn (the file's own name is kept)."""
    ok: list[str] = []
    failed: list[tuple[str, str]] = []
    for i, path in enumerate(paths):
        name = Path(path).name
        if progress:
            progress(i / len(paths), f"Ingesting {name} ({i + 1}/{len(paths)})")
        try:
            with open(path, "rb") as stream:
                result = service.upload([(name, stream)])[0]
        except (BriefsError, OSError) as e:
            failed.append((name, f"{e} Nothing was changed."))
            continue
        if result.status in ("failed", "skipped"):
            failed.append((name, f"{result.error or result.status}. Nothing was changed."))
        else:
            ok.append(_describe(service, result))
    logger.info("web upload: %s ingested, %s failed", len(ok), len(failed))
    return ok, failed


def _describe(service: BriefsService, result: UploadResult) -> str:
    try:
        meta = service.get_brief(result.brief_id or "")
    except NotFoundError:
        return f"{result.filename}: {result.status}"
    return f"{result.filename}: {result.status} “{meta.title}” ({meta.id}, {meta.chunks} chunks)"


def delete_brief(service: BriefsService, brief_id: str | None) -> Outcome:
    """Delete one brief (and its uploaded file, if it was uploaded)."""
    if not brief_id:
        return [], [("delete", "Choose a brief to delete first.")]
    try:
        meta = service.delete(brief_id)
    except BriefsError as e:
        return [], [(brief_id, str(e))]
    return [f"Deleted “{meta.title}” ({brief_id})."], []


def write_access(settings: Settings) -> WriteAccess:
    """Who may upload and delete in the web UI: with API keys configured, whoever enters one; without
    keys, anyone on a loopback-only server (local use) and nobody on a server reachable from outside."""
    if api_keys(settings):
        return "key"
    return "open" if settings.host in LOOPBACK else "disabled"


def check_write(settings: Settings, key: str | None) -> str | None:
    """None when a library write is allowed, else the message saying why not and how to fix it."""
    access = write_access(settings)
    if access == "open":
        return None
    if access == "disabled":
        return (
            f"Uploading and deleting are off: the server listens on {settings.host!r} and no API key is set. "
            "Set BRIEFS_API_KEYS=<key> (then enter it here) or serve on 127.0.0.1."
        )
    if key_is_valid(settings, key):
        return None
    return "Enter a valid API key (one of BRIEFS_API_KEYS) to upload or delete briefs."


def brief_choices(briefs: list[BriefMeta]) -> list[tuple[str, str]]:
    """(label, id) pairs for a brief dropdown, sorted by title."""
    return [(f"{b.title} ({b.id})", b.id) for b in sorted(briefs, key=lambda b: (b.title.lower(), b.id))]


def filter_choices(briefs: list[BriefMeta]) -> tuple[list[str], list[str]]:
    """The distinct authors and organisations, for the filter dropdowns."""
    authors = sorted({a for b in briefs for a in b.authors}, key=str.lower)
    organisations = sorted({b.organisation for b in briefs if b.organisation}, key=str.lower)
    return authors, organisations


def upload_denied(settings: Settings, key: str | None) -> Denied | None:
    """Whether a file may be sent to Gradio's upload endpoint: freely on a loopback server without keys (local use),
    never on a server reachable from outside without keys, else only with a key that may write."""
    access = write_access(settings)
    if access == "open":
        return None
    return authorize(settings, key, write=True)


def short_title(title: str, limit: int = 60) -> str:
    """A title without its subtitle or parenthetical, cut at a word boundary."""
    head = re.split(r"[:(\[]|\s[–—-]\s", title, maxsplit=1)[0].strip() or title
    return head if len(head) <= limit else head[:limit].rsplit(" ", 1)[0] + "…"


def example_questions(briefs: list[BriefMeta], settings: WebSettings) -> list[str]:
    """The example questions the chat offers: the operator's, or questions about the newest briefs that show what
    the assistant answers (a summary, an author, the briefs on a topic)."""
    if settings.examples:
        return list(settings.examples)[: settings.example_count]
    newest = sorted(briefs, key=lambda b: (b.date or "", b.title), reverse=True)
    forms = [
        lambda b: f"What is “{short_title(b.title)}” about?",
        lambda b: f"Who wrote “{short_title(b.title)}”?",
        lambda b: (
            f"Which briefs discuss {b.topics[0].split(' & ')[0].lower()}?"
            if b.topics
            else f"What does “{short_title(b.title)}” recommend?"
        ),
    ]
    return [forms[i % len(forms)](b) for i, b in enumerate(newest[: settings.example_count])]
