"""Retrieval, answer, abstention and latency metrics; each returns ``{"score", "individual_scores"}``.

``individual_scores`` is aligned with the dataset's items; ``None`` marks an item the metric does not
apply to (an unanswerable question has no key facts), and ``score`` is the mean over the others (``None``
when no item applies). Like haystack's ``DocumentMRREvaluator``:

>>> mrr([[set(), {0}], [{0}]], k=5)
{'score': 0.75, 'individual_scores': [0.5, 1.0]}

**When does a retrieved passage contain a reference context?** (:func:`context_found`) Reference contexts and
chunks differ in size (LlamaIndex's are ~4,000 characters, ours ~1,000; the gold set's are single sentences)
and may differ in extraction (PDF readers), so a passage matches a reference when, after lower-casing and
collapsing whitespace, one contains the other; or when at least half of the shorter text's word 3-grams
occur in the longer one (single words are useless here: two unrelated passages of one essay share ~60% of
their words, but almost no 3-grams); or when both share a run of at least 25 consecutive words.
"""

from __future__ import annotations

import difflib
import math
import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# The eval tokenises on its own, so that no scoring depends on the assistant's text utilities.
WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’-]*|\d+(?:[.,]\d+)*")
MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
Embed = Callable[[Sequence[str]], np.ndarray]


def words(text: str) -> list[str]:
    return WORD.findall(text)


def strip_markers(text: str) -> str:
    return MARKER.sub("", text).strip()


Metric = dict[str, Any]

SHINGLE = 3
MIN_SHINGLE_OVERLAP = 0.5
LONG_RUN_WORDS = 25


def aggregate(individual: Sequence[float | None]) -> Metric:
    """The mean of the applicable scores, with the per-item list."""
    values = [float(v) for v in individual if v is not None]
    score = round(sum(values) / len(values), 4) if values else None
    return {
        "score": score,
        "individual_scores": [None if v is None else round(float(v), 4) for v in individual],
    }


# -- reference contexts in retrieved passages ---------------------------------------------------------
def _norm(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip().lower()


def _tokens(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in words(text)]


def _shingles(tokens: list[str]) -> set[tuple[str, ...]]:
    if len(tokens) < SHINGLE:
        return {tuple(tokens)} if tokens else set()
    return set(zip(*(tokens[i:] for i in range(SHINGLE)), strict=False))


def context_found(passage: str, reference: str) -> bool:
    """Whether ``passage`` contains ``reference`` or overlaps it substantially (see the module docstring)."""
    p, r = _norm(passage), _norm(reference)
    if not p or not r:
        return False
    if r in p or p in r:
        return True
    tp, tr = _tokens(passage), _tokens(reference)
    sp, sr = _shingles(tp), _shingles(tr)
    if sp and sr and len(sp & sr) / min(len(sp), len(sr)) >= MIN_SHINGLE_OVERLAP:
        return True
    if min(len(tp), len(tr)) < LONG_RUN_WORDS:
        return False
    run = difflib.SequenceMatcher(None, tp, tr, autojunk=False).find_longest_match(0, len(tp), 0, len(tr))
    return run.size >= LONG_RUN_WORDS


def match_references(passages: Sequence[str], references: Sequence[str]) -> list[set[int]]:
    """For each passage (in rank order), the indices of the references it contains or overlaps."""
    return [{j for j, ref in enumerate(references) if context_found(p, ref)} for p in passages]


@dataclass
class Relevance:
    """Which references each ranked passage matched, out of ``n_refs`` references."""

    matches: list[set[int]]
    n_refs: int


# -- retrieval ----------------------------------------------------------------------------------------
def _as_relevance(item: Relevance | Sequence[set[int]]) -> Relevance:
    if isinstance(item, Relevance):
        return item
    matches = list(item)
    return Relevance(matches, len(set().union(*matches)) if matches else 0)


def hit_at_k(relevance: Sequence[Relevance | Sequence[set[int]] | None], k: int) -> Metric:
    """1 when any of the top ``k`` passages matches a reference."""
    return aggregate([None if r is None else float(any(_as_relevance(r).matches[:k])) for r in relevance])


def mrr(relevance: Sequence[Relevance | Sequence[set[int]] | None], k: int) -> Metric:
    """Reciprocal rank of the first matching passage within the top ``k`` (0 when none matches)."""
    out: list[float | None] = []
    for r in relevance:
        if r is None:
            out.append(None)
            continue
        ranks = [i for i, m in enumerate(_as_relevance(r).matches[:k]) if m]
        out.append(1.0 / (ranks[0] + 1) if ranks else 0.0)
    return aggregate(out)


def ndcg_at_k(relevance: Sequence[Relevance | None], k: int) -> Metric:
    """Binary nDCG@k: a passage gains 1 when it matches a reference no higher passage matched (so a
    reference split over several chunks counts once); the ideal ranks one match per reference first."""
    out: list[float | None] = []
    for r in relevance:
        if r is None or r.n_refs == 0:
            out.append(None)
            continue
        credited: set[int] = set()
        dcg = 0.0
        for i, m in enumerate(r.matches[:k]):
            if m - credited:
                dcg += 1.0 / math.log2(i + 2)
                credited |= m
        ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, r.n_refs)))
        out.append(dcg / ideal)
    return aggregate(out)


def context_recall(relevance: Sequence[Relevance | None], k: int) -> Metric:
    """Share of an item's references matched by some passage in the top ``k``."""
    out: list[float | None] = []
    for r in relevance:
        if r is None or r.n_refs == 0:
            out.append(None)
            continue
        found = set().union(*r.matches[:k]) if r.matches[:k] else set()
        out.append(len(found) / r.n_refs)
    return aggregate(out)


# -- answers --------------------------------------------------------------------------------------------
def answer_text(text: str) -> str:
    """An answer without its ``[n]`` markers and ``[unsupported]`` flags."""
    return strip_markers(text.replace("[unsupported]", ""))


def missing_key_facts(answer: str, facts: Sequence[Sequence[str]]) -> list[Sequence[str]]:
    """The key facts of which no alternative appears in ``answer`` (case-insensitive, quotes and spaces normalised)."""
    text = _norm(answer)
    return [alts for alts in facts if not any(_norm(alt) in text for alt in alts)]


def key_fact_recall(answers: Sequence[str | None], key_facts: Sequence[Sequence[Sequence[str]]]) -> Metric:
    """Share of key facts of which any alternative appears in the answer (case-insensitive).
    ``None`` answers (not applicable) and items without key facts score ``None``."""
    return aggregate(
        [
            None if answer is None or not facts else 1 - len(missing_key_facts(answer, facts)) / len(facts)
            for answer, facts in zip(answers, key_facts, strict=True)
        ]
    )


def _squad_tokens(text: str) -> list[str]:
    text = text.lower().replace("’", "'")
    text = "".join(" " if ch in string.punctuation else ch for ch in text)
    return [w for w in text.split() if w not in {"a", "an", "the"}]


def token_f1(answers: Sequence[str | None], references: Sequence[str | None]) -> Metric:
    """SQuAD-style token F1 (lower-cased, punctuation and articles removed) against the reference answer."""
    out: list[float | None] = []
    for answer, ref in zip(answers, references, strict=True):
        if answer is None or not ref:
            out.append(None)
            continue
        a, r = _squad_tokens(answer), _squad_tokens(ref)
        common = sum((Counter(a) & Counter(r)).values())
        out.append(0.0 if not common else 2 * common / (len(a) + len(r)))
    return aggregate(out)


def answer_similarity(
    answers: Sequence[str | None], references: Sequence[str | None], embed: Embed
) -> Metric:
    """Cosine between the answer's and the reference answer's embeddings (an empty answer scores 0)."""
    out: list[float | None] = [
        None if a is None or not r else 0.0 for a, r in zip(answers, references, strict=True)
    ]
    idx = [i for i, (a, r) in enumerate(zip(answers, references, strict=True)) if a and r]
    if idx:
        vecs = embed([answers[i] or "" for i in idx] + [references[i] or "" for i in idx])
        for j, i in enumerate(idx):
            out[i] = float(np.clip(vecs[j] @ vecs[len(idx) + j], -1.0, 1.0))
    return aggregate(out)


# -- abstention and latency ---------------------------------------------------------------------------------
def correct_abstention(abstained: Sequence[bool], answerable: Sequence[bool]) -> Metric:
    """Share of unanswerable items on which the assistant abstained (higher is better)."""
    return aggregate([None if ok else float(a) for a, ok in zip(abstained, answerable, strict=True)])


def false_abstention(abstained: Sequence[bool], answerable: Sequence[bool]) -> Metric:
    """Share of answerable items on which the assistant abstained (lower is better)."""
    return aggregate([float(a) if ok else None for a, ok in zip(abstained, answerable, strict=True)])


def percentile(values: Sequence[float | None], q: float) -> Metric:
    """The ``q``-th percentile of the applicable values (``None`` items are not applicable)."""
    present = [float(v) for v in values if v is not None]
    score = round(float(np.percentile(np.asarray(present), q)), 1) if present else None
    return {"score": score, "individual_scores": [None if v is None else round(float(v), 1) for v in values]}


def latency(ms: Sequence[float], q: float) -> Metric:
    """The ``q``-th percentile (0-100, linear interpolation) of per-item latencies, in milliseconds."""
    if not ms:
        return {"score": None, "individual_scores": []}
    return {
        "score": round(float(np.percentile(np.asarray(ms, dtype=float), q)), 1),
        "individual_scores": [round(float(v), 1) for v in ms],
    }
