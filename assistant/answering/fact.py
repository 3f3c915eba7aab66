"""Fact questions: one to three cited sentences, the one that carries a value of the expected type first.

1. Candidates are the prose sentences of the retrieved passages (:mod:`assistant.answering.candidates`).
2. When the question expects a type (an amount, a count, a date, a person…), an *answer sentence* is one that carries a
   value of that type **and** is about what is asked: it (with its heading and its brief's title) contains at least
   ``answer.min_focus_share`` of the question's focus words, or is as similar to the question as
   ``answer.focus_similarity``.
3. No answer sentence among the candidates means the briefs cover the topic but not the asked-for fact: the answer
   abstains and says what the briefs do give ("They give amounts for IFPC Increment 2, but none for a single
   launcher") — a near miss, not an off-topic question. When the best sentence about what is asked says the value
   is not known ("The numbers of soldiers assigned to each battery is not known"), the abstention cites it.
4. Otherwise the best answer sentence comes first; further sentences (up to ``answer.fact_max_sentences``) are added
   only while they cover a type or focus word not yet covered, in the brief the first one comes from.

>>> FactStrategy(settings, builder, briefs).answer(question, retrieval, interpretation).text   # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from assistant.answering.abstain import BriefsFn, abstention
from assistant.answering.candidates import (
    FACT_LENGTH_NORM,
    Candidate,
    CandidateBuilder,
    Weights,
    equal_weights,
    focus_terms,
)
from assistant.answering.compose import compose, reading_order
from assistant.answering.cues import prefer_what_is_asked
from assistant.answering.types import (
    PATTERNS,
    AnswerType,
    counted_of,
    counts,
    measure_of,
    measured_of,
    part_types,
    question_part,
    question_parts,
    values_in,
)
from assistant.answering.understand import interpret
from assistant.models import NOT_STATED, Answer, Interpretation, Retrieval, StreamEvent
from assistant.settings import Settings
from assistant.text import content_terms, entities, jaccard, stem, terms_of, without_how_frame

logger = logging.getLogger(__name__)

# a sentence saying the value is not known or not given ("… is not known", "has not yet released …"); not a hedge
# ("it is unclear whether …") or a fact stated in the negative ("… is not determined by income")
NOT_KNOWN = re.compile(
    r"\b(?:is|are|was|were|remains?|remained)\s+(?:not\s+(?:yet\s+)?(?:publicly\s+)?(?:known|disclosed|specified)|"
    r"not\s+(?:yet\s+)?publicly\s+available|unknown|undisclosed)\b|"
    r"\b(?:has|have|had)\s+not\s+(?:yet\s+)?(?:been\s+)?(?:publicly\s+)?(?:released|disclosed|announced|specified|"
    r"made public|published)\b",
    re.I,
)
ORDINAL_OF = re.compile(
    r"\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|"
    r"fifteenth|\d+(?:st|nd|rd|th))\s+([a-z]+)",
    re.I,
)
# "a single launcher", "per ship", "each unit": a question about one unit is answered only by a per-unit figure
PER_UNIT = re.compile(r"\b(?:each|per|apiece|single|individual|unit (?:cost|price)|a piece|per[- ]unit)\b", re.I)
TYPE_WORDS: dict[str, str] = {"amount": "amounts", "percent": "percentages", "number": "figures", "date": "dates",
                              "duration": "durations", "person": "names", "organisation": "organisations", "place": "places"}


SOURCE = re.compile(r"\b(?:according to|per|citing|as reported by)\s+((?:the\s+)?[A-Z][\w&.'’-]*(?:\s+[A-Z][\w&.'’-]*)*)")


@dataclass
class Asked:
    """The question's content words with their weights (IDF over the library), and which of them are names."""

    weights: dict[str, float]
    names: set[str]

    @classmethod
    def of(cls, question: str, topic: str, weights: Weights, publishers: set[str] = frozenset()) -> Asked:  # type: ignore[assignment]
        """``publishers``: the stems of the library's organisations ("Congressional Research Service", "CRS"), which
        name who wrote the briefs, not what a sentence must mention; nor must it repeat a source the question cites
        ("According to NCSL, …")."""
        # what it asks about, without the measure of a how-question ("how high can the toll go?": the toll)
        asked = without_how_frame(question)
        terms = set(content_terms(without_how_frame(topic) if topic else asked, drop_question_words=True)) | set(
            content_terms(asked, drop_question_words=True)
        )
        sourced = " ".join(m.group(1) for m in SOURCE.finditer(question))
        names = set(content_terms(" ".join(w for w in entities(question) if not CALENDAR.match(w)))) & terms
        names -= publishers | set(content_terms(sourced))
        weighted = weights(terms)
        # a name in most of the library's passages ("U.S." in a U.S. library) does not tell sentences apart
        return cls(weighted, {n for n in names if weighted.get(n, COMMON) > COMMON})

    def coverage(self, present: set[str] | frozenset[str], among: set[str] | None = None) -> float:
        wanted = self.weights if among is None else {t: self.weights.get(t, 1.0) for t in among}
        total = sum(wanted.values())
        return sum(w for t, w in wanted.items() if t in present) / total if total else 1.0


COMMON = 1.0 + math.log(2)  # the IDF weight of a word in half the passages
CALENDAR = re.compile(  # capitalised but a date, not a name a sentence must repeat ("by November 2025")
    r"^(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?$|^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day$"
)
PRONOUNS = {"them", "those", "these", "they", "it", "that", "this"}
GENERIC_COUNTED = {"people", "persons", "individuals", "americans", "residents", "times", "units", "items"}


@dataclass
class Figure:
    """What a number in the answer must be a figure of: the thing a "how many" question counts, or the measure it asks
    for (a weight in tons, a range in miles). A sentence whose numbers are of something else does not answer it."""

    counted: set[str]
    measure: re.Pattern[str] | None
    measured: set[str] = frozenset()  # type: ignore[assignment]  # "how much tariff revenue …": an amount of revenue

    @classmethod
    def of(cls, question: str) -> Figure:
        q = question_part(question)
        words_ = counted_of(q)
        counted: set[str] = set()
        if words_ and words_[-1].lower() in PRONOUNS:  # "how many of them …": what the question counted before
            words_ = []
        if words_:
            counted.add(stem(words_[-1]))
            if words_[-1].lower() in GENERIC_COUNTED:  # "how many people were hospitalized" → "… hospitalized"
                after = q[q.lower().find(words_[-1].lower()) + len(words_[-1]) :]
                counted |= {t for t in content_terms(after, drop_question_words=True)[:2]}
        measured = measured_of(q)
        return cls(counted, measure_of(q), {stem(measured[-1])} if measured else set())

    def restrict(self, c: Candidate) -> set[AnswerType]:
        """The candidate's answer types, less "number" (and "amount") when its figures are not of what is asked."""
        types = set(c.types)
        if self.measure is not None and not self.measure.search(c.text):
            types -= {"number", "amount"}
        elif self.counted and "number" in types and not (self.counted & c.terms and counts(c.text)):
            types.discard("number")  # a figure in a sentence about what is counted ("… about 42,000 remain")
        counted = self.counted - {"time"}  # "for the first time" is not a count of times
        if counted and any(stem(m.group(1)) in counted for m in ORDINAL_OF.finditer(c.text)):
            types.add("number")  # "how many ballots did it take?" — "… elected on the fourth ballot"
        if self.measured and not self.measured & c.terms:
            types -= {"amount", "number"}  # "$16.2 billion worth of imports" is not an amount of tariff revenue
        return types


NAMED: set[AnswerType] = {"person", "organisation", "place"}


def _new_names(c: Candidate, types: set[AnswerType], stated: set[str]) -> set[AnswerType]:
    """``types`` less the name types whose every name in the sentence the question already states: "Who builds it?"
    about the Marine Corps' vehicle is not answered by a sentence whose only organisation is the Marine Corps; and
    less "number" when the question states every number in it."""
    for t in types & NAMED:
        if not any(set(content_terms(m.group(0))) - stated for m in PATTERNS[t].finditer(c.text)):
            types = types - {t}
    if "number" in types and "amount" not in types and "percent" not in types:
        undated = PATTERNS["date"].sub(" ", c.text)  # "April 23" is a day, not a figure
        figures = [set(content_terms(m.group(0))) for m in PATTERNS["number"].finditer(undated)]
        if figures and all(f and f <= stated for f in figures):
            types = types - {"number"}  # "By what vote did the Senate adopt S.Con.Res. 33?" is not answered by "33"
    return types


def _unanswered(part: str) -> str:
    """What the answer says of a part of the question no sentence answers: "The briefs don't say when." for a bare
    interrogative, the part quoted otherwise."""
    if len(part.split()) <= 2:
        return f"The briefs don't say {part.lower()}."
    return f"The briefs don't answer “{part[:1].upper()}{part[1:]}?”"


QUANTITIES: set[AnswerType] = {"amount", "percent", "number", "duration", "date"}


def _gain(c: Candidate, missing_types: set[AnswerType], missing_focus: set[str], focus: set[str]) -> float:
    """What a further sentence adds: the answer types and focus words not covered yet."""
    return 2.0 * len(c.types & missing_types) + len(c.terms & missing_focus) / max(1, len(focus))


class FactStrategy:
    """Typed, focus-aware sentence selection with precise abstention (see the module docstring)."""

    name = "extractive"

    def __init__(
        self,
        settings: Settings,
        builder: CandidateBuilder,
        briefs: BriefsFn,
        weights: Weights | None = None,
        library_passages: Callable[[], int] = lambda: 0,
    ) -> None:
        self.library_passages = library_passages  # how many passages the rarity of a word is judged over
        self.settings = settings
        self.builder = builder
        self.briefs = briefs
        self.weights = weights or equal_weights
        self._publishers_of: tuple[object, set[str]] | None = None

    def stream(
        self,
        question: str,
        retrieval: Retrieval,
        interpretation: Interpretation | None = None,
        match: str | None = None,
        previous: np.ndarray | None = None,
    ) -> Iterator[StreamEvent]:
        """The answer sentence by sentence (they are verbatim quotes: nothing to take back), then the Answer."""
        answer = self.answer(question, retrieval, interpretation, match, previous)
        for piece in re.split(r"(?<=\]) ", answer.text):
            yield StreamEvent(type="delta", text=piece + " ")
        yield StreamEvent(type="answer", answer=answer)

    def answer(
        self,
        question: str,
        retrieval: Retrieval,
        interpretation: Interpretation | None = None,
        match: str | None = None,
        previous: np.ndarray | None = None,
    ) -> Answer:
        """``match`` is a follow-up's standalone form, which carries the conversation's subject (the retrieval's query
        vector is its vector; the words it adds count as present in every sentence); ``previous`` the vector of the
        previous answer, near whose place in the brief a follow-up's sentences score higher."""
        t0 = time.perf_counter()
        asked_text = match or question
        if interpretation is None:
            interpretation = interpret(question, [], self.briefs())
        if retrieval.low_confidence:
            return self._abstain(question, retrieval, interpretation, retrieval.low_confidence)
        # a follow-up's sentences are scored by the words it asks with ("how did the court rule"), and by the vector of
        # its standalone form: the conversation's words ("congestion pricing") already chose the brief, and would
        # otherwise outweigh what is asked now
        cands = self.builder.build(question, retrieval, length_norm=FACT_LENGTH_NORM)
        if not cands:
            return self._abstain(
                question, retrieval, interpretation, "no prose sentence in the retrieved passages"
            )
        cfg = self.settings.answer
        if previous is not None:
            self._near_previous(cands, retrieval, previous)
        types: list[AnswerType] = [t for t in interpretation.answer_types]  # type: ignore[misc]
        figure = Figure.of(question)
        if figure.measure is not None:
            types = ["number"]
        prefer_what_is_asked(cands, question, set(types), cfg)
        best_sim = max(c.sim for c in cands)
        if best_sim < cfg.min_answer_score and max(c.lexical for c in cands) < 0.5:
            return self._abstain(
                question, retrieval, interpretation, "nothing retrieved is similar to the question"
            )
        focus = focus_terms(asked_text, interpretation.topic if not match else None)
        asked = Asked.of(asked_text, interpretation.topic if not match else "", self.weights, self._publishers())
        per_unit = bool(PER_UNIT.search(question)) and "amount" in interpretation.answer_types
        # a follow-up's conversation words ("(Army XM-30)") locate the answer but are not what it asks about: they
        # count as present, as a brief's title does
        context = set(content_terms(match)) - set(content_terms(question)) if match else set()
        if match:
            focus = focus_terms(question, interpretation.topic)
        stated = set(content_terms(asked_text))
        parts = question_parts(question) if types else [question]
        if len(parts) > 1:  # answered part by part, each part by its own sentence
            chosen, unsaid = self._by_part(parts, cands, asked, retrieval, context, stated)
            if chosen:
                # the words of a part no sentence answers do not call for more sentences ("… cost" padding)
                unsaid_terms = set().union(*(content_terms(u, drop_question_words=True) for u in unsaid))
                chosen = self._extend(chosen, cands, set(), focus - unsaid_terms)
                return self._compose(question, chosen, retrieval, interpretation, t0, unsaid)
        on_focus = {id(c): self._on_focus(c, asked, retrieval, context) for c in cands}
        said_unknown = self._said_unknown(cands, on_focus, set(types))
        if said_unknown is not None:
            return self._stated_unknown(question, said_unknown, retrieval, interpretation)
        # a description must come from sentences about what is asked; a very similar sentence stands in for them only
        # in a small library, where the rarity of words (and so what a sentence is about) says little
        large = self.library_passages() >= self.settings.retrieval.unknown_word_min_passages
        if not types and (large or best_sim < cfg.min_focus_score) and not any(on_focus.values()):
            return self._abstain(
                question,
                retrieval,
                interpretation,
                "the briefs mention the names in the question, but not what it asks about them",
            )
        if types:
            for c in cands:
                c.types = _new_names(c, figure.restrict(c), stated)
            answers = [
                c for c in cands if c.types & set(types) and on_focus[id(c)] and self._unit_ok(c, per_unit)
            ]
            if not answers:
                return self._near_miss(question, retrieval, interpretation, cands, types, focus)
            for c in answers:
                c.score += cfg.type_bonus
            chosen = self._cover(answers, cands, types, focus)
        else:
            # a description leads with the sentences about what is asked ("how did the court rule": those about the
            # court, not those near the previous answer)
            for c in cands:
                if on_focus[id(c)]:
                    c.score += cfg.focus_bonus
            chosen = self._diverse(cands, cfg.describe_max_sentences)
        return self._compose(question, chosen, retrieval, interpretation, t0, lead=True)

    def _compose(
        self,
        question: str,
        chosen: list[Candidate],
        retrieval: Retrieval,
        interpretation: Interpretation,
        t0: float,
        unsaid: list[str] | None = None,
        lead: bool = False,
    ) -> Answer:
        """The answer of ``chosen`` sentences in reading order (with ``lead``, the best one first: the answer, then
        what surrounds it), then a sentence for each part of the question that no sentence answers (``unsaid``)."""
        ordered = reading_order(chosen)
        if lead and ordered:
            best = max(chosen, key=lambda c: c.score)
            ordered = [best] + [c for c in ordered if c is not best]
        answer = compose(
            question,
            ordered,
            retrieval,
            self.briefs(),
            kind="fact",
            interpretation=interpretation,
            answerer=self.name,
        )
        if unsaid:
            answer.text += " " + " ".join(_unanswered(u) for u in unsaid)
            interpretation.notes.append("not in the briefs: " + "; ".join(unsaid))
        answer.timings = {**retrieval.timings, "answer_ms": (time.perf_counter() - t0) * 1000}
        return answer

    def _publishers(self) -> set[str]:
        """The stems of the library's organisations and their initials (recomputed only when the library changes)."""
        briefs = self.briefs()
        if self._publishers_of is not None and self._publishers_of[0] is briefs:
            return self._publishers_of[1]
        orgs = {b.organisation for b in briefs.values() if b.organisation}
        initials = {"".join(w[0] for w in o.split() if w[0].isupper()) for o in orgs}
        stems = set(content_terms(" ".join(orgs | initials)))
        self._publishers_of = (briefs, stems)
        return stems

    def _near_previous(self, cands: list[Candidate], retrieval: Retrieval, previous: np.ndarray) -> None:
        """Raise the scores of sentences near the one most like the previous answer, in its brief."""
        cfg = self.settings.answer
        here = max(cands, key=lambda c: float(c.vector @ previous))
        at = retrieval.passages[here.passage].start + here.start
        for c in cands:
            if c.brief_id == here.brief_id:
                away = abs(retrieval.passages[c.passage].start + c.start - at)
                c.score += cfg.follow_up_locality * 0.5 ** (away / cfg.follow_up_locality_chars)

    # -- what counts as answering --------------------------------------------------------------------------
    def _on_focus(self, c: Candidate, asked: Asked, retrieval: Retrieval, context: set[str] = frozenset()) -> bool:  # type: ignore[assignment]
        """Whether the sentence is about what is asked: with its heading and its brief's title it contains most of the
        question's words by weight (rare words weigh more: "heat pumps" outweighs "taxpayers"), and the names the
        question adds to its brief's title ("… paid China") are in the sentence itself."""
        p = retrieval.passages[c.passage]
        # the sentence before counts when this one refers back to it ("… reported that this recall impacted …")
        around = terms_of(p.title) | terms_of(p.section or "") | context | c.before
        if asked.coverage(c.terms | around) < self.settings.answer.min_focus_share and c.sim < self.settings.answer.focus_similarity:
            return False
        names = asked.names - around
        return not names or asked.coverage(c.terms, names) >= 0.5

    @staticmethod
    def _unit_ok(c: Candidate, per_unit: bool) -> bool:
        """A question about one unit ("a single launcher", "per ship") is answered only by a per-unit figure."""
        return not per_unit or bool(PER_UNIT.search(c.text))

    def _cover(
        self, answers: list[Candidate], cands: list[Candidate], types: list[AnswerType], focus: set[str]
    ) -> list[Candidate]:
        return self._extend([max(answers, key=lambda c: c.score)], cands, set(types), focus)

    def _extend(
        self, chosen: list[Candidate], cands: list[Candidate], types: set[AnswerType], focus: set[str]
    ) -> list[Candidate]:
        """``chosen`` plus further sentences of the first one's brief while they add a type or focus word."""
        cfg = self.settings.answer
        first = chosen[0]
        chosen = list(chosen)
        missing_types = types - set().union(*(c.types for c in chosen))
        missing_focus = focus - set().union(*(c.terms for c in chosen))
        pool = [c for c in cands if c not in chosen and c.brief_id == first.brief_id]
        while len(chosen) < cfg.fact_max_sentences and (missing_types or missing_focus):
            scored = [
                (_gain(c, missing_types, missing_focus, focus), c)
                for c in pool
                if c not in chosen
                and c.score >= cfg.follow_ratio * first.score
                and max(jaccard(c.terms, x.terms) for x in chosen) < 0.6
            ]
            scored = [(g, c) for g, c in scored if g > 0]
            if not scored:
                break
            _, nxt = max(scored, key=lambda gc: (gc[0], gc[1].score))
            chosen.append(nxt)
            missing_types -= nxt.types
            missing_focus -= nxt.terms
        return chosen

    def _by_part(
        self,
        parts: list[str],
        cands: list[Candidate],
        asked: Asked,
        retrieval: Retrieval,
        context: set[str],
        stated: set[str],
    ) -> tuple[list[Candidate], list[str]]:
        """One sentence per part of a compound question: the best that carries the part's answer type (any sentence
        about it, for a part that asks for a description) and is about the part, with the other parts' words
        counting as present (they say what the part is about: "… ceasefire, and how long was it meant to last?");
        after the first, a part is answered from the same brief when that brief answers it. Also the parts no
        sentence answers."""
        cfg = self.settings.answer
        chosen: list[Candidate] = []
        unsaid: list[str] = []
        asks: list[tuple[str, set[AnswerType], list[Candidate], set[str]]] = []
        for part in parts:
            types: set[AnswerType] = set(part_types(part))
            figure = Figure.of(part)
            if figure.measure is not None:
                types = {"number"}
            own = set(content_terms(part, drop_question_words=True))
            around = context | (set(asked.weights) - own)
            per_unit = bool(PER_UNIT.search(part)) and "amount" in types
            pool = [
                c
                for c in cands
                if self._on_focus(c, asked, retrieval, around)
                and (not types or (_new_names(c, figure.restrict(c), stated) & types and self._unit_ok(c, per_unit)))
            ]
            asks.append((part, types, pool, own))
        # one sentence that gives a quantity for every part asking for one, one each ("31 exploration contracts, of
        # which 17 are in the CCZ"), answers them together when it is nearly as good as the best of any of them; a
        # breakdown ("272,000 good, 310,000 fair and 42,000 poor") does not say which of its figures is the total
        valued = [a for a in asks if a[1]]
        if len(valued) > 1 and all(a[1] <= QUANTITIES for a in valued):  # names abound in long sentences
            both = [c for c in valued[0][2] if all(c in a[2] and values_in(c.text, a[1]) for a in valued)
                    and len(values_in(c.text, set().union(*(a[1] for a in valued)))) == len(valued)]
            top = max((c.score for a in valued for c in a[2]), default=0.0)
            joint = max(both, key=lambda c: c.score, default=None)
            if joint is not None and joint.score >= cfg.follow_ratio * top:
                chosen.append(joint)
                asks = [a for a in asks if not a[1]]
        # the parts that ask for a value first (their sentences are fewer), then those that ask for a description,
        # from a sentence no other part took when there is one ("What would H.R. 1156 do, and by what vote did it
        # pass?": the vote's sentence, then another about the bill)
        for part, types, pool, own in sorted(asks, key=lambda a: not a[1]):
            if chosen:
                pool = [c for c in pool if c.brief_id == chosen[0].brief_id] or pool
            if not pool:
                unsaid.append(part)
                continue
            pool = [c for c in pool if c not in chosen] or pool
            best = max(pool, key=lambda c: c.score + asked.coverage(c.terms, own) + (cfg.type_bonus if types else 0.0))
            if best not in chosen:
                chosen.append(best)
        unsaid = [part.rstrip("?") for part in parts if part in unsaid]  # in the order the question asks them
        return chosen, unsaid

    def _diverse(self, cands: list[Candidate], k: int, lam: float = 0.7) -> list[Candidate]:
        """Maximal marginal relevance with lexical redundancy, kept to the best brief unless another brief's sentence
        is nearly as good (sentence vectors from one chunk share its context, so their cosine says little about
        repetition)."""
        top = max(cands, key=lambda c: c.score)
        chosen: list[Candidate] = []
        while len(chosen) < min(k, len(cands)):
            best, value = None, -1e9
            for c in cands:
                if c in chosen or (c.brief_id != top.brief_id and c.score < 0.9 * top.score):
                    continue
                v = lam * c.score - (1 - lam) * max((jaccard(c.terms, x.terms) for x in chosen), default=0.0)
                if v > value:
                    best, value = c, v
            if best is None or (chosen and best.score < self.settings.answer.describe_ratio * top.score):
                break
            chosen.append(best)
        return chosen

    # -- abstaining -------------------------------------------------------------------------------------------
    @staticmethod
    def _said_unknown(cands: list[Candidate], on_focus: dict[int, bool], types: set[str]) -> Candidate | None:
        """The best sentence about what is asked, when it says the value is not known ("The numbers of soldiers
        assigned to each battery is not known.", "The Administration has not yet released an end strength
        request") and gives no value of the asked-for type itself."""
        about = [c for c in cands if on_focus[id(c)]]
        best = max(about, key=lambda c: c.score, default=None)
        if best is None or not NOT_KNOWN.search(best.text) or best.types & types:
            return None
        return best

    def _stated_unknown(
        self, question: str, said: Candidate, retrieval: Retrieval, interpretation: Interpretation
    ) -> Answer:
        """An abstention that cites the brief saying the asked-for value is not known."""
        answer = compose(question, [said], retrieval, self.briefs(), kind="fact", interpretation=interpretation,
                         answerer=self.name)
        title = retrieval.passages[said.passage].title
        answer.text = f"{NOT_STATED} “{title}” says: {answer.text}"
        answer.abstained = True
        answer.abstain_reason = "the brief says the asked-for value is not known"
        interpretation.notes.append("the brief says it is not known")
        return answer

    def _near_miss(
        self,
        question: str,
        retrieval: Retrieval,
        interpretation: Interpretation,
        cands: list[Candidate],
        types: list[AnswerType],
        focus: set[str],
    ) -> Answer:
        wanted = " or ".join(TYPE_WORDS[t] for t in types)
        topic = retrieval.passages[0].title if retrieval.passages else "the topic"
        given = sorted({t for c in cands[:40] for t in c.types} - {"organisation", "person", "place"})
        gives = (", ".join(TYPE_WORDS[t] for t in given[:-1]) + " and " + TYPE_WORDS[given[-1]] if len(given) > 1
                 else TYPE_WORDS[given[0]] if given else "background")
        asked = " ".join(w for w in interpretation.topic.split() if w.lower() not in ("and", "or"))[:80] or "what is asked"
        said = f"The closest brief, “{topic}”, gives {gives} on the topic, but none of its {wanted} is for “{asked}”."
        reason = f"no sentence carries a value of type {wanted} about the asked-for thing (focus: {', '.join(sorted(focus))})"
        return self._abstain(question, retrieval, interpretation, reason, said)

    def _abstain(
        self,
        question: str,
        retrieval: Retrieval,
        interpretation: Interpretation,
        reason: str,
        said: str | None = None,
    ) -> Answer:
        answer = abstention(question, retrieval, reason, self.name, said)
        answer.kind, answer.interpretation = interpretation.kind, interpretation
        return answer
