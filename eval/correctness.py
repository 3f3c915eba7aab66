"""Scores the answerer cannot game: judged against the labels (reference contexts, key facts, doc ids), never by the
assistant's own citation verifier (which, by construction, accepts every verbatim sentence it quotes).

- A **citation is correct** when its quote overlaps one of the item's reference contexts (:func:`eval.metrics.context_found`),
  or contains one of its key facts; for ``list`` items (whose answer is a set of briefs) also when it cites one of the
  expected briefs.
- **citations_correct**: the share of answers whose every citation is correct (an answer without citations scores 0);
  **citation_accuracy**: the share of all citations that are correct.
- **cited_fact_recall**: the share of key facts that appear in a cited quote — stated *and* backed, not only stated.
- **doc_hit_at_5** / **doc_mrr_at_5**: whether (how early) a passage of an expected brief is among the first five.
- **answer_words** (median; ``answer_words_p90``) and **facts_per_100_words**: concision.

>>> item = EvalItem(id="x", query="q", key_facts=[["$51 billion"]], reference_contexts=["It will cost $51 billion."])
>>> citation_correct("The XM30 will cost $51 billion over its life.", "b", item)
True
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.models import Answer
from eval.datasets import EvalItem
from eval.metrics import Metric, _norm, aggregate, context_found, words

DOC_K = 5


def citation_correct(quote: str, brief_id: str, item: EvalItem) -> bool:
    if any(context_found(quote, ref) for ref in item.reference_contexts):
        return True
    text = _norm(quote)
    if any(_norm(alt) in text for alts in item.key_facts for alt in alts):
        return True
    return item.kind == "list" and brief_id in item.doc_ids


def _answered(answer: Answer | None, item: EvalItem) -> bool:
    return answer is not None and not answer.abstained and item.answerable


def citations_correct(answers: Sequence[Answer | None], items: Sequence[EvalItem]) -> Metric:
    """1 when an answered, answerable item's citations are all correct (0 when it has none); None otherwise."""
    out: list[float | None] = []
    for a, it in zip(answers, items, strict=True):
        if not _answered(a, it) or not (it.reference_contexts or it.key_facts):
            out.append(None)
            continue
        assert a is not None
        out.append(
            float(bool(a.citations) and all(citation_correct(c.quote, c.brief_id, it) for c in a.citations))
        )
    return aggregate(out)


def citation_accuracy(answers: Sequence[Answer | None], items: Sequence[EvalItem]) -> Metric:
    """Share of an answer's citations that are correct."""
    out: list[float | None] = []
    for a, it in zip(answers, items, strict=True):
        if not _answered(a, it) or not a or not a.citations or not (it.reference_contexts or it.key_facts):
            out.append(None)
            continue
        out.append(sum(citation_correct(c.quote, c.brief_id, it) for c in a.citations) / len(a.citations))
    return aggregate(out)


def cited_fact_recall(answers: Sequence[Answer | None], items: Sequence[EvalItem]) -> Metric:
    """Share of key facts found in the answer's cited quotes (an abstention on an answerable item scores 0)."""
    out: list[float | None] = []
    for a, it in zip(answers, items, strict=True):
        if not it.answerable or not it.key_facts:
            out.append(None)
            continue
        quotes = _norm(" ".join(c.quote for c in a.citations)) if a and not a.abstained else ""
        out.append(
            sum(any(_norm(alt) in quotes for alt in alts) for alts in it.key_facts) / len(it.key_facts)
        )
    return aggregate(out)


def _doc_ranks(answer: Answer | None, item: EvalItem) -> list[int]:
    seen: list[str] = []
    for p in answer.passages if answer else []:
        if p.brief_id not in seen:
            seen.append(p.brief_id)
    return [r for r, b in enumerate(seen[:DOC_K]) if b in item.doc_ids]


def doc_hit_at_5(answers: Sequence[Answer | None], items: Sequence[EvalItem]) -> Metric:
    """1 when one of the first five distinct briefs retrieved is an expected brief (answerable items with doc ids)."""
    return aggregate(
        [
            float(bool(_doc_ranks(a, it))) if it.answerable and it.doc_ids else None
            for a, it in zip(answers, items, strict=True)
        ]
    )


def doc_mrr_at_5(answers: Sequence[Answer | None], items: Sequence[EvalItem]) -> Metric:
    out: list[float | None] = []
    for a, it in zip(answers, items, strict=True):
        if not it.answerable or not it.doc_ids:
            out.append(None)
            continue
        ranks = _doc_ranks(a, it)
        out.append(1.0 / (ranks[0] + 1) if ranks else 0.0)
    return aggregate(out)


def answer_words(texts: Sequence[str | None]) -> list[float | None]:
    """Words of each answer given (None for abstentions and unanswerable items)."""
    return [None if t is None else float(len(words(t))) for t in texts]


def facts_per_100_words(
    texts: Sequence[str | None], facts_found: Sequence[float | None], items: Sequence[EvalItem]
) -> Metric:
    out: list[float | None] = []
    for t, found, it in zip(texts, facts_found, items, strict=True):
        if t is None or found is None or not it.key_facts:
            out.append(None)
            continue
        n = len(words(t))
        out.append(100.0 * found * len(it.key_facts) / n if n else 0.0)
    return aggregate(out)


def abstention_of(kind: str, abstained: Sequence[bool], items: Sequence[EvalItem]) -> Metric:
    """Share of the items of ``kind`` on which the assistant abstained."""
    return aggregate([float(a) if it.kind == kind else None for a, it in zip(abstained, items, strict=True)])
