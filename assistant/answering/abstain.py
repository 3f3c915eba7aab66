"""The abstention answer, shared by every answerer: say plainly that the briefs don't answer, and point to the
closest briefs instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from assistant.models import NOT_COVERED, NOT_STATED, Answer, BriefMeta, Retrieval

logger = logging.getLogger(__name__)

BriefsFn = Callable[[], dict[str, BriefMeta]]
ABSTAIN_TEXT = NOT_COVERED
NEAR_MISS_TEXT = NOT_STATED


def abstention(
    question: str, retrieval: Retrieval, reason: str | None, answerer: str, said: str | None = None
) -> Answer:
    """Say plainly that the briefs don't answer, and point to the closest briefs instead.

    ``said`` is the near-miss case: the briefs cover the topic but not the asked-for fact ("They give contract totals
    for the ACV but no unit cost."); without it the question is off the briefs' topics altogether."""
    closest = list(dict.fromkeys(p.title for p in retrieval.passages))[:3]
    text = f"{NEAR_MISS_TEXT} {said}" if said else ABSTAIN_TEXT
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
        abstain_reason=reason,
    )
