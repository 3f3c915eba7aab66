"""A whole brief as the reader view shows it: its cleaned text (every citation's ``start``/``end`` index into it),
the span of each section and, for PDFs, of each page.

>>> meta = BriefMeta(id="b", title="T", path="b.pdf", content_hash="x", pages=2)
>>> r = brief_reading(meta, "T\\n\\nOne. Two.", BriefLayout(sections=[(0, "T")], pages=[0, 8]), "application/pdf")
>>> [(s.heading, s.start, s.end) for s in r.sections], [(p.page, p.start, p.end) for p in r.pages]
([('T', 0, 12)], [(1, 0, 8), (2, 8, 12)])
"""

from __future__ import annotations

from assistant.models import BriefLayout, BriefMeta, BriefText, PageRange, Section


def brief_reading(meta: BriefMeta, text: str, layout: BriefLayout, file_type: str | None) -> BriefText:
    """The :class:`BriefText` of one brief from its stored text and layout."""
    heads = [(start, heading) for start, heading in layout.sections if 0 <= start <= len(text)]
    sections = [
        Section(heading=heading, start=start, end=heads[i + 1][0] if i + 1 < len(heads) else len(text))
        for i, (start, heading) in enumerate(heads)
    ]
    starts = layout.pages
    pages = [
        PageRange(page=i + 1, start=start, end=starts[i + 1] if i + 1 < len(starts) else len(text))
        for i, start in enumerate(starts)
    ]
    return BriefText(id=meta.id, title=meta.title, text=text, sections=sections, pages=pages, file_type=file_type)
