"""Metadata filters and the newest-version rule, applied to the registry's briefs before any search.

>>> brief = lambda i, who: BriefMeta(id=i, title=i, path=i, content_hash=i, authors=[who])
>>> allowed_briefs({"a": brief("a", "Ann Lee"), "b": brief("b", "Bo Chan")}, Filters(author="lee"))
{'a'}
"""

from __future__ import annotations

import datetime as dt

from assistant.models import BriefMeta, Filters


def allowed_briefs(briefs: dict[str, BriefMeta], filters: Filters | None) -> set[str] | None:
    """Ids of the briefs that pass ``filters`` and the newest-version rule; None when that is every brief."""
    filters = filters or Filters()
    chosen = {i: b for i, b in briefs.items() if matches(b, filters)}
    if not filters.all_versions:
        chosen = newest_versions(chosen)
    return None if len(chosen) == len(briefs) else set(chosen)


def matches(b: BriefMeta, f: Filters) -> bool:
    if f.author and not any(f.author.lower() in a.lower() for a in b.authors):
        return False
    if f.organisation and f.organisation.lower() not in (b.organisation or "").lower():
        return False
    if f.product_type and f.product_type.lower() not in (b.product_type or "").lower():
        return False
    if f.brief_id:
        ids = [f.brief_id] if isinstance(f.brief_id, str) else f.brief_id
        if b.id not in ids:
            return False
    if f.date_from or f.date_to:
        if not b.date:
            return False
        d = dt.date.fromisoformat(b.date)
        if (f.date_from and d < f.date_from) or (f.date_to and d > f.date_to):
            return False
    return True


def newest_versions(briefs: dict[str, BriefMeta]) -> dict[str, BriefMeta]:
    """One brief per series (report number): the highest version, then the latest date."""
    newest: dict[str, BriefMeta] = {}
    for b in briefs.values():
        key = b.series or b.id
        cur = newest.get(key)
        if cur is None or (b.version or 0, b.date or "") > (cur.version or 0, cur.date or ""):
            newest[key] = b
    return {b.id: b for b in newest.values()}
