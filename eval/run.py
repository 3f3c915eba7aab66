"""Run a dataset through the assistant and score it: one answer per item, then every metric.

Each item is asked once, as a user would ask it (with its ``history`` for follow-ups); the retrieval metrics
score the passages that answer was built from, so one run measures retrieval and answers together. Every
mode is :meth:`BriefsService.ask` itself (``mode`` selects hybrid, dense or BM25 retrieval). One untimed warm-up
question runs first, so lazy loading does not land in the latency figures.

>>> from eval import datasets, run                                                   # doctest: +SKIP
>>> result = run.evaluate(datasets.load_dataset("eval/datasets/gold.jsonl"), Settings(), mode="bm25")   # doctest: +SKIP
>>> result.metrics["mrr"]["score"]                                                   # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import LLMError
from assistant.models import Answer, Mode
from assistant.service import BriefsService
from assistant.settings import Settings, get_settings
from eval import correctness as c
from eval import metrics as m
from eval.attribution import CitationScores, citation_precision, citation_recall, score_citations
from eval.datasets import EvalDataset, EvalItem, display_path
from eval.index import prepare_index
from eval.judge import LLMJudge, make_judge

logger = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
PASSAGE_PREVIEW = 400
PER_RUN = frozenset(
    {"latency_p50_ms", "latency_p95_ms", "answer_words_p90"}
)  # their per-item lists are not scores
PERCENTILES = {"answer_words": 50, "answer_words_p90": 90, "latency_p50_ms": 50, "latency_p95_ms": 95}
# What `briefs eval compare` gates on by default when a report has per-kind scores (see eval/README.md).
HEADLINE = (
    "key_fact_recall",
    "cited_fact_recall",
    "citations_correct",
    "abstention_nearmiss",
    "abstention_offtopic",
    "false_abstention",
    "doc_hit_at_5",
)


@dataclass
class ItemOutcome:
    """What happened on one item: the answer (None after an LLM error) and its per-item judgements."""

    item: EvalItem
    answer: Answer | None
    latency_ms: float
    error: str | None = None
    relevance: m.Relevance | None = None
    citations: CitationScores | None = None
    judge: dict[str, float | None] = field(default_factory=dict)


@dataclass
class EvalResult:
    """A scored run: dataset, configuration, metrics and one record per item (see :meth:`to_json`)."""

    dataset: dict[str, Any]
    config: dict[str, Any]
    metrics: dict[str, m.Metric]
    items: list[dict[str, Any]]
    created: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    peer: dict[str, Any] | None = None

    def summary(self) -> dict[str, float | None]:
        return {name: metric["score"] for name, metric in self.metrics.items()}

    def by_kind(self) -> dict[str, dict[str, float | None]]:
        return breakdown(self.metrics, [it.get("kind") for it in self.items])

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "config": self.config,
            "created": self.created,
            "summary": self.summary(),
            "by_kind": self.by_kind(),
            "peer": self.peer,
            "metrics": self.metrics,
            "items": self.items,
        }


def breakdown(metrics: dict[str, m.Metric], kinds: list[str | None]) -> dict[str, dict[str, float | None]]:
    """Every metric over the items of each kind (means; medians and percentiles for words and latency)."""
    out: dict[str, dict[str, float | None]] = {}
    for kind in dict.fromkeys(k for k in kinds if k):
        rows = [i for i, k in enumerate(kinds) if k == kind]
        scores: dict[str, float | None] = {"items": float(len(rows))}
        for name, metric in metrics.items():
            values = (
                [metric["individual_scores"][i] for i in rows]
                if len(metric["individual_scores"]) == len(kinds)
                else []
            )
            if name in PERCENTILES:
                scores[name] = m.percentile(values, PERCENTILES[name])["score"]
            else:
                scores[name] = m.aggregate(values)["score"]
        out[kind] = scores
    return out


def evaluate(
    dataset: EvalDataset,
    settings: Settings | dict | None = None,
    *,
    mode: Mode = "hybrid",
    top_k: int | None = None,
    judge: bool = False,
    cache_dir: Path | None = None,
    service: BriefsService | None = None,
    progress: Progress | None = None,
    peer: bool = False,
) -> EvalResult:
    """Index the dataset's sources (cached), ask every item, and score the answers.

    ``service`` lends its loaded models (tests pass one); the index itself is always the dataset's own. With ``peer``
    a vanilla llama-index pipeline (:mod:`eval.peer`) is scored on the same items, for the report's peer row."""
    if mode not in ("hybrid", "dense", "bm25"):
        raise ValueError(f"Unsupported retrieval mode {mode!r}; use 'hybrid', 'dense' or 'bm25'")
    settings = get_settings(settings)
    indexed = prepare_index(dataset, settings, cache_dir, service)
    assistant = BriefsService(indexed, embedder=service.embedder if service else None)
    k = top_k or settings.retrieval.top_k
    llm_judge, judge_note = make_judge(settings, judge)
    _ask(assistant, dataset.items[0], mode, k)  # warm-up: lazy loads stay out of the latencies
    outcomes: list[ItemOutcome] = []
    for n, item in enumerate(dataset.items, 1):
        outcomes.append(_score_item(_ask(assistant, item, mode, k), assistant, llm_judge))
        if progress:
            progress(n, len(dataset.items), item.id)
    config = {
        "answerer": assistant.answerer.name,
        "mode": mode,
        "top_k": k,
        "judge": judge_note,
        "index": display_path(indexed.data_dir),
        "settings": _relevant_settings(settings),
    }
    scores = compute_metrics(outcomes, k, assistant.embed, with_judge=llm_judge is not None)
    result = EvalResult(
        dataset.describe(), config, scores, [_record(o, scores, i) for i, o in enumerate(outcomes)]
    )
    if peer:
        from eval.peer import PeerPipeline

        pipeline = PeerPipeline(dataset, cache_dir, assistant.embed)
        peer_outcomes = [_score_item(pipeline.ask(item), assistant, None) for item in dataset.items]
        peer_scores = compute_metrics(peer_outcomes, pipeline.top_k, assistant.embed)
        result.peer = {
            "name": pipeline.describe(),
            "summary": {n: v["score"] for n, v in peer_scores.items()},
            "by_kind": breakdown(peer_scores, [it.kind for it in dataset.items]),
        }
    return result


def _ask(assistant: BriefsService, item: EvalItem, mode: Mode, k: int) -> ItemOutcome:
    t0 = time.perf_counter()
    try:
        answer = assistant.ask(item.query, history=item.history, top_k=k, mode=mode)
    except LLMError as e:
        logger.warning("item %s failed: %s", item.id, e)
        return ItemOutcome(item, None, (time.perf_counter() - t0) * 1000, error=str(e))
    wall = (time.perf_counter() - t0) * 1000
    return ItemOutcome(item, answer, answer.timings.get("total_ms", wall))


def _score_item(o: ItemOutcome, assistant: BriefsService, llm_judge: LLMJudge | None) -> ItemOutcome:
    item, answer = o.item, o.answer
    if item.answerable and (item.reference_contexts or item.doc_ids):
        passages = answer.passages if answer else []
        if item.reference_contexts:
            o.relevance = m.Relevance(
                m.match_references([p.text for p in passages], item.reference_contexts),
                len(item.reference_contexts),
            )
        else:
            o.relevance = m.Relevance(
                [{j for j, d in enumerate(item.doc_ids) if p.brief_id == d} for p in passages],
                len(item.doc_ids),
            )
    if answer is not None:
        o.citations = score_citations(answer, assistant.supports)
        if llm_judge is not None:
            o.judge = llm_judge.judge(item, answer)
    return o


def _answer_or_blank(o: ItemOutcome) -> str | None:
    """The answer text for answer metrics: None when not applicable, "" (scores 0) for an abstention or error."""
    if not o.item.answerable:
        return None
    if o.answer is None or o.answer.abstained:
        return ""
    return m.answer_text(o.answer.text)


def compute_metrics(
    outcomes: list[ItemOutcome], k: int, embed: m.Embed, with_judge: bool = False
) -> dict[str, m.Metric]:
    """Every metric over the outcomes, in report order."""
    rel = [o.relevance for o in outcomes]
    answers = [_answer_or_blank(o) for o in outcomes]
    refs = [o.item.reference_answer for o in outcomes]
    abstained = [bool(o.answer and o.answer.abstained) for o in outcomes]
    answerable = [o.item.answerable for o in outcomes]
    cites = [o.citations if o.citations and o.citations.recall is not None else None for o in outcomes]
    ms = [o.latency_ms for o in outcomes]
    items = [o.item for o in outcomes]
    given = [o.answer for o in outcomes]
    facts = m.key_fact_recall(answers, [it.key_facts for it in items])
    texts = [
        a if a else None for a in answers
    ]  # answers actually given (abstentions are not counted as words)
    word_counts = c.answer_words(texts)
    out: dict[str, m.Metric] = {
        "doc_hit_at_5": c.doc_hit_at_5(given, items),
        "doc_mrr_at_5": c.doc_mrr_at_5(given, items),
        "hit_at_k": m.hit_at_k(rel, k),
        "mrr": m.mrr(rel, k),
        "ndcg_at_k": m.ndcg_at_k(rel, k),
        "context_recall": m.context_recall(rel, k),
        "key_fact_recall": facts,
        "cited_fact_recall": c.cited_fact_recall(given, items),
        "citations_correct": c.citations_correct(given, items),
        "citation_accuracy": c.citation_accuracy(given, items),
        "token_f1": m.token_f1(answers, refs),
        "answer_similarity": m.answer_similarity(answers, refs, embed),
        "answer_words": m.percentile(word_counts, 50),
        "answer_words_p90": m.percentile(word_counts, 90),
        "facts_per_100_words": c.facts_per_100_words(texts, facts["individual_scores"], items),
        "citation_recall": citation_recall(cites),
        "citation_precision": citation_precision(cites),
        "correct_abstention": m.correct_abstention(abstained, answerable),
        "abstention_nearmiss": c.abstention_of("unanswerable_nearmiss", abstained, items),
        "abstention_offtopic": c.abstention_of("unanswerable_offtopic", abstained, items),
        "false_abstention": m.false_abstention(abstained, answerable),
        "latency_p50_ms": m.latency(ms, 50),
        "latency_p95_ms": m.latency(ms, 95),
    }
    if with_judge:
        for name in ("judge_faithfulness", "judge_correctness"):
            out[name] = m.aggregate([o.judge.get(name) for o in outcomes])
    return out


def _failures(o: ItemOutcome, scores: dict[str, float | None]) -> list[str]:
    if o.error:
        return [f"error: {o.error}"]
    abstained = bool(o.answer and o.answer.abstained)
    if not o.item.answerable:
        return [] if abstained else ["answered a question the sources do not cover"]
    out = ["abstained on an answerable question"] if abstained else []
    if scores.get("hit_at_k") == 0:
        out.append("no reference context retrieved")
    if (kf := scores.get("key_fact_recall")) is not None and kf < 1 and not abstained:
        missing = m.missing_key_facts(m.answer_text(o.answer.text if o.answer else ""), o.item.key_facts)
        out.append("missing key facts: " + "; ".join(alts[0] for alts in missing))
    if scores.get("citations_correct") == 0 and not abstained:
        wrong = [
            x.quote[:60]
            for x in (o.answer.citations if o.answer else [])
            if not c.citation_correct(x.quote, x.brief_id, o.item)
        ]
        out.append("citations not backed by the labels: " + ("; ".join(wrong) if wrong else "none given"))
    if o.citations and o.citations.unsupported:
        out.append(f"{len(o.citations.unsupported)} sentence(s) not supported by their citations")
    if o.citations and o.citations.precision is not None and o.citations.precision < 1:
        out.append("irrelevant citations")
    return out


def _record(o: ItemOutcome, metrics: dict[str, m.Metric], i: int) -> dict[str, Any]:
    scores = {name: metric["individual_scores"][i] for name, metric in metrics.items() if name not in PER_RUN}
    a = o.answer
    matched = o.relevance.matches if o.relevance else []
    return {
        "id": o.item.id,
        "kind": o.item.kind,
        "query": o.item.query,
        "answerable": o.item.answerable,
        "follow_up": bool(o.item.history),
        "rewritten_query": a.query if a else None,
        "answer": a.text if a else None,
        "abstained": bool(a and a.abstained),
        "reference_answer": o.item.reference_answer,
        "latency_ms": round(o.latency_ms, 1),
        "error": o.error,
        "scores": scores,
        "failures": _failures(o, scores),
        "citations": [
            {"n": c.n, "brief_id": c.brief_id, "start": c.start, "end": c.end, "quote": c.quote}
            | ({"page": c.page, "page_end": c.page_end} if c.page else {})
            for c in (a.citations if a else [])
        ],
        "passages": [
            {
                "rank": r + 1,
                "brief_id": p.brief_id,
                "start": p.start,
                "end": p.end,
                "score": p.score,
                "matches": sorted(matched[r]) if r < len(matched) else [],
                "text": p.text[:PASSAGE_PREVIEW],
            }
            for r, p in enumerate(a.passages if a else [])
        ],
    }


def _relevant_settings(settings: Settings) -> dict[str, Any]:
    return {
        "embed_model": settings.embed_model or "bundled",
        "chunk": settings.chunk.model_dump(),
        "retrieval": settings.retrieval.model_dump(),
        "answer": settings.answer.model_dump(),
        "llm_model": settings.llm.model if settings.answerer != "extractive" else None,
    }
