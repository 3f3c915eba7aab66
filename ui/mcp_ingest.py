"""The MCP ``ingest`` tool and who may call it (:class:`WritePolicy`); the read tools are in :mod:`ui.mcp`.

A brief arrives as uploaded content (a file name and the text, or base64 of the bytes) and goes through
:meth:`~assistant.service.BriefsService.upload`, as an HTTP upload does; the local user of a stdio server may
also name a file or folder on the machine (:meth:`~assistant.service.BriefsService.ingest`).
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from assistant.models import UPLOAD_SUFFIXES
from assistant.service import BriefsService
from assistant.settings import Settings
from ui.auth import authorize

WRITES = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
SUFFIXES = " ".join(UPLOAD_SUFFIXES)
INGEST_DOC = f"""Add a brief to the library, or update it when a file of the same name is sent again with new
content, so that `ask` and `search` can use it. Send the file: `filename` with its extension ({SUFFIXES}) and
`content`, the text itself, or base64 of the file's bytes with encoding "base64" (needed for .pdf and .docx).
Title, authors, organisation and date are read from the document itself, e.g. from Markdown YAML front matter
(title, authors, organisation, date). Unchanged content is not ingested twice."""
PATH_DOC = "Or give `path`, a file or folder on the server's machine (folders are read recursively)."


@dataclass(frozen=True)
class WritePolicy:
    """Who may call ``ingest``: nobody (``off``: not listed, calls refused with ``refusal``), the local user of a
    stdio server started with ``--allow-write`` (``local``: server paths and uploaded content), or HTTP callers
    whose ``Authorization: Bearer`` key is one of ``keys.api_keys`` (``api_key``: uploaded content only)."""

    mode: Literal["off", "local", "api_key"]
    refusal: str = (
        "Writing is disabled on this server: start it with `briefs mcp --allow-write` to ingest briefs."
    )
    keys: Settings | None = None

    def denial(self, key: str | None) -> str | None:
        """None when ``key`` may ingest, else why not."""
        if self.mode == "local":
            return None
        if self.mode == "off" or self.keys is None:
            return self.refusal
        denied = authorize(self.keys, key, write=True)
        return denied.message if denied else None


class IngestedFile(BaseModel):
    file: str = Field(description="The uploaded file name, or the file's path on the server.")
    status: Literal["added", "updated", "unchanged", "skipped", "failed", "ingested"] = Field(
        description="ingested: written from a server path (added or updated)."
    )
    brief_id: str | None = None
    error: str | None = Field(None, description="Why the file failed or was skipped.")


class IngestResult(BaseModel):
    files: list[IngestedFile]
    briefs: int = Field(description="Briefs in the library afterwards.")


Filename = Annotated[
    str | None, Field(description=f"File name with extension, e.g. 'brief.md' ({SUFFIXES}).")
]
Content = Annotated[
    str | None, Field(description="The file: its text, or base64 of its bytes (see encoding).")
]
Encoding = Annotated[
    Literal["text", "base64"],
    Field(description="How content is given: text (default) or base64 (binary files)."),
]
ServerPath = Annotated[str | None, Field(description="A file or folder on the server's machine.")]


def add_ingest(server: MCPServer, service: BriefsService, write: WritePolicy) -> None:
    """Register ``ingest`` on ``server`` as ``write`` allows: by path too for the local user, content only else."""

    def ingest(
        path: ServerPath = None,
        filename: Filename = None,
        content: Content = None,
        encoding: Encoding = "text",
    ) -> Annotated[CallToolResult, IngestResult]:
        if path is not None and (filename or content is not None):
            raise ToolError("give either path, or filename and content, not both.")
        if path is not None:
            return _ingest_path(service, path)
        return _upload(service, filename, content, encoding)

    def ingest_upload(
        ctx: Context[Any, Any],
        filename: Filename = None,
        content: Content = None,
        encoding: Encoding = "text",
    ) -> Annotated[CallToolResult, IngestResult]:
        why = write.denial(_bearer(ctx))
        if why is not None:
            raise ToolError(why)
        return _upload(service, filename, content, encoding)

    if write.mode == "off":
        return
    local = write.mode == "local"
    doc = " ".join(f"{INGEST_DOC} {PATH_DOC if local else ''}".split())
    server.add_tool(ingest if local else ingest_upload, name="ingest", description=doc, annotations=WRITES)


def _bearer(ctx: Context[Any, Any]) -> str | None:
    scheme, _, key = ((ctx.headers or {}).get("authorization") or "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else None


def _upload(
    service: BriefsService, filename: str | None, content: str | None, encoding: str
) -> CallToolResult:
    if not filename or content is None:
        raise ToolError(
            f"{'filename' if not filename else 'content'} is missing: send filename and content together"
            " (or, to a stdio server started with --allow-write, a path)."
        )
    results = service.upload([(filename, io.BytesIO(_decode(content, encoding)))])
    files = [
        IngestedFile(file=r.filename, status=r.status, brief_id=r.brief_id, error=r.error) for r in results
    ]
    return _ingest_result(service, files)


def _decode(content: str, encoding: str) -> bytes:
    if encoding == "text":
        return content.encode("utf-8")
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ToolError(
            f"content: not valid base64 ({e}); send base64 of the file's bytes, or the text with encoding 'text'."
        ) from e


def _ingest_path(service: BriefsService, path: str) -> CallToolResult:
    where = Path(path).expanduser()
    if not where.exists():
        raise ToolError(f"path: no file or folder at {path!r} on the server; give an existing path.")
    report = service.ingest([where])
    files = [IngestedFile(file=f["path"], status="failed", error=f["error"]) for f in report.failed]
    files += [IngestedFile(file=s["path"], status="skipped", error=s["error"]) for s in report.skipped]
    files += [IngestedFile(file=service.get_brief(i).path, status="ingested", brief_id=i) for i in report.ids]
    summary = (
        f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
        f"failed {len(report.failed)}"
    )
    return _ingest_result(service, files, summary)


def _ingest_result(service: BriefsService, files: list[IngestedFile], summary: str = "") -> CallToolResult:
    """The outcome per file, and an error result (the outcomes still included) when a file failed."""
    body = IngestResult(files=files, briefs=len(service.list_briefs()))
    lines = [summary] if summary else []
    for f in files:
        done = f" as {f.brief_id}" if f.brief_id else ""
        lines.append(f"{f.file}: {f.status}{done}" + (f": {f.error}" if f.error else ""))
    lines.append(f"{body.briefs} briefs in the library.")
    return CallToolResult(
        content=[TextContent(type="text", text="\n".join(lines))],
        structured_content=body.model_dump(mode="json"),
        is_error=any(f.status == "failed" for f in files),
    )
