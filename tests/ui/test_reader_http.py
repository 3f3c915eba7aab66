"""What the reader view reads over HTTP, through the real app (TestClient over create_app, real Chroma, the
bundled embedder): ``GET /v1/documents/{id}/text`` (cleaned text, sections, page map, file URL) and
``GET /v1/files/{id}`` (the kept PDF, same auth as the API, never a file outside the data dir)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.service import BriefsService
from assistant.settings import Settings
from tests import pdfs
from tests.conftest import TINY, test_settings

KEY = "reader-key"


@pytest.fixture(scope="module")
def reader_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return test_settings(data_dir=tmp_path_factory.mktemp("reader") / "data", api_keys=KEY)


@pytest.fixture(scope="module")
def service(reader_settings: Settings, embedder: Any) -> Iterator[BriefsService]:
    """The tiny corpus (Markdown and text) plus one fpdf2 PDF of the seed brief."""
    folder = reader_settings.data_dir.parent / "briefs"
    shutil.copytree(TINY, folder)
    pdfs.fpdf_pdf(pdfs.SEED, folder / "blinken-policy-lab.pdf")
    svc = BriefsService(reader_settings, embedder=embedder)
    report = svc.ingest([folder])
    assert not report.failed, report.failed
    yield svc
    svc.store.close()


def make_client(settings: Settings, service: BriefsService) -> Any:
    from fastapi.testclient import TestClient

    from ui.http.app import create_app

    return TestClient(create_app(settings, service=service, with_web=False))


@pytest.fixture(scope="module")
def client(reader_settings: Settings, service: BriefsService) -> Iterator[Any]:
    with make_client(reader_settings, service) as c:
        yield c


def pdf_id(service: BriefsService) -> str:
    return next(b.id for b in service.list_briefs() if b.path.endswith(".pdf"))


def text_id(service: BriefsService) -> str:
    return next(b.id for b in service.list_briefs() if not b.path.endswith(".pdf"))


def test_reading_a_pdf_gives_text_sections_pages_and_file_url(client: Any, service: BriefsService) -> None:
    brief_id = pdf_id(service)
    doc = client.get(f"/v1/documents/{brief_id}/text").json()
    assert doc["text"] == client.get(f"/v1/documents/{brief_id}").json()["text"]
    assert doc["file_type"] == "application/pdf" and doc["file_url"] == f"/v1/files/{brief_id}"
    pages = doc["pages"]
    assert [p["page"] for p in pages] == list(range(1, len(pages) + 1)) and len(pages) >= 3
    assert pages[0]["start"] == 0 and pages[-1]["end"] == len(doc["text"])
    assert all(a["end"] == b["start"] for a, b in zip(pages, pages[1:], strict=False))
    for s in doc["sections"]:
        assert doc["text"][s["start"] :].startswith(s["heading"])


def test_citation_pages_match_the_page_map(client: Any, service: BriefsService) -> None:
    answer = client.post("/v1/ask", json={"question": "What did the visit achieve?"}).json()
    cited = [c for c in answer["citations"] if c["brief_id"] == pdf_id(service)]
    assert cited
    pages = client.get(f"/v1/documents/{pdf_id(service)}/text").json()["pages"]
    for c in cited:
        first = next(p["page"] for p in pages if p["start"] <= c["start"] < p["end"])
        last = next(p["page"] for p in pages if p["start"] < c["end"] <= p["end"])
        assert (c["page"], c["page_end"]) == (first, last if last != first else None)


def test_pdf_is_served_inline_as_application_pdf(client: Any, service: BriefsService) -> None:
    brief_id = pdf_id(service)
    r = client.get(f"/v1/files/{brief_id}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith("inline")
    assert r.content == (service.settings.data_dir.parent / "briefs" / "blinken-policy-lab.pdf").read_bytes()


def test_a_text_brief_has_no_pages_and_no_file(client: Any, service: BriefsService) -> None:
    brief_id = text_id(service)
    doc = client.get(f"/v1/documents/{brief_id}/text").json()
    assert doc["pages"] == [] and doc["file_url"] is None and doc["sections"]
    r = client.get(f"/v1/files/{brief_id}")
    assert r.status_code == 404 and "originals are kept for PDFs" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    "path",
    ["/v1/files/no-such-brief", "/v1/files/..%2Fregistry.sqlite3", "/v1/files/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd"],
)
def test_unknown_or_crafted_file_ids_are_404(client: Any, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")


def test_a_kept_file_linked_out_of_the_data_dir_is_not_served(
    reader_settings: Settings, service: BriefsService, tmp_path: Path
) -> None:
    meta = service.get_brief(pdf_id(service))
    kept = service.settings.data_dir / "files" / f"{meta.content_hash}.pdf"
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.4 not for the web")
    saved = kept.read_bytes()
    kept.unlink()
    kept.symlink_to(secret)
    try:
        with make_client(reader_settings, service) as c:
            assert c.get(f"/v1/files/{meta.id}").status_code == 404
            assert c.get(f"/v1/documents/{meta.id}/text").json()["file_url"] is None
    finally:
        kept.unlink()
        kept.write_bytes(saved)


def test_files_need_a_key_exactly_when_the_api_does(reader_settings: Settings, service: BriefsService) -> None:
    brief_id = pdf_id(service)
    with make_client(reader_settings.model_copy(update={"api_auth_all": True}), service) as c:
        for path in (f"/v1/files/{brief_id}", f"/v1/documents/{brief_id}/text"):
            assert c.get(path).status_code == 401
            assert c.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
            assert c.get(path, headers={"Authorization": f"Bearer {KEY}"}).status_code == 200


def test_openapi_documents_the_reader_endpoints(client: Any) -> None:
    schema = client.get("/openapi.json").json()
    text = schema["paths"]["/v1/documents/{brief_id}/text"]["get"]
    assert text["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Reading")
    reading = schema["components"]["schemas"]["Reading"]["properties"]
    assert {"text", "sections", "pages", "file_url"} <= set(reading)
    files = schema["paths"]["/v1/files/{brief_id}"]["get"]
    assert "application/pdf" in files["responses"]["200"]["content"] and "404" in files["responses"]
