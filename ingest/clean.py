"""Turn parsed text into clean prose: page chrome, navigation and boilerplate out; headings kept as sections.

The cleaned text is what chunks, citations and offsets refer to, so it is stored with the brief.

>>> c = clean_text("# T\\n\\n[Download PDF (1KB)](x)\\n\\nBody with a [link](http://x).", kind="md")
>>> c.text
'T\\n\\nBody with a link.'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.pdf_clean import clean_pages
from ingest.pdf_parsers import Page

# Whole lines that are page chrome on think-tank and congress.gov pages.
CHROME_LINE = re.compile(
    r"""(
      ^\[(Citation|Subscribe|Share/Save|Site\ Feedback|Home|Hide\ Overview|Listen|Print|Share)\]
    | ^\|\s*\*\*[^*|]+:\*\*\s*\|            # overview table rows
    | \[Download\ PDF
    | PDF\ Version\ History
    | ^-\ \[[^\]]*Version:\ *\d+\)\]         # version-history list
    | ^\[?Read\ Full\ Briefs?\ as\ a\ Pdf\]?
    | ^\#\#\ CRS\ PRODUCT
    | ^(Download|Print|Share|Subscribe|Back\ to\ top|Skip\ to\ (main\ )?content)\s*$
    | ^Page\ \d+\ of\ \d+\s*$
    | ^\d{1,3}\s*$                           # bare page numbers
    | ^Chart[A-Z]\w*\ chart\ with\ \d       # an interactive chart's text: "ChartLine chart with 86 data points…"
    | ^Created\ with\ Highcharts
    | ^End\ of\ interactive\ chart\.?\s*$
    )""",
    re.X | re.I,
)
# a script embedded in the page (an interactive chart's code): from the line opening it to the one closing it
SCRIPT = re.compile(r"^\|?\s*//[^\n]*\n(?:\s*\n)*\$\(function\s*\(\)\s*\{.*?^\}\);[ \t]*$|^<script\b.*?</script>", re.S | re.M)
INTERACTIVE = re.compile(r"\s*Figure is interactive in (?:the )?HTML (?:report )?version(?: of this report)?\.?", re.I)
ONLY_LINKS = re.compile(r"^\s*(?:!?\[[^\]]*\]\([^)]*\)[\s|>•·-]*)+$")
HEADER_FIELD = re.compile(r"^\*\*([^*:]+):\*\*\s*(.*)$")
TABLE_FIELD = re.compile(r"^\|\s*\*\*([^*|]+):\*\*\s*\|\s*(.*?)\s*\|?\s*$")  # an overview-table row
IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
TEXT = r"\[((?:[^\[\]]|\[[^\]]*\])*)\]"  # link text, with one level of [brackets] inside
LINKS = (  # [text](url): balanced parentheses in the url first, then anything up to the first ")"
    re.compile(TEXT + r"\((?:[^()\s]|\([^()\s]*\))*\)"),
    re.compile(TEXT + r"\((?:https?://|/|#|mailto:)\S*?\)"),
)
EMPHASIS = re.compile(r"(\*\*|__|(?<!\w)\*(?!\s)|(?<!\s)\*(?!\w))")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
DISCLAIMER = re.compile(r"^\s*Disclaimer:\s*$", re.I)
SPACES = re.compile(r"[ \t\u00a0]+")
# what may follow a link's text glued to it as part of the same word ("[report](…)s", "[interfere](…)d"); any other
# word glued to a link lost its space in the page's conversion ("[S. 4017](…)would")
SUFFIXES = frozenset({"s", "es", "d", "ed", "ing", "er", "ers", "ly", "n", "ness", "ment", "ments"})
BROKEN_BOLD = re.compile(r"\*{4,}")  # "**Honorable Discharge****.******Servicemembers": markup left between words


@dataclass
class CleanDoc:
    text: str
    sections: list[tuple[int, str]] = field(default_factory=list)  # (start offset, heading)
    header: dict[str, str] = field(default_factory=dict)  # "**Key:** value" header lines
    title: str | None = None
    about: tuple[int, int] | None = None  # [start, end) of the "Key: value" paragraph about the brief itself
    pages: list[int] = field(default_factory=list)  # PDFs: where each page starts in ``text``


def clean_text(text: str, kind: str, pages: list[Page] | None = None) -> CleanDoc:
    """Clean ``text`` of format ``kind`` (txt, md, html, pdf, docx); a PDF's ``pages`` (lines from
    :func:`ingest.pdf_parsers.read_pages`) are cleaned page by page, keeping a page map (:mod:`ingest.pdf_clean`)."""
    if kind == "pdf" and pages:
        pdf = clean_pages(pages)
        return CleanDoc(pdf.text, pdf.sections, {}, pdf.title, None, pdf.pages)
    header, body = _split_header(text)
    body = SCRIPT.sub("\n", body)
    fields = [f"{k.strip()}: {v.strip()}" for k, v in _header_lines(text)]
    paragraphs = _paragraphs(body, fields)
    about = _about(fields)
    out: list[str] = []
    sections: list[tuple[int, str]] = []
    title: str | None = None
    about_span: tuple[int, int] | None = None
    offset = 0
    for para in paragraphs:
        heading = _heading_of(para, kind)
        para = heading if heading is not None else para
        if heading is not None:
            if title is None:
                title = heading
            elif heading == title and not sections[1:]:
                continue  # the title repeated at the top of the body
        if out and out[-1] == para:
            continue
        if heading is not None:
            sections.append((offset, heading))
        out.append(para)
        offset += len(para) + 2
        if about and about_span is None and (heading is not None or not title):
            # the brief's own header (report number, date, authors…), right after its title: what metadata
            # answers cite
            out.append(about)
            about_span = (offset, offset + len(about))
            offset += len(about) + 2
    return CleanDoc("\n\n".join(out), sections, header, title, about_span)


def _header_lines(text: str) -> list[tuple[str, str]]:
    """``**Key:** value`` lines at the top of a Markdown file (as written, without the emphasis)."""
    out = []
    for line in text.split("\n")[:40]:
        m = HEADER_FIELD.match(line.strip())
        if m:
            out.append((m.group(1), m.group(2)))
        elif line.strip() and not line.startswith("#") and line.strip() != "---":
            break
    return out


def _about(fields: list[str]) -> str:
    """One paragraph of the brief's header fields, each once (an overview-table row repeating a header value is
    left out): "Report No.: IF12094", "Authors: Feickert, Andrew; M'Bai, Ebrima", …"""
    seen_values: set[str] = set()
    kept = []
    for line in fields:
        key, _, value = line.partition(": ")
        if not value.strip() or value.strip().lower() in seen_values or key.lower().startswith("source"):
            continue
        seen_values.add(value.strip().lower())
        kept.append(_inline(line))
    return "\n".join(k for k in kept if k)


def _split_header(text: str) -> tuple[dict[str, str], str]:
    """Take ``**Key:** value`` lines (and the title) from the top of a Markdown file."""
    lines = text.split("\n")
    header: dict[str, str] = {}
    i = 0
    while i < len(lines) and i < 40:
        line = lines[i].strip()
        m = HEADER_FIELD.match(line)
        if m:
            header[m.group(1).strip().lower()] = m.group(2).strip()
        elif line and not line.startswith("#") and line != "---":
            break
        elif line.startswith("#") and header:
            break
        i += 1
    if not header:
        return {}, text
    keep = [ln for ln in lines[:i] if ln.startswith("#")]
    return header, "\n".join(keep + lines[i:])


def _paragraphs(body: str, fields: list[str] | None = None) -> list[str]:
    """The prose paragraphs of ``body``; overview-table rows ("| **Authors:** | …") go to ``fields`` instead."""
    paras: list[str] = []
    for block in re.split(r"\n\s*\n", body):
        lines = []
        for raw in block.split("\n"):
            if DISCLAIMER.match(raw):  # the rest of the block is the disclaimer; what came before it is the brief's
                break
            line = raw.strip()
            row = TABLE_FIELD.match(line)
            if row and fields is not None:
                fields.append(f"{row.group(1).strip()}: {row.group(2).strip()}")
                continue
            if not line or line == "---" or CHROME_LINE.search(line) or ONLY_LINKS.match(line):
                continue
            line = _inline(line)
            if line:
                lines.append(line)
        if lines:
            paras.append("\n".join(lines))
    return paras


def _unlink(m: re.Match[str]) -> str:
    """A link's text without its markup, with the space the rendered page showed where the text touches a word
    ("theDepartment" from "the[Department](…)", "uraniumstockpile" from "uranium[stockpile](…)", "4017would" from
    "[S. 4017](…)would"); a suffix stays glued ("[report](…)s")."""
    text, line = m.group(1), m.string
    before = line[m.start() - 1] if m.start() > 0 else " "
    after = line[m.end()] if m.end() < len(line) else " "
    lead = " " if text[:1].isalnum() and (before.isalnum() or before in "),;:”") else ""  # "(OPM's)[Federal …]"
    glued = re.match(r"[a-z]+", line[m.end():])
    trail = " " if text[-1:].isalnum() and (
        after.isupper() or after.isdigit() or (glued is not None and glued.group() not in SUFFIXES)
    ) else ""
    return f"{lead}{text}{trail}"


def _broken_bold(m: re.Match[str]) -> str:
    """What a run of asterisks left by a broken conversion stood for: a space between two words ("(Under********
    Honorable", "Discharge.******Servicemembers"), nothing inside a word ("****M****ission", "program****s",
    "Source****s****:") or next to punctuation ("(****Figure 1****)")."""
    left = re.search(r"[A-Za-z]*[^\W_]?$", m.string[: m.start()])
    right = re.match(r"[A-Za-z]*", m.string[m.end() :])
    before, after = (left.group() if left else ""), (right.group() if right else "")
    if m.string[m.start() - 1 : m.start()] in (".", ";", ":") and after[:1].isupper():
        return " "  # "Discharge.****Servicemembers": a sentence ends before the run
    if len(before) >= 2 and len(after) >= 2 and after.lower() not in SUFFIXES and after[:1].isupper():
        return " "  # "(Under****Honorable": two words
    return ""


def _inline(line: str) -> str:
    line = IMAGE.sub("", line)
    line = INTERACTIVE.sub("", line)
    line = BROKEN_BOLD.sub(_broken_bold, line)
    line = re.sub(r"(?<=\w)_{2,}(?=\w)", " ", line)  # "_Optionally____manned_": the page showed a space
    line = re.sub(r"(?<!\w)_(?=\w)|(?<=\w)_(?!\w)", "", line)  # _italic_ markup
    for link in LINKS:
        line = link.sub(_unlink, line)
    line = EMPHASIS.sub("", line)
    line = line.replace("\\", "")
    if line.startswith("|"):
        line = line.lstrip("| ").rstrip(" |")
    return SPACES.sub(" ", line).strip()


def _heading_of(para: str, kind: str) -> str | None:
    m = HEADING.match(para)
    if m and "\n" not in para:
        return m.group(2).strip() or None
    if "\n" in para or kind == "pdf":
        return None
    words = para.split()
    if not words or len(words) > 12 or len(para) > 100 or para[-1] in ".,;:!\"'”)]" or "|" in para:
        return None
    long_words = [w for w in words if len(w) > 3]
    capitalised = sum(w[0].isupper() for w in long_words)
    if len(words) <= 4 and para[0].isupper():
        return para
    return para if long_words and capitalised / len(long_words) >= 0.6 else None

