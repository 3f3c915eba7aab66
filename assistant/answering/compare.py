"""Comparisons: one part per side ("the XM-30" | "the M-1E3 Abrams"), each cited, as a table in the Answer (the web UI
and the Markdown export render it as one; the API returns it as structured rows).

The whole question is retrieved, and each side by itself (the question without the other sides' words); the candidate
sentences of all of them are pooled, and each side gets the best few sentences (``answer.compare_sentences``) that
name it — the side's own words in the sentence, its heading or its brief's title, words both sides share ("program",
"FY2027") not counting — preferring sentences that carry what the question asks for (its answer types). Many
comparisons sit inside one brief (two Speaker elections, two bank categories), so a sentence may serve only one side.
A question that asks several things of each side ("…: what did each cost, and how big was the average credit per
recipient?") is decomposed: each side is also retrieved by each part, and gets first the best sentence for each part.
A side the briefs say nothing about gets an empty row and a sentence saying so: the covered part is still answered.

>>> CompareStrategy(settings, builder, briefs).answer(question, retrieve, interpretation).table   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from assistant.answering.abstain import BriefsFn, abstention
from assistant.answering.candidates import Candidate, CandidateBuilder, Weights, equal_weights
from assistant.answering.compose import Cited, reading_order
from assistant.answering.types import part_types, question_parts
from assistant.models import Answer, ComparisonRow, Interpretation, Passage, Retrieval
from assistant.settings import Settings
from assistant.text import content_terms, jaccard, terms_of

Retrieve = Callable[[str], Retrieval]
NAME_SHARE = 0.75  # a side's name: its distinct words at least this rare relative to its rarest
TYPE_BONUS = 0.25  # a sentence that carries what the question asks for (an amount, a date…)
ALONE_BONUS = 0.1  # a sentence about this side alone
DIMENSION_BONUS = 0.2  # … scaled by how much of what the question compares them on it names ("size", "timing")
# … and by how much of the side's name the sentence itself says: one that names the side is about all of it ("the
# FY2027 request for the USGS is $892.7 million"); one that only sits in its brief may be about a part of it
NAMED_BONUS = 0.3


class CompareStrategy:
    """Answers a comparison side by side."""

    name = "extractive"

    def __init__(self, settings: Settings, builder: CandidateBuilder, briefs: BriefsFn, weights: Weights | None = None) -> None:
        self.settings = settings
        self.builder = builder
        self.briefs = briefs
        self.weights = weights or equal_weights

    def names(self, sides: list[str]) -> list[set[str]]:
        """Each side's name: its own words that the other sides lack, and of those the rare ones (by IDF over the
        library: "Ecological Services" names the side, "activity" does not)."""
        terms = [set(content_terms(s)) for s in sides]
        out = []
        for i, own in enumerate(terms):
            others = set().union(*(t for j, t in enumerate(terms) if j != i))
            distinct = (own - others) or own
            w = self.weights(distinct)
            top = max(w.values(), default=1.0)
            out.append({t for t in distinct if w.get(t, 1.0) >= NAME_SHARE * top} or distinct)
        return out

    def answer(self, question: str, retrieve: Retrieve, interpretation: Interpretation, match: str | None = None) -> Answer:
        asked = match or question
        sides = interpretation.sides
        parts = _parts(asked, sides)
        retrievals = [retrieve(asked)] + [retrieve(side_query(asked, sides, i)) for i in range(len(sides))]
        if len(parts) > 1:  # "what did each cost, and how big was the average credit": each side by each part too
            retrievals += [retrieve(f"{side} {part}") for side in sides for part, _, _ in parts]
        merged = _pool(retrievals)
        if all(r.low_confidence for r in retrievals):
            return self._abstain(question, merged, interpretation, retrievals[0].low_confidence or "nothing retrieved")
        cands = self.builder.build(asked, merged)
        names = self.names(sides)
        types = set(interpretation.answer_types)
        # what the sides are compared on: the question's words that name neither side ("size", "interest rate")
        dims = set(content_terms(asked, drop_question_words=True)) - set().union(*(set(content_terms(x)) for x in sides))
        briefs = self.briefs()
        cited = Cited(merged, briefs)
        used: set[int] = set()
        rows: list[ComparisonRow] = []
        for i, (side, distinct) in enumerate(zip(sides, names, strict=True)):
            others = set().union(*(n for j, n in enumerate(names) if j != i))
            chosen = self._side(cands, merged, distinct, others, types, dims, used, parts)
            used |= {id(c) for c in chosen}
            text = " ".join(cited.sentence(c) for c in chosen)
            rows.append(ComparisonRow(side=side, text=text, citations=[cited.cite(c) for c in chosen],
                                      brief_ids=list(dict.fromkeys(c.brief_id for c in chosen))))
        if not any(row.text for row in rows):
            return self._abstain(question, merged, interpretation, "no sentence names either side")
        lines = [f"{row.side}: {row.text}" if row.text else f"{row.side}: the briefs say nothing about this." for row in rows]
        return Answer(question=question, text="\n".join(lines), citations=cited.citations, passages=merged.passages,
                      query=asked, answerer=self.name, kind="compare", interpretation=interpretation, table=rows,
                      confidence=round(merged.confidence, 4))

    def _side(self, cands: list[Candidate], merged: Retrieval, distinct: set[str], others: set[str], types: set[str],
              dims: set[str], used: set[int], parts: Sequence[Part] = ()) -> list[Candidate]:
        """The side's best sentences: they name it (in the sentence, or half as much in its heading or title), carry
        what is asked (its types) and, other things equal, are about this side alone. A question asking several
        things of each side ("what did each cost, and how big was the average credit?") gets first the best sentence
        for each thing: one carrying the part's type, naming most of its words."""
        named = []
        for c in cands:
            if id(c) in used:
                continue
            p = merged.passages[c.passage]
            # its heading, its brief's title and, for a sentence that refers back ("These prohibitions would …"),
            # the sentence before it say what it is about
            context = c.terms | terms_of(p.title) | terms_of(p.section or "") | c.before
            hits = len(distinct & c.terms) + 0.5 * len(distinct & (context - c.terms))
            if hits >= 0.5 * len(distinct):
                bonus = TYPE_BONUS if c.types & types else 0.0
                alone = 0.0 if others & c.terms else ALONE_BONUS
                on = DIMENSION_BONUS * len(dims & c.terms) / len(dims) if dims else 0.0
                named.append((c.score + bonus + alone + on + NAMED_BONUS * hits / len(distinct), c))
        named.sort(key=lambda sc: -sc[0])
        per_side = self.settings.answer.compare_sentences
        chosen: list[Candidate] = []
        for _, own, wanted in parts:
            fits = [(value + len(own & c.terms) / max(1, len(own)), c) for value, c in named
                    if c not in chosen and (not wanted or c.types & wanted) and (own & c.terms or wanted)]
            best = max(fits, key=lambda f: f[0], default=None)
            if best is not None and (not chosen or best[1].brief_id == chosen[0].brief_id):
                chosen.append(best[1])
        for value, c in named:
            if c in chosen:
                continue
            if len(chosen) >= per_side + 1:
                break
            if chosen and (c.brief_id != chosen[0].brief_id or value < 0.8 * named[0][0]
                           or max(jaccard(c.terms, x.terms) for x in chosen) >= 0.5):
                continue
            covered = set().union(*(x.types for x in chosen)) | set().union(*(x.terms for x in chosen))
            if len(chosen) == per_side and not ((c.types & types) - covered or (c.terms & dims) - covered):
                continue  # a third sentence only for a type or a dimension the first two leave out
            chosen.append(c)
        return reading_order(chosen)

    def _abstain(self, question: str, retrieval: Retrieval, interpretation: Interpretation, reason: str) -> Answer:
        answer = abstention(question, retrieval, reason, self.name)
        answer.kind, answer.interpretation = "compare", interpretation
        return answer


Part = tuple[str, set[str], set[str]]  # a part of the question: its text without the sides, its own words, its types


def _parts(asked: str, sides: list[str]) -> list[Part]:
    """What a comparison asks of each side, when it asks several things ("…: what did each cost, and how big was
    the average credit per recipient?"): each part without the sides' words, its own words and answer types."""
    pieces = question_parts(asked)
    if len(pieces) < 2:
        return []
    named = set().union(*(set(content_terms(s)) for s in sides))
    out: list[Part] = []
    for piece in pieces:
        piece = piece.rsplit(":", 1)[-1].strip()  # "Compare X and Y in 2023: what did each cost" asks the last bit
        own = set(content_terms(piece, drop_question_words=True)) - named - {"compar", "each", "both", "differ"}
        out.append((piece, own, set(part_types(piece))))
    return out


def side_query(asked: str, sides: list[str], i: int) -> str:
    """What one side is retrieved by: the side, then the question without the other sides' words ("Compare USDA's
    Intermediary Relending Program with its Rural Economic Development Loan … interest rate" retrieves the first
    side by "Intermediary Relending … interest rate"), so another side's brief does not outrank its own passages."""
    own = set(content_terms(sides[i]))
    others = set().union(*(set(content_terms(s)) for j, s in enumerate(sides) if j != i)) - own
    rest = " ".join(w for w in asked.split() if not set(content_terms(w)) & others)
    return f"{sides[i]} {rest}"


def _pool(retrievals: list[Retrieval]) -> Retrieval:
    """One retrieval holding every retrieval's passages once (in the order first seen)."""
    seen: dict[str, Passage] = {}
    for r in retrievals:
        for p in r.passages:
            seen.setdefault(p.chunk_id or f"{p.brief_id}:{p.start}", p)
    first = retrievals[0]
    return Retrieval(first.query, list(seen.values()), first.query_vector, max(r.confidence for r in retrievals),
                     first.low_confidence, first.timings)
