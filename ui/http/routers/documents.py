"""Briefs as a resource: list, read, upload (multipart) and delete ``/v1/documents``.

Uploading and deleting always need an API key (see :func:`ui.http.routers.common.require_write_key`).
Server folders are not exposed: ``path`` in responses is the file name only. A request body larger than the
upload limit is refused by :class:`UploadLimit` before any of it is read.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import Field
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.models import UPLOAD_SUFFIXES, BriefMeta, BriefText
from assistant.service import BriefsService
from ui.http.routers.common import ApiError, ServiceDep, error_body, errors, require_write_key
from ui.render import public_meta

router = APIRouter(prefix="/v1/documents", tags=["Documents"])

MAX_FILES = 20
FORM_OVERHEAD_BYTES = 1 << 20


class Document(BriefMeta):
    text: str


class Reading(BriefText):
    """What the web reader shows: the whole brief, where its sections and pages lie, and its original file."""

    file_url: str | None = Field(
        None,
        description="Where the original file is served (same auth as the API); append #page=N to open it at a "
        "page, e.g. /v1/files/{id}#page=4. Null when no original is kept (only PDFs' are).",
        examples=["/v1/files/farm-bill-primer"],
    )


@router.get("", response_model=list[BriefMeta], summary="Every ingested brief with its metadata")
def list_documents(service: ServiceDep) -> list[dict[str, Any]]:
    return [public_meta(b) for b in service.list_briefs()]


@router.get(
    "/{brief_id}",
    response_model=Document,
    summary="One brief: metadata and cleaned text (citations index into it)",
    responses=errors(401, 404),
)
def get_document(brief_id: str, service: ServiceDep) -> dict[str, Any]:
    return {**public_meta(service.get_brief(brief_id)), "text": service.brief_text(brief_id)}


@router.get(
    "/{brief_id}/text",
    response_model=Reading,
    summary="One brief for reading: cleaned text with its sections, page map and original file",
    responses=errors(401, 404),
)
def read_document(brief_id: str, service: ServiceDep) -> Reading:
    """Citation offsets [start, end) index into ``text``; ``sections`` give each heading's span; for a PDF,
    ``pages`` give each page's span (so the page of any offset is known) and ``file_url`` serves the PDF."""
    reading = service.read_brief(brief_id)
    url = f"/v1/files/{brief_id}" if reading.file_type else None
    return Reading.model_validate({**reading.model_dump(), "file_url": url})


@router.delete(
    "/{brief_id}",
    dependencies=[Depends(require_write_key)],
    summary="Delete a brief (needs an API key)",
    responses=errors(401, 403, 404),
)
def delete_document(brief_id: str, service: ServiceDep) -> dict[str, Any]:
    service.delete(brief_id)
    return {"id": brief_id, "deleted": True}


@router.post(
    "",
    dependencies=[Depends(require_write_key)],
    status_code=201,
    responses=errors(400, 401, 403, 411, 413, 415, 422),
    summary="Upload and ingest briefs (multipart; needs an API key)",
)
async def upload_documents(
    service: ServiceDep,
    files: Annotated[
        list[UploadFile],
        File(
            description=f"One or more briefs ({' '.join(UPLOAD_SUFFIXES)}), at most {MAX_FILES} per request."
        ),
    ],
) -> JSONResponse:
    """Checks every file (name, type, size) before saving any; per-file results come back.
    201 when a brief was added or updated, 200 when every file was already stored (unchanged or a duplicate),
    422 (with the per-file results) when one could not be ingested."""
    if len(files) > MAX_FILES:
        raise ApiError(413, f"{len(files)} files in one request; send at most {MAX_FILES}.", "too_many_files")
    body = await run_in_threadpool(_upload, service, [(u.filename or "", u.file) for u in files])
    failed = [r for r in body["results"] if r["status"] == "failed"]
    if failed:
        message = "; ".join(f"{r['filename']!r} could not be ingested: {r['error']}" for r in failed)
        return JSONResponse(
            {**error_body(message, "invalid_request_error", "ingest_failed"), **body}, status_code=422
        )
    created = any(r["status"] in ("added", "updated") for r in body["results"])
    return JSONResponse(body, status_code=201 if created else 200)


def _upload(service: BriefsService, files: list[tuple[str, Any]]) -> dict[str, Any]:
    results = service.upload(files)
    return {"results": [r.to_json() for r in results], "briefs": len(service.list_briefs())}


class UploadLimit:
    """ASGI middleware: refuse an upload to /v1/documents without Content-Length (411) or larger than the limit
    allows (413) before its body is read, so an oversized request never reaches the multipart parser."""

    def __init__(self, app: ASGIApp, max_file_mb: float) -> None:
        self.app = app
        self.max_file_mb = max_file_mb

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].rstrip("/") == router.prefix
        ):
            error = self._check(dict(scope["headers"]))
            if error is not None:
                await error(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _check(self, headers: dict[bytes, bytes]) -> JSONResponse | None:
        length = headers.get(b"content-length")
        if length is None or not length.isdigit():
            return JSONResponse(
                error_body(
                    "Send the upload with a Content-Length header (chunked uploads are not accepted).",
                    "invalid_request_error",
                    "length_required",
                ),
                411,
            )
        size = int(length)
        if size > self.max_file_mb * 2**20 * MAX_FILES + FORM_OVERHEAD_BYTES:
            return JSONResponse(
                error_body(
                    f"Request body is {size / 2**20:.1f} MiB; each file may be at most {self.max_file_mb:g} MiB "
                    f"(BRIEFS_INGEST__MAX_FILE_MB), {MAX_FILES} files per request.",
                    "invalid_request_error",
                    "file_too_large",
                ),
                413,
            )
        return None
