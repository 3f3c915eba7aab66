"""Read one file into raw text plus the metadata its format carries (PDF info, HTML meta, DOCX core properties).

>>> doc = load_file(Path("corpus/blinkens-visit-to-beijing.txt"), max_bytes=10_000_000)   # doctest: +SKIP
>>> doc.kind
'txt'
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import IngestError

logger = logging.getLogger(__name__)

SUFFIXES = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
SIDE_FILES = {"manifest.csv", "readme.md"}


@dataclass
class RawDoc:
    path: Path
    kind: str
    text: str
    content_hash: str
    meta: dict[str, Any] = field(default_factory=dict)
    pages: list[str] | None = None


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES


def load_file(path: Path, max_bytes: int) -> RawDoc:
    """Parse ``path``; raise IngestError naming the reason when it can't be ingested."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise IngestError(
            f"unsupported file type {path.suffix or '(none)'!r}; supported: {', '.join(sorted(SUFFIXES))}"
        )
    size = path.stat().st_size
    if size == 0:
        raise IngestError("file is empty")
    if size > max_bytes:
        raise IngestError(
            f"file is {size / 2**20:.1f} MiB, over the limit of {max_bytes / 2**20:.1f} MiB (BRIEFS_INGEST__MAX_FILE_MB)"
        )
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    parser = {"txt": _text, "md": _markdown, "html": _html, "pdf": _pdf, "docx": _docx}[kind]
    doc = parser(path, data)
    doc.content_hash = digest
    if len(doc.text.strip()) < 20:
        raise IngestError("no extractable text (fewer than 20 characters after parsing)")
    return doc


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise IngestError("binary content (NUL bytes) in a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise IngestError(
            f"not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); re-save the file as UTF-8"
        ) from e
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _text(path: Path, data: bytes) -> RawDoc:
    return RawDoc(path, "txt", _decode(data), "")


def _markdown(path: Path, data: bytes) -> RawDoc:
    import frontmatter

    text = _decode(data)
    meta: dict[str, Any] = {}
    if text.startswith("---\n"):
        try:
            post = frontmatter.loads(text)
            meta, text = dict(post.metadata), post.content
        except Exception as e:  # malformed YAML front matter
            raise IngestError(f"invalid YAML front matter: {e}") from e
    return RawDoc(path, "md", text, "", {"frontmatter": meta} if meta else {})


def _html(path: Path, data: bytes) -> RawDoc:
    import trafilatura

    html = _decode(data)
    text = trafilatura.extract(
        html, output_format="markdown", include_comments=False, include_tables=True, favor_precision=True
    )
    if not text:
        raise IngestError("no main text found in the HTML")
    info = trafilatura.extract_metadata(html)
    meta: dict[str, Any] = {}
    if info is not None:
        meta = {
            k: getattr(info, k)
            for k in ("title", "author", "date", "sitename", "url")
            if getattr(info, k, None)
        }
    return RawDoc(path, "html", text, "", {"format": meta})


def _pdf(path: Path, data: bytes) -> RawDoc:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise IngestError("the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
        info: Any = reader.metadata or {}
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise IngestError(f"corrupted or unreadable PDF: {e}") from e
    meta = {
        k: str(info.get(f"/{k.capitalize()}")) for k in ("title", "author") if info.get(f"/{k.capitalize()}")
    }
    if info.get("/CreationDate"):
        meta["date"] = str(info.get("/CreationDate"))
    return RawDoc(path, "pdf", "\n\n".join(pages), "", {"format": meta}, pages=pages)


def _docx(path: Path, data: bytes) -> RawDoc:
    import io
    import zipfile

    import docx
    from lxml.etree import XMLSyntaxError

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError) as e:
        raise IngestError(f"corrupted or unreadable DOCX: {e}") from e
    parts = []
    for p in document.paragraphs:
        text = p.text.strip()
        if not text:
            continue
        style = (p.style.name or "").lower() if p.style is not None else ""
        parts.append(f"## {text}" if style.startswith(("heading", "title")) else text)
    props = document.core_properties
    meta = {
        "title": props.title,
        "author": props.author,
        "date": props.created.isoformat() if props.created else None,
    }
    return RawDoc(path, "docx", "\n\n".join(parts), "", {"format": {k: v for k, v in meta.items() if v}})
