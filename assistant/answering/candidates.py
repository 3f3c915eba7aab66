"""Candidate answer sentences: the prose sentences of the retrieved passages, each with what the strategies score
it by — similarity to the question (from the sentence vectors stored at ingest), the question's words it shares (its
brief's title and section heading count too), the answer types it carries, and where it sits in its paragraph.

Only prose is a candidate: headings, captions, table rows, key-value header lines, list stems, bibliography entries
and fragments never become answer sentences.

>>> cands = CandidateBuilder(embedder, store).build(question, retrieval)   # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from assistant.answering.aliases import acronyms, common_names, with_aliases
from assistant.answering.types import AnswerType, types_in
from assistant.models import BriefMeta, Citation, Passage, Retrieval, SentenceVectors
from assistant.protocols import Embedder
from assistant.text import (
    MARKER,
    MIN_SHARED_STEM,
    content_terms,
    entities,
    intent_cues,
    same_word,
    sentence_spans,
    terms_of,
    without_how_frame,
    words,
)

SECTION_BONUS = (
    0.15  # a sentence under a heading that names the question's topic or intent ("The Focal Outcomes")
)
# how much a fact answer discounts the question's words found in a long sentence: a 70-word sentence names many words
# by chance, and an answer of three such sentences is a paragraph
FACT_LENGTH_NORM = 0.3
LEAD_BONUS = 0.05  # analysts put the point first: the n-th sentence of a paragraph gets LEAD_BONUS / n
META_SENTENCE = re.compile(
    r"^(This|The present|In this) (?:CRS )?(article|paper|brief|report|analysis|essay|piece|insight|sidebar|In Focus|"
    r"product|primer|fact sheet)\b|^It (?:starts|begins|ends|concludes) (?:by|with)\b"
    # a note on how a table's figures are shown ("Shares are rounded to the nearest percentage point.")
    r"|^(?:\w+\s+){1,3}(?:are|were|have been|may be)\s+rounded\b"
    r"|^.*?\b(?:may|do|does|might) not (?:sum|add(?: up)?)\b.*\b(?:totals?|rounding)\b",
    re.I,
)
KEY_VALUE = re.compile(r"^[A-Z][\w ().,'’/&-]{0,40}:\s+\S")  # "Report No.: IF12094", "Note: …" (not prose)
BIBLIOGRAPHY = re.compile(
    r"^(?:see )?(?:CRS (?:Report|In Focus|Insight|Legal Sidebar|Video|Testimony)\s+[A-Z]{0,3}\d|For (?:more|further|additional) "
    r"(?:information|detail|background|discussion)|https?://)|\bet al\.,|\(Washington, DC:|\b(?:accessed|retrieved) (?:on )?"
    r"[A-Z][a-z]+ \d"
    # a sentence that only points elsewhere: "(For a visual of … see CRS Infographic IG10053 …)", "For more on X, see …"
    r"|^\(?For\b[^.;]{0,160}?,\s*see\b"
    # a source note: one ending in a web address, or giving a page range ("… (July 26, 1994), pp. 17891-17895,
    # https://….pdf.")
    r"|https?://\S+$|\bpp\.\s?\d+(?:[-–]\d+)?\b",
    re.I,
)
LIST_STEM = re.compile(
    r"(?::|\b(?:include|includes|including|such as|are|were|following|as follows))\s*$", re.I
)
REFERS_BACK = re.compile(r"\b(?:this|these|those|such|the same)\s+[a-z]|^(?:it|they|he|she|its|their)\b", re.I)
CAPTION = re.compile(r"^(?:Figure|Table|Source|Sources|Notes?|Photo|Image|Chart|Map|Box)\b[\s\d.:-]", re.I)


class SentenceSource(Protocol):
    """Where stored sentence vectors come from (the store), and where ones computed now are kept."""

    def sentence_vectors(self, chunk_ids: Sequence[str]) -> dict[str, SentenceVectors]: ...

    def remember_sentences(self, chunk_id_: str, sv: SentenceVectors) -> None: ...


@dataclass(eq=False)  # a candidate is itself: "c in chosen" must not compare sentence vectors
class Candidate:
    """One prose sentence of a retrieved passage; ``start``/``end`` are offsets into the passage text."""

    passage: int
    start: int
    end: int
    text: str
    brief_id: str
    section: str | None
    terms: frozenset[str]
    lexical: float
    prior: float
    lead: float
    section_match: bool
    vector: np.ndarray
    sim: float = 0.0
    score: float = 0.0
    types: set[AnswerType] = field(default_factory=set)
    # the words of the sentence before it in its paragraph, when it refers back to them ("… this recall impacted …")
    before: frozenset[str] = frozenset()

    def citation(self, n: int, passages: list[Passage], meta: BriefMeta | None) -> Citation:
        p = passages[self.passage]
        return Citation(
            n=n,
            brief_id=p.brief_id,
            title=p.title,
            quote=p.text[self.start : self.end],
            start=p.start + self.start,
            end=p.start + self.end,
            score=round(self.score, 4),
            authors=meta.authors if meta else [],
            organisation=meta.organisation if meta else None,
            date=meta.date if meta else None,
            source=meta.source if meta else None,
        )

    @property
    def display(self) -> str:
        """The sentence as shown in an answer: the source's own footnote marks would read as citations."""
        return re.sub(r"\s+", " ", re.sub(r"^[-•*]\s+", "", MARKER.sub("", self.text))).strip()


def answer_like(text: str, section: str | None) -> bool:
    """Prose sentences only: no headings, captions, table rows, key-value lines, list stems, bibliography
    entries, questions or fragments."""
    body = re.sub(r"^[-•*]\s+", "", text)
    n = len(words(body))
    if (
        n < 6
        or "|" in body
        or body.endswith("?")
        or body == section
        # a heading glued to its first sentence ("Background The Army …"), not a sentence that starts with the
        # heading's words ("The eastern lock cost …" under "The eastern lock")
        or (section and body.startswith(section + " ") and body[len(section) + 1 : len(section) + 2].isupper())
    ):
        return False
    if CAPTION.match(body) or KEY_VALUE.match(body) or META_SENTENCE.match(body) or BIBLIOGRAPHY.search(body):
        return False
    if LIST_STEM.search(body) or re.match(r"^[a-z]{1,2}\.\s|^\(?\d+\)\s|^[a-z]", body):
        return False  # "… include:", "c. GusNIP's …", a sentence that starts mid-way
    return bool(re.search(r"[.!…”\")\]]$|[.!…][\"”’)\]]+$|;$", body))


class CandidateBuilder:
    """Builds the candidate sentences of a retrieval, with their features."""

    def __init__(self, embedder: Embedder, sentences: SentenceSource) -> None:
        self.embedder = embedder
        self.sentences = sentences

    def sentence_vectors(self, passages: list[Passage]) -> list[SentenceVectors]:
        """Sentence spans and vectors of each passage: stored at ingest, else embedded now and cached."""
        stored = self.sentences.sentence_vectors([p.chunk_id for p in passages])
        out = []
        for p in passages:
            if p.chunk_id not in stored:
                spans = sentence_spans(p.text)
                sv = SentenceVectors(spans, self.embedder.embed([p.text[s:e] for s, e in spans]))
                self.sentences.remember_sentences(p.chunk_id, sv)
                stored[p.chunk_id] = sv
            out.append(stored[p.chunk_id])
        return out

    def build(
        self,
        question: str,
        retrieval: Retrieval,
        passages: list[int] | None = None,
        query_vector: np.ndarray | None = None,
        length_norm: float = 0.0,
    ) -> list[Candidate]:
        """Candidates from ``retrieval.passages`` (or the passages at the given indexes), scored against ``question``
        (and ``query_vector``, by default the retrieval's). With ``length_norm`` (0–1) the question's words found in a
        long sentence count for less, as BM25 normalises by length: a fact answer prefers the shorter of two sentences
        that match it equally (a comparison or a summary wants the fuller one)."""
        q_terms = set(content_terms(question, drop_question_words=True)) or set(content_terms(question))
        q_terms |= common_names(question)  # "the United States" in the question, "the U.S." in the sentence
        cues = set(content_terms(intent_cues(question))) - q_terms
        chosen = list(range(len(retrieval.passages))) if passages is None else passages
        top = max((retrieval.passages[i].score for i in chosen), default=1.0) or 1.0
        vectors = self.sentence_vectors([retrieval.passages[i] for i in chosen])
        aliases: dict[str, frozenset[str]] = {}
        for p in retrieval.passages:  # a brief defines its acronyms in its title or text ("… Survey (USGS) FY2027 …")
            aliases.update(acronyms(p.title))
            aliases.update(acronyms(p.text))
        out: list[Candidate] = []
        seen: set[str] = set()
        memo: dict[str, str | None] = {}
        by_start: dict[str, list[str]] = {}
        for q in q_terms:
            by_start.setdefault(q[:MIN_SHARED_STEM], []).append(q)

        def variant(t: str) -> str | None:
            """The question's word that ``t`` is another form of, when the stemmer gave them different stems
            ("compli" for "complying", "complianc" for "compliance")."""
            if t not in memo:
                memo[t] = next((q for q in by_start.get(t[:MIN_SHARED_STEM], ()) if same_word(q, t)), None)
            return memo[t]

        for i, sv in zip(chosen, vectors, strict=True):
            p = retrieval.passages[i]
            title = terms_of(p.title)
            section = terms_of(p.section or "") - title
            section_match = bool(section & (q_terms | cues))
            para_start, nth = -2, 0
            previous = referent = ""
            for (s, e), vec in zip(sv.spans, sv.vectors, strict=True):
                start_of_para = p.text.rfind("\n\n", 0, s)
                nth = nth + 1 if start_of_para == para_start else 0
                if start_of_para != para_start:
                    previous = referent = ""
                para_start = start_of_para
                raw = p.text[s:e]
                text = raw.strip()
                # what a sentence that refers back is about: the sentence before, and what that one referred back to
                # ("S. 4017 would add …. It would also prohibit …. These prohibitions would be enforced …")
                before = f"{previous} {referent}" if previous and REFERS_BACK.search(text) else ""
                previous, referent = text, before
                if _in_table(p.text, s, e):
                    continue  # a cell of a table row ("General purposes (P.L. 119-75, Election Security Grants)")
                if not answer_like(text, p.section) or text in seen or _header_line(text, p.title):
                    continue  # the header line ("<title> Updated April 21, 2026 (R45741)") is not a sentence
                seen.add(text)
                s += len(raw) - len(raw.lstrip())
                terms = with_aliases(frozenset(content_terms(text)), aliases) | common_names(text)
                terms = terms | {v for t in terms - q_terms if (v := variant(t))}
                topic = len(q_terms & (terms | title)) + 0.5 * len(q_terms & section - terms - title)
                intent = 1.0 if cues & terms else 0.5 if cues & section else 0.0
                lexical = (topic + intent) / (len(q_terms) + (1 if cues else 0)) if q_terms else 0.0
                out.append(
                    Candidate(
                        i,
                        s,
                        s + len(text),
                        text,
                        p.brief_id,
                        p.section,
                        terms,
                        lexical,
                        p.score / top,
                        1.0 / (1 + nth),
                        section_match,
                        vec,
                        types=types_in(text),
                        before=frozenset(content_terms(before)),
                    )
                )
        if out:
            sims = np.stack([c.vector for c in out]) @ (
                retrieval.query_vector if query_vector is None else query_vector
            )
            mean_words = float(np.mean([len(c.text.split()) for c in out]))
            for c, sim in zip(out, sims, strict=True):
                c.sim = float(sim)
                norm = 1.0 / (1 - length_norm + length_norm * len(c.text.split()) / mean_words)
                c.score = float(
                    0.45 * sim
                    + 0.4 * c.lexical * norm
                    + 0.15 * c.prior
                    + LEAD_BONUS * c.lead
                    + (SECTION_BONUS if c.section_match else 0.0)
                )
        return out


def _in_table(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` lies on a table row: its line has cells ("a | b"), or it is a line without a
    sentence's end under rows of one (a row whose other cells are empty is stored as its one cell: "General purposes
    (P.L. 119-75, Election Security Grants)"). Prose after a table ends its sentences and stays prose."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    if "|" in line:
        return True
    if re.search(r"[.!?][\"”’)\]]*\s*$", line):
        return False
    at = line_start - 1
    while at > 0:  # up the lines of the block, to a row with cells or a blank line
        above_start = text.rfind("\n", 0, at) + 1
        above = text[above_start:at]
        if not above.strip():
            return False
        if "|" in above:
            return True
        at = above_start - 1
    return False


def focus_terms(question: str, topic: str | None = None) -> set[str]:
    """What the question asks about beyond the names it mentions ("population" in "… of Bangladesh?")."""
    q_terms = set(content_terms(without_how_frame(topic or question), drop_question_words=True))
    return q_terms - set(content_terms(" ".join(entities(question))))


HEADER_AFTER_TITLE = re.compile(r"\s*(?:Updated\b|\(|(?:January|February|March|April|May|June|July|August|September|"
                                r"October|November|December)\s+\d)")


def _header_line(text: str, title: str | None) -> bool:
    """Whether ``text`` is the brief's header line ("<title> Updated April 21, 2026 (R45741)"), not a sentence that
    happens to start with a short title ("Medicaid is the largest …")."""
    if not title or not text.startswith(title):
        return False
    return bool(HEADER_AFTER_TITLE.match(text[len(title) :]))


Weights = Callable[[set[str]], dict[str, float]]  # stems -> weight (IDF over the library; see BriefStore.term_weights)


def equal_weights(stems: set[str]) -> dict[str, float]:
    """Every word weighs the same (no keyword index to weigh them by)."""
    return dict.fromkeys(stems, 1.0)
