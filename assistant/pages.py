"""Page numbers of a span of a brief's cleaned text, from its page map (where each page starts).

>>> page_span([0, 120, 300], 130, 310)
(2, 3)
>>> page_span([0, 120, 300], 10, 50)
(1, None)
>>> page_span([], 10, 50)
(None, None)
"""

from __future__ import annotations

from bisect import bisect_right


def page_at(starts: list[int], offset: int) -> int | None:
    """The 1-based page holding character ``offset`` (None without a page map)."""
    if not starts:
        return None
    return max(1, bisect_right(starts, offset))


def page_span(starts: list[int], start: int, end: int) -> tuple[int | None, int | None]:
    """(page, page_end) of ``text[start:end]``: page_end only when the span ends on a later page."""
    first = page_at(starts, start)
    last = page_at(starts, max(start, end - 1))
    return first, (last if last is not None and first is not None and last > first else None)
