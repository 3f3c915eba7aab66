"""Read one file into raw text plus the metadata its format carries (PDF info, HTML meta, DOCX core properties).

Containers are bounded before they are opened: a DOCX whose parts expand past ``Limits.max_expanded_bytes``, a PDF
stream that would, or any document whose text exceeds ``Limits.max_chars`` is refused with the figure and the
setting to change, so one upload can never take minutes and gigabytes.

>>> doc = load_file(Path("corpus/blinkens-visit-to-beijing.txt"), Limits(max_bytes=10_000_000))   # doctest: +SKIP
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
from ingest.pdf_parsers import Page, PdfParser, read_pages

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


@dataclass(frozen=True)
class Limits:
    """How much one file may be: on disk, once its container is expanded, and as text."""

    max_bytes: int = 25 * 2**20
    max_expanded_bytes: int = 200 * 2**20
    max_chars: int = 5_000_000
    max_entries: int = 10_000  # parts of a DOCX (zip) archive


@dataclass
class RawDoc:
    path: Path
    kind: str
    text: str
    content_hash: str
    meta: dict[str, Any] = field(default_factory=dict)
    pages: list[Page] | None = None  # PDFs: the lines of each page, for the page map (ingest.pdf_clean)


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES


def load_file(path: Path, limits: Limits | None = None, pdf_parser: PdfParser = "pypdf") -> RawDoc:
    """Parse ``path`` (PDFs with ``pdf_parser``, see :mod:`ingest.pdf_parsers`); raise IngestError naming the reason
    when it can't be ingested."""
    limits = limits or Limits()
    max_bytes = limits.max_bytes
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
    if kind == "docx":
        _check_archive(data, limits)
    if kind == "pdf":
        doc = _pdf(path, data, pdf_parser)
    else:
        doc = {"txt": _text, "md": _markdown, "html": _html, "docx": _docx}[kind](path, data)
    doc.content_hash = digest
    if len(doc.text.strip()) < 20:
        raise IngestError("no extractable text (fewer than 20 characters after parsing)")
    if len(doc.text) > limits.max_chars:
        raise IngestError(f"the text is {len(doc.text):,} characters, over the limit of {limits.max_chars:,} "
                          "(BRIEFS_INGEST__MAX_TEXT_CHARS)")
    return doc


BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), or UTF-16/32 when a byte-order mark says so; NUL bytes anywhere are refused."""
    encoding = next((enc for bom, enc in BOMS if data.startswith(bom)), "utf-8-sig")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        if encoding != "utf-8-sig":
            raise IngestError(f"not valid {encoding.upper()} despite its byte-order mark (at offset {e.start})") from e
        if b"\x00" in data:
            at = data.index(b"\x00")
            raise IngestError(f"binary content (NUL bytes, the first at offset {at}) in a text file") from e
        raise IngestError(
            f"not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); re-save the file as UTF-8"
        ) from e
    if "\x00" in text:
        raise IngestError(f"binary content (NUL bytes, the first at character {text.index(chr(0))}) in a text file")
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _check_archive(data: bytes, limits: Limits) -> None:
    """Refuse a zip container (DOCX) that would expand past the limits, before anything decompresses it."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise IngestError(f"corrupted or unreadable DOCX: {e}") from e
    if len(entries) > limits.max_entries:
        raise IngestError(f"the DOCX has {len(entries):,} parts, over the limit of {limits.max_entries:,}")
    expanded = sum(max(0, e.file_size) for e in entries)
    if expanded > limits.max_expanded_bytes:
        raise IngestError(f"the DOCX expands to {_size(expanded)}, over the limit of {_size(limits.max_expanded_bytes)} "
                          "(BRIEFS_INGEST__MAX_EXPANDED_MB)")


def _size(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


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


def _pdf(path: Path, data: bytes, parser: PdfParser = "pypdf") -> RawDoc:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    pages = read_pages(data, parser)
    if not any(line.text.strip() for page in pages for line in page):
        raise IngestError(
            f"no text layer; OCR is not enabled: the PDF's {len(pages)} page(s) are images (a scan?), so there is "
            "nothing to cite. Run OCR on it first (e.g. ocrmypdf) and ingest the result."
        )
    try:
        info: Any = PdfReader(io.BytesIO(data)).metadata or {}
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        info = {}
    meta = {
        k: str(info.get(f"/{k.capitalize()}")) for k in ("title", "author") if info.get(f"/{k.capitalize()}")
    }
    if info.get("/CreationDate"):
        meta["date"] = str(info.get("/CreationDate"))
    text = "\n\n".join("\n".join(line.text for line in page) for page in pages)
    return RawDoc(path, "pdf", text, "", {"format": meta}, pages=pages)


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
