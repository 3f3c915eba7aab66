"""Original files of the briefs (PDFs): ``GET /v1/files/{id}``, what a citation's "p. 4" link opens
(``/v1/files/{id}#page=4``: the browser's PDF viewer goes to the page).

Only copies kept under the data dir (``files/<sha256>.pdf``, written at ingest) are served, never a path given by
the request or one that resolves outside the data dir; reading needs a key exactly when the rest of the API does.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from ui.http.routers.common import ServiceDep, errors

router = APIRouter(prefix="/v1/files", tags=["Documents"])


@router.get(
    "/{brief_id}",
    response_class=FileResponse,
    summary="The original file of a brief (PDF), to open at a cited page with #page=N",
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The file, inline."},
        **errors(401, 404),
    },
)
def get_file(brief_id: str, service: ServiceDep) -> FileResponse:
    path, media_type = service.original_file(brief_id)
    return FileResponse(
        path,
        media_type=media_type,
        filename=f"{brief_id}{path.suffix}",
        content_disposition_type="inline",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=300"},
    )
