"""ALCE-style citation metrics (Gao et al., 2023, "Enabling Large Language Models to Generate Text with Citations").

An answer is split into sentences at ``[n]`` markers and sentence ends (:func:`claims_of`, the eval's own splitter).
The evidence for a marker
``[n]`` is the retrieved passage that contains citation ``n``'s quote (the quote itself when none does).
Support is judged by the project's own citation check (:meth:`BriefsService.supports`, the production
``CitationVerifier`` with the run's ``answer`` settings): a text supports a sentence when it contains at least
``min_support_lexical`` of the sentence's content words (stemmed), or else when the cosine between the sentence
and the text's best sentence (MiniLM) is at least ``min_support_embedding``. These are therefore *support by
our own verifier*: meaningful for LLM answerers, and 1.0 by construction for the extractive one, whose quotes
are verbatim. Citation *correctness* independent of the verifier is scored in :mod:`eval.correctness`.

- **citation recall**: share of an answer's sentences whose cited evidence, joined, supports them
  (a sentence without a marker, or flagged ``[unsupported]``, is not supported);
- **citation precision**: share of citations that are relevant, as ALCE defines it: a citation is
  irrelevant when it does not support its sentence alone *and* removing it does not change whether the
  remaining citations support the sentence.

Abstentions are not scored (``None``).

>>> scores = score_citations(answer, service.supports)   # doctest: +SKIP
>>> scores.recall, scores.precision                                                  # doctest: +SKIP
(1.0, 1.0)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.models import Answer, Citation, Passage
from eval.metrics import MARKER, Metric, aggregate

Supports = Callable[[str, Passage], bool]
# A sentence ends at a full stop (or ? !) followed by a space and a capital, a digit or a quote, after its markers;
# not after an initial or an abbreviation's capital ("U.S. Army", "P.L. 119-60").
SENTENCE_END = re.compile(r"(?<=[.!?…])(?<![A-Z][.])((?:\s*\[\d+(?:\s*,\s*\d+)*\])*)\s+(?=[A-Z0-9“\"(])")


@dataclass
class Claim:
    """An answer sentence and the citation numbers it carries."""

    text: str
    cites: list[int]


def claims_of(text: str) -> list[Claim]:
    """Sentences and their ``[n]`` markers; markers written after the full stop belong to the sentence before."""
    text = re.sub(r"\s+", " ", text.replace("[unsupported]", "")).strip()
    claims = []
    for part in SENTENCE_END.sub(lambda m: m.group(1) + "\n", text).split("\n"):
        cites = [int(n) for group in MARKER.findall(part) for n in re.split(r"\s*,\s*", group)]
        body = MARKER.sub("", part).strip()
        if body and not re.fullmatch(r"[\W\d]*", body):
            claims.append(Claim(body, cites))
    return claims


@dataclass
class CitationScores:
    """Citation recall and precision of one answer, with the sentences that failed."""

    recall: float | None
    precision: float | None
    sentences: int = 0
    citations: int = 0
    unsupported: list[str] = field(default_factory=list)


def evidence(answer: Answer, citation: Citation) -> Passage:
    """The retrieved passage holding the citation's quote (or a passage made of the quote)."""
    for p in answer.passages:
        if p.brief_id == citation.brief_id and p.start <= citation.start and citation.end <= p.end:
            return p
    return Passage(
        brief_id=citation.brief_id,
        title=citation.title,
        text=citation.quote,
        start=citation.start,
        end=citation.end,
        score=citation.score,
    )


def _joined(passages: list[Passage]) -> Passage | None:
    if not passages:
        return None
    first = passages[0]
    return Passage(
        brief_id=first.brief_id,
        title=first.title,
        text="\n".join(p.text for p in passages),
        start=first.start,
        end=first.end,
        score=first.score,
    )


def _supports(supports: Supports, claim: str, passages: list[Passage]) -> bool:
    joined = _joined(passages)
    return joined is not None and supports(claim, joined)


def score_citations(answer: Answer, supports: Supports) -> CitationScores:
    """ALCE citation recall and precision of one answer."""
    if answer.abstained:
        return CitationScores(None, None)
    by_n = {c.n: evidence(answer, c) for c in answer.citations}
    claims = claims_of(answer.text)
    supported = relevant = total = 0
    failed: list[str] = []
    for claim in claims:
        cites = list(dict.fromkeys(claim.cites))
        passages = {n: by_n[n] for n in cites if n in by_n}
        joint = _supports(supports, claim.text, list(passages.values()))
        supported += joint
        if not joint:
            failed.append(claim.text)
        for n in cites:
            total += 1
            if n not in passages:
                continue  # a marker with no citation behind it is never relevant
            alone = supports(claim.text, passages[n])
            rest = [p for m, p in passages.items() if m != n]
            relevant += alone or (joint and not _supports(supports, claim.text, rest))
    recall = supported / len(claims) if claims else 0.0
    precision = relevant / total if total else None
    return CitationScores(recall, precision, len(claims), total, failed)


def citation_recall(scores: Sequence[CitationScores | None]) -> Metric:
    """Mean citation recall over the answered items."""
    return aggregate([None if s is None else s.recall for s in scores])


def citation_precision(scores: Sequence[CitationScores | None]) -> Metric:
    """Mean citation precision over the answered items that cite anything."""
    return aggregate([None if s is None else s.precision for s in scores])
