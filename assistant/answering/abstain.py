"""The abstention answer, shared by every answerer: say plainly that the briefs don't answer, and point to the
closest briefs instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from assistant.models import Answer, BriefMeta, Retrieval

logger = logging.getLogger(__name__)

BriefsFn = Callable[[], dict[str, BriefMeta]]
ABSTAIN_TEXT = "The briefs don't cover this question."


def abstention(question: str, retrieval: Retrieval, reason: str | None, answerer: str) -> Answer:
    """Say plainly that the briefs don't answer, and point to the closest briefs instead."""
    closest = list(dict.fromkeys(p.title for p in retrieval.passages))[:3]
    text = ABSTAIN_TEXT
    if closest:
        text += " The closest briefs are: " + "; ".join(f"“{t}”" for t in closest) + "."
    logger.info("abstained on %r: %s", question, reason)
    return Answer(
        question=question,
        text=text,
        abstained=True,
        passages=retrieval.passages,
        query=retrieval.query,
        answerer=answerer,
        confidence=round(retrieval.confidence, 4),
    )
