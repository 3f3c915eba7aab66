"""Hybrid retrieval: dense (Chroma) and BM25 candidates fused by reciprocal rank, filtered by metadata,
newest version preferred, near-duplicates collapsed, with a confidence signal for abstention.

>>> r = HybridRetriever(settings, store, embedder).retrieve("What did the visit achieve?")   # doctest: +SKIP
>>> r.passages[0].brief_id                                                                   # doctest: +SKIP
'blinkens-visit-to-beijing'
"""

from __future__ import annotations

import logging
import re
import threading
import time
from functools import lru_cache

from assistant.answering.aliases import briefs_about
from assistant.models import BriefMeta, Filters, Mode, Passage, Retrieval
from assistant.protocols import Embedder
from assistant.retrieval.filters import allowed_briefs
from assistant.settings import Settings
from assistant.store import BriefStore
from assistant.text import content_terms, entities, intent_cues, jaccard, name_phrases, terms_of

logger = logging.getLogger(__name__)
ABSENT_PHRASE_BRIEFS = 5  # the retrieved briefs searched in full for a name the question gives


class HybridRetriever:
    """Retrieves passages from a :class:`BriefStore`; safe to share between threads."""

    def __init__(self, settings: Settings, store: BriefStore, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self._briefs: tuple[int, dict[str, BriefMeta]] = (-1, {})
        self._allowed: dict[tuple[int, str], set[str] | None] = {}
        self._lock = threading.Lock()

    def briefs(self) -> dict[str, BriefMeta]:
        """Brief metadata by id, cached per registry revision."""
        return self._briefs_at()[1]

    def _briefs_at(self) -> tuple[int, dict[str, BriefMeta]]:
        revision = self.store.registry.revision()
        with self._lock:
            if self._briefs[0] != revision:
                self._briefs = (revision, {b.id: b for b in self.store.list_briefs()})
            return self._briefs

    def allowed_briefs(self, filters: Filters | None) -> set[str] | None:
        """Brief ids that pass ``filters`` and the newest-version rule; None means all. Kept per registry
        revision and filters (23 ms per question at 9,200 briefs otherwise)."""
        revision, briefs = self._briefs_at()  # the pair read together: another thread may move to a newer one
        key = (revision, filters.model_dump_json() if filters is not None else "")
        with self._lock:
            if key in self._allowed:
                return self._allowed[key]
        allowed = allowed_briefs(briefs, filters)
        with self._lock:
            if len(self._allowed) > 256:
                self._allowed.clear()
            self._allowed[key] = allowed
        return allowed

    def retrieve(
        self,
        query: str,
        filters: Filters | None = None,
        top_k: int | None = None,
        mode: Mode = "hybrid",
        question: str | None = None,
    ) -> Retrieval:
        """Passages for ``query`` (the standalone query); ``question`` is what the user typed, when a
        follow-up was rewritten, and decides how much of the question a missing name is."""
        cfg = self.settings.retrieval
        k = top_k or cfg.top_k
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        allowed = self.allowed_briefs(filters)
        vector = self.embedder.embed([query])[0]
        t1 = time.perf_counter()
        timings["embed_query_ms"] = (t1 - t0) * 1000
        narrow = allowed is not None and len(allowed) < 0.5 * len(self.briefs())
        dense = (
            self.store.dense_search(vector, cfg.candidates, allowed, prefilter=narrow)
            if mode != "bm25"
            else []
        )
        t2 = time.perf_counter()
        keyword = self.store.keyword_index()
        sparse = (
            keyword.search(f"{query} {intent_cues(query)}", cfg.candidates, allowed)
            if keyword is not None and mode != "dense"
            else []
        )
        t3 = time.perf_counter()
        timings["dense_ms"], timings["bm25_ms"] = (t2 - t1) * 1000, (t3 - t2) * 1000
        passages = self._fuse(dense, sparse, k)
        confidence, reason = self._confidence(query, dense, passages, question or query)
        timings["fuse_ms"] = (time.perf_counter() - t3) * 1000
        return Retrieval(query, passages, vector, confidence, reason, timings)

    def _fuse(self, dense: list[tuple[str, float]], sparse: list[tuple[str, float]], k: int) -> list[Passage]:
        # Reciprocal-rank fusion written out rather than llama-index's QueryFusionRetriever: it fuses chunk-id
        # rankings before any text is read, breaks ties by dense score, and that library's fusion is a private method.
        rrf_k = self.settings.retrieval.rrf_k
        fused: dict[str, float] = {}
        for ranking in (dense, sparse):
            for rank, (cid, _) in enumerate(ranking):
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (rrf_k + rank + 1)
        dense_by, sparse_by = dict(dense), dict(sparse)
        order = sorted(fused, key=lambda c: (-fused[c], -dense_by.get(c, -1.0)))
        rows = self.store.chunks(order)
        briefs = self.briefs()
        kept: list[Passage] = []
        kept_terms: list[set[str]] = []
        seen_texts: set[str] = set()
        for cid in order:
            row = rows.get(cid)
            if row is None or row.brief_id not in briefs:
                continue  # not committed (interrupted ingest) or just deleted
            if row.text in seen_texts:
                continue  # the same text as a passage kept or dropped above (a copied brief): same verdict
            seen_texts.add(row.text)
            terms = set(terms_of(row.text))
            if any(jaccard(terms, t) >= self.settings.retrieval.dedupe_threshold for t in kept_terms):
                continue
            kept_terms.append(terms)
            kept.append(
                Passage(
                    brief_id=row.brief_id,
                    title=briefs[row.brief_id].title,
                    text=row.text,
                    start=row.start,
                    end=row.end,
                    score=round(fused[cid], 6),
                    chunk_id=cid,
                    section=row.section,
                    dense_score=dense_by.get(cid),
                    bm25_score=sparse_by.get(cid),
                )
            )
            if len(kept) >= k:
                break
        return kept

    def _confidence(
        self, query: str, dense: list[tuple[str, float]], passages: list[Passage], question: str
    ) -> tuple[float, str | None]:
        cfg = self.settings.retrieval
        if not passages:
            return 0.0, "no passage matched"
        best = max((s for _, s in dense), default=0.0)
        if dense and best < cfg.min_dense_score and _term_coverage(question, passages) < 0.5:
            return (
                best,
                f"best passage similarity {best:.2f} is below {cfg.min_dense_score} and most question words are absent",
            )
        unknown = self._unknown_names(question)
        if unknown:
            return best * 0.5, f"no brief mentions {', '.join(unknown)}"
        words, share = self._unknown_words(question)
        if share >= cfg.unknown_word_share:
            return best * (1 - share), f"no brief uses the words {', '.join(words)}"
        together = self._brief_coverage(query, passages)
        if together < cfg.min_brief_coverage and not _titled_by_names(question, passages, self.briefs()):
            return (
                best * together,
                f"no retrieved brief names much of the question: the best names {together:.0%} of its words by weight",
            )
        absent = self._absent_phrase(question, passages)
        if absent:
            return best * 0.5, f"no brief mentions {absent} (the retrieved briefs name its words, not it)"
        names = entities(query)
        if names:
            coverage, missing = self._entity_coverage(names, passages)
            # A missing name sinks the question when it is much of what is asked ("… say about Taiwan?"), not
            # when it is context around a question the passages do cover ("In Paul Graham's essay, why …?").
            terms = set(content_terms(question, drop_question_words=True)) | set(
                content_terms(" ".join(entities(question)))
            )
            share = len(terms & set(content_terms(" ".join(missing)))) / len(terms) if terms else 0.0
            if missing and share >= cfg.missing_entity_share:
                return (
                    best * coverage,
                    f"no brief mentions {', '.join(missing)} alongside the rest of the question",
                )
        return best, None

    def _brief_coverage(self, query: str, passages: list[Passage]) -> float:
        """The largest share of the query's content words, weighted by rarity (IDF), that one retrieved brief's
        passages name (with their headings and its title). A brief about the topic names its words together; an
        off-topic question finds its words scattered over briefs about other things ("daylight saving time": a brief
        on saving, another on time limits)."""
        terms = set(content_terms(query, drop_question_words=True))
        keyword = self.store.keyword_index()
        if not terms or keyword is None or keyword.size < self.settings.retrieval.unknown_word_min_passages:
            return 1.0  # in a small library rarity says little: it lacks many ordinary words ("single", "cost")
        weights = self.store.term_weights(terms)
        total = sum(weights.values()) or 1.0
        named: dict[str, set[str]] = {}
        for p in passages:
            named.setdefault(p.brief_id, set()).update(
                terms & (terms_of(p.text) | terms_of(p.title) | terms_of(p.section or ""))
            )
        return max((sum(weights[t] for t in found) / total for found in named.values()), default=0.0)

    def _absent_phrase(self, question: str, passages: list[Passage]) -> str | None:
        """A name of several words ("National Flood Insurance Program") that none of the retrieved briefs uses, as a
        phrase (apostrophes and punctuation aside: "Marine Corps' Amphibious Combat Vehicle" names "Marine Corps
        Amphibious Combat Vehicle") or by its initials, and that no retrieved passage names in other words (its words
        close together: "the Senate Committee on Armed Services"), when it is much of what is asked: briefs that use
        its words apart ("flood", "insurance", "program") are not about it."""
        terms = set(content_terms(question, drop_question_words=True))
        if not terms:
            return None
        briefs = self.briefs()
        texts: dict[str, str] = {}
        for phrase in name_phrases(question):
            own = set(content_terms(phrase))
            if len(terms & own) / len(terms) < self.settings.retrieval.missing_entity_share:
                continue
            if any(_names_near(phrase, _searchable(p.text)) for p in passages):
                continue  # named in other words ("the Senate Committee on Armed Services")
            if not texts:  # read once, and only for a question that names something
                for p in passages:
                    if p.brief_id not in texts and len(texts) < ABSENT_PHRASE_BRIEFS:
                        meta = briefs.get(p.brief_id)
                        body = self.store.registry.brief_text(p.brief_id) or ""  # None: deleted meanwhile
                        texts[p.brief_id] = _searchable(f"{meta.title if meta else ''} {body}")
            if not any(_named_in(phrase, text) for text in texts.values()):
                return phrase
        return None

    def _unknown_names(self, question: str) -> list[str]:
        """Names in the question that no brief in the library uses at all ("Boko Haram", "PFAS"): whatever retrieval
        returns, it is not about them."""
        keyword = self.store.keyword_index()
        if keyword is None:
            return []
        out = []
        for name in entities(question):
            tokens, unknown = keyword.unknown(name)
            if tokens and len(unknown) == len(tokens):
                out.append(name)
        return out

    def _unknown_words(self, question: str) -> tuple[list[str], float]:
        """The question's content words that no brief uses, and the share of the question's weight they carry (a
        rare word weighs more, so "measles" outweighs "recent")."""
        keyword = self.store.keyword_index()
        terms = set(content_terms(question, drop_question_words=True))
        if keyword is None or not terms or keyword.size < self.settings.retrieval.unknown_word_min_passages:
            return [], 0.0
        _, unknown = keyword.unknown(question)
        missing = sorted(terms & set(unknown))
        weights = self.store.term_weights(terms)
        total = sum(weights.values())
        return missing, (sum(weights[t] for t in missing) / total if total else 0.0)

    def _entity_coverage(self, names: list[str], passages: list[Passage]) -> tuple[float, list[str]]:
        """Best share of ``names`` that one brief's retrieved passages (and metadata) mention."""
        briefs = self.briefs()
        by_brief: dict[str, str] = {}
        for p in passages:
            by_brief[p.brief_id] = by_brief.get(p.brief_id, "") + " " + p.text
        best, missing = 0.0, list(names)
        for bid, text in by_brief.items():
            meta = briefs.get(bid)
            hay = " ".join(
                [
                    text,
                    meta.title,
                    " ".join(meta.authors),
                    meta.organisation or "",
                    _acronym(meta.organisation),
                ]
                if meta
                else [text]
            ).lower()
            gone = [n for n in names if re.sub(r"['’]s$", "", n.lower()) not in hay]
            share = 1 - len(gone) / len(names)
            if share > best or (share == best and len(gone) < len(missing)):
                best, missing = share, gone
        return best, missing


def _named_in(phrase: str, text: str) -> bool:
    """Whether ``text`` (a :func:`_searchable` string) names ``phrase``: as a phrase, or by its initials ("NFIP")."""
    initials = "".join(w[0] for w in phrase.split() if w[:1].isupper()).lower()
    return _searchable(phrase) in text or f" {initials} " in text


def _names_near(phrase: str, text: str, slack: int = 3) -> bool:
    """Whether every word of ``phrase`` occurs in ``text`` (a :func:`_searchable` string) within a stretch of its
    length plus ``slack`` words, in any order."""
    wanted = set(_searchable(phrase).split())
    tokens = text.split()
    width = len(wanted) + slack
    at = [i for i, t in enumerate(tokens) if t in wanted]
    for i in at:
        if wanted <= set(tokens[i : i + width]):
            return True
    return False


@lru_cache(maxsize=64)
def _searchable(text: str) -> str:
    """``text`` lower-cased, without possessives, apostrophes and punctuation, spaced words (kept: the same briefs
    come back): "the Marine Corps’ Amphibious Combat Vehicle (ACV)" → " the marine corps amphibious combat vehicle
    acv "."""
    flat = re.sub(r"['’]s\b|['’]", "", text.lower())
    return " " + " ".join(re.findall(r"[a-z0-9]+", flat)) + " "


def _term_coverage(query: str, passages: list[Passage]) -> float:
    """Share of the question's content words found in the passages (or their headings and titles)."""
    terms = set(content_terms(query, drop_question_words=True))
    cues = set(content_terms(intent_cues(query))) - terms  # the kind of answer counts as one word
    if not terms and not cues:
        return 0.0
    found: set[str] = set()
    for p in passages:
        found |= (terms | cues) & (terms_of(p.text) | terms_of(p.title) | terms_of(p.section or ""))
    return (len(found & terms) + bool(found & cues)) / (len(terms) + bool(cues))


def _acronym(name: str | None) -> str:
    return "".join(w[0] for w in (name or "").split() if w[:1].isupper())


def _titled_by_names(question: str, passages: list[Passage], briefs: dict[str, BriefMeta]) -> bool:
    """Whether a retrieved brief is about every name in the question, by what its title says it is about (before the
    colon): "How much extra money has Australia's government set aside for defense?" and "Australia: Background and
    U.S. Relations". That brief is on the topic, however few of the question's other words ("extra", "aside") it uses;
    whether it gives the asked-for value is the answerer's to judge. A name in many titles ("Congress", "Federal") is
    no brief's subject."""
    about = briefs_about(set(content_terms(" ".join(entities(question)))), briefs)
    return any(p.brief_id in about for p in passages)
