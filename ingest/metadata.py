"""Brief metadata from the document itself (header fields, format metadata, bylines), overridden by a
sidecar: YAML front matter or a ``manifest.csv`` next to the files.

>>> parse_date("04/23/2026")
'2026-04-23'
>>> byline("– S. M. Saifee Islam is a Research Associate at the KRF Center (KRF).")
('S. M. Saifee Islam', 'KRF Center (KRF)')
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Any

from assistant.errors import IngestError

BYLINE = re.compile(
    r"^[–—-]\s*(?P<name>[A-Z][\w.'’ -]{2,80}?)\s+(?:is|was|serves as)\s+(?:an?|the)\s+[^.]*?\b(?:at|of|with)\s+(?:the\s+)?(?P<org>[A-Z][^.]*?(?:\([A-Z]+\))?)\.?\s*$"
)
MANIFEST_FIELDS = {
    "path",
    "file",
    "id",
    "title",
    "authors",
    "author",
    "organisation",
    "organization",
    "date",
    "source",
    "series",
    "version",
}


def parse_date(value: Any) -> str | None:
    """Normalise a date (MM/DD/YYYY, 'April 2, 2024', PDF 'D:20240102…', ISO) to YYYY-MM-DD."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    m = re.match(r"^D:(\d{4})(\d{2})(\d{2})", text)
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            return None
    from dateutil import parser

    try:
        return (
            parser.parse(text, dayfirst=False, fuzzy=True, default=dt.datetime(2000, 1, 1)).date().isoformat()
        )
    except (ValueError, OverflowError):
        return None


def split_authors(value: Any) -> list[str]:
    """'Clark, Corrie E.; Smith, Ann' or a list -> ['Corrie E. Clark', 'Ann Smith']."""
    if not value:
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value).strip()
    parts = re.split(r"\s*;\s*|\s+and\s+|\s*&\s*", text)
    if len(parts) == 1 and text.count(",") >= 2 and not re.search(r",\s*[A-Z]\.?$", text):
        parts = [p for p in text.split(",")]
    out = []
    for p in parts:
        p = p.strip()
        m = re.match(r"^([^,]+),\s*([^,]+)$", p)  # "Last, First M."
        out.append(f"{m.group(2).strip()} {m.group(1).strip()}" if m else p)
    return [a for a in out if a]


def byline(line: str) -> tuple[str, str] | None:
    m = BYLINE.match(line.strip())
    return (m.group("name").strip(), m.group("org").strip()) if m else None


JUNK_TITLE = re.compile(
    r"^(untitled|microsoft word|document\d*|doc\d+|slide \d+|about:blank|https?://|file:)|\.(docx?|pdf|html?)$", re.I
)  # what converters write as a title when there is none (a browser's print-to-PDF writes the page's URL)


def extract(
    header: dict[str, str],
    format_meta: dict[str, Any],
    frontmatter: dict[str, Any],
    text: str,
    title: str | None,
    path: Path,
    kind: str = "md",
    raw: str = "",
) -> dict[str, Any]:
    """Merge metadata sources, weakest first: format metadata, header fields, bylines, front matter.

    The document's first heading is the title, except that a real title in PDF/DOCX properties wins.
    ``text`` is the cleaned text (bylines); ``raw`` the parsed text before cleaning (overview tables)."""
    meta: dict[str, Any] = {
        "title": None,
        "authors": [],
        "organisation": None,
        "date": None,
        "source": None,
        "series": None,
        "version": None,
        "product_type": None,
        "topics": [],
    }
    meta["title"] = format_meta.get("title")
    meta["authors"] = split_authors(format_meta.get("author"))
    meta["organisation"] = format_meta.get("sitename")
    meta["date"] = parse_date(format_meta.get("date"))
    meta["source"] = format_meta.get("url")
    format_title = str(format_meta.get("title") or "").strip()
    if title and not (kind in ("pdf", "docx") and format_title and not JUNK_TITLE.search(format_title)):
        meta["title"] = title
    h = header
    authors = (
        h.get("author(s)")
        or h.get("authors")
        or h.get("author")
        or _table_field(raw or text, ("Author", "Authors"))
    )
    if authors:
        meta["authors"] = split_authors(authors)
    date = h.get("publication date") or h.get("date") or _table_field(raw or text, ("Publication Date",))
    if date:
        meta["date"] = parse_date(date) or meta["date"]
    meta["source"] = h.get("source") or meta["source"]
    meta["series"] = (h.get("report no.") or h.get("report no") or h.get("report number")
                      or _table_field(raw or text, ("CRS Product Number",)))
    meta["product_type"] = h.get("product type") or _table_field(raw or text, ("CRS Product Type",))
    topics = h.get("topics") or _table_field(raw or text, ("Topics",))
    meta["topics"] = [t.strip() for t in (topics or "").split(";") if t.strip()]
    if h.get("version", "").isdigit():
        meta["version"] = int(h["version"])
    if h.get("organisation") or h.get("organization"):
        meta["organisation"] = h.get("organisation") or h.get("organization")
    if meta["series"] and not meta["organisation"] and "congress.gov" in (meta["source"] or ""):
        meta["organisation"] = "Congressional Research Service"
    for line in reversed(text.strip().split("\n")[-6:]):
        found = byline(line)
        if found:
            if not meta["authors"]:
                meta["authors"] = [found[0]]
            meta["organisation"] = meta["organisation"] or found[1]
            break
    _override(meta, frontmatter)
    if not meta["title"]:
        meta["title"] = path.stem.replace("-", " ").replace("_", " ").strip().capitalize()
    return meta


def _table_field(text: str, names: tuple[str, ...]) -> str | None:
    for name in names:
        m = re.search(rf"^\|\s*\*\*{re.escape(name)}:\*\*\s*\|\s*(.+?)\s*\|?\s*$", text, re.M)
        if m:
            return m.group(1).strip()
    return None


def _override(meta: dict[str, Any], side: dict[str, Any]) -> None:
    if not side:
        return
    for key in ("title", "source", "series"):
        if side.get(key):
            meta[key] = str(side[key]).strip()
    if side.get("organisation") or side.get("organization"):
        meta["organisation"] = str(side.get("organisation") or side.get("organization")).strip()
    if side.get("authors") or side.get("author"):
        meta["authors"] = split_authors(side.get("authors") or side.get("author"))
    if side.get("date"):
        meta["date"] = parse_date(side["date"]) or meta["date"]
    if str(side.get("version") or "").isdigit():
        meta["version"] = int(side["version"])
    if side.get("id"):
        meta["id"] = str(side["id"]).strip()


def read_manifest(folder: Path) -> dict[str, dict[str, str]]:
    """file name -> row of ``folder/manifest.csv`` (columns: path or file, id, title, authors, organisation, date, source)."""
    manifest = folder / "manifest.csv"
    if not manifest.is_file():
        return {}
    with manifest.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        cols = {c.strip().lower() for c in reader.fieldnames or []}
        if not cols & {"path", "file"}:
            raise IngestError(f"{manifest}: needs a 'path' or 'file' column; found {sorted(cols)}")
        unknown = cols - MANIFEST_FIELDS
        if unknown:
            raise IngestError(
                f"{manifest}: unknown column(s) {sorted(unknown)}; valid: {sorted(MANIFEST_FIELDS)}"
            )
        rows = {}
        for row in reader:
            row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            name = row.get("path") or row.get("file")
            if name:
                rows[Path(name).name] = {k: v for k, v in row.items() if v}
        return rows
