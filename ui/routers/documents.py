"""Briefs as a resource: list, read, upload (multipart) and delete ``/v1/documents``.

Uploading and deleting always need an API key (see :func:`ui.routers.common.require_write_key`).
Server folders are not exposed: ``path`` in responses is the file name only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from assistant.models import BriefMeta
from ui.routers.common import ApiError, ServicesDep, error_body, require_write_key
from ui.services import Services
from ui.uploads import ALLOWED_SUFFIXES, delete_brief, save_and_ingest

router = APIRouter(prefix="/v1/documents", tags=["Documents"])

MAX_FILES = 20
FORM_OVERHEAD_BYTES = 1 << 20


class Document(BriefMeta):
    text: str


def _public(meta: BriefMeta) -> dict[str, Any]:
    return {**meta.model_dump(), "path": Path(meta.path).name}


@router.get("", response_model=list[BriefMeta], summary="Every ingested brief with its metadata")
def list_documents(services: ServicesDep) -> list[dict[str, Any]]:
    return [_public(b) for b in services.assistant.briefs()]


@router.get("/{brief_id}", response_model=Document, summary="One brief: metadata and cleaned text (citations index into it)")
def get_document(brief_id: str, services: ServicesDep) -> dict[str, Any]:
    assistant = services.assistant
    meta = assistant.store.get_brief(brief_id)
    return {**_public(meta), "text": assistant.brief_text(brief_id)}


@router.delete("/{brief_id}", dependencies=[Depends(require_write_key)], summary="Delete a brief (needs an API key)")
def delete_document(brief_id: str, services: ServicesDep) -> dict[str, Any]:
    delete_brief(services, brief_id)
    return {"id": brief_id, "deleted": True}


UPLOAD_SCHEMA = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files"],
    "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"},
                             "description": f"One or more briefs ({' '.join(ALLOWED_SUFFIXES)})."}},
}}}}}


@router.post("", dependencies=[Depends(require_write_key)], openapi_extra=UPLOAD_SCHEMA, status_code=201,
             summary="Upload and ingest briefs (multipart; needs an API key)")
async def upload_documents(request: Request, services: ServicesDep) -> JSONResponse:
    """Checks every file (name, type, size) before saving any; per-file results come back.
    201 when every file was ingested, 422 (with the per-file results) when one could not be."""
    max_mb = services.settings.ingest.max_file_mb
    if "content-length" not in request.headers:
        raise ApiError(411, "Send the upload with a Content-Length header (chunked uploads are not accepted).", "length_required")
    length = int(request.headers["content-length"])
    if length > max_mb * 2**20 * MAX_FILES + FORM_OVERHEAD_BYTES:
        raise ApiError(413, f"Request body is {length / 2**20:.1f} MiB; each file may be at most {max_mb:g} MiB "
                            f"(BRIEFS_INGEST__MAX_FILE_MB), {MAX_FILES} files per request.", "file_too_large")
    form = await request.form(max_files=MAX_FILES, max_fields=MAX_FILES)
    try:
        uploads = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
        if not uploads:
            raise ApiError(422, "files: send multipart/form-data with one or more file parts named 'files'.", "no_files")
        body = await run_in_threadpool(_upload, services, [(u.filename or "", u.file) for u in uploads])
    finally:
        await form.close()
    failed = [r for r in body["results"] if r["status"] == "failed"]
    if not failed:
        return JSONResponse(body, status_code=201)
    message = "; ".join(f"{r['filename']!r} could not be ingested: {r['error']}" for r in failed)
    return JSONResponse({**error_body(message, "invalid_request_error", "ingest_failed"), **body}, status_code=422)


def _upload(services: Services, files: list[tuple[str, Any]]) -> dict[str, Any]:
    results = save_and_ingest(services, files)
    return {"results": [r.to_json() for r in results], "briefs": len(services.assistant.briefs())}
