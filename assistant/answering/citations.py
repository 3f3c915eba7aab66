"""Citation checks: every ``[n]`` must point to a retrieved passage that supports its sentence.

Support is lexical (share of the sentence's content words found in the passage) or semantic (cosine
between sentence and the best-matching passage sentence). Unsupported citations are dropped; a
sentence left without support is removed or marked; the surviving citations are renumbered and each
quote is the exact passage sentence that supports the claim, with offsets into the brief.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.models import BriefMeta, Citation, Passage
from assistant.protocols import Embedder
from assistant.settings import AnswerSettings
from assistant.text import MARKER, content_terms, sentence_spans, strip_markers

UNSUPPORTED_MARK = " [unsupported]"


@dataclass
class Claim:
    """An answer sentence and the passage numbers (1-based, as shown to the LLM) it cites."""

    text: str
    cites: list[int]


@dataclass
class Verified:
    text: str
    citations: list[Citation]
    dropped: int
    supported_sentences: int


def parse_claims(answer: str) -> list[Claim]:
    """Split generated text into sentences and their ``[n]`` markers (markers may trail the period,
    so markers opening a sentence belong to the one before)."""
    answer = re.sub(r"\s+", " ", answer).strip()
    claims: list[Claim] = []
    for s, e in sentence_spans(answer):
        sent = answer[s:e]
        lead = re.match(r"^(?:\s*\[\d+(?:\s*,\s*\d+)*\])+", sent)
        if lead and claims:
            claims[-1].cites.extend(_numbers(lead.group(0)))
            sent = sent[lead.end() :]
        body = strip_markers(sent)
        if body and not re.fullmatch(r"[\W\d]*", body):
            claims.append(Claim(body, _numbers(sent)))
    return claims


def _numbers(text: str) -> list[int]:
    return [int(n) for group in MARKER.findall(text) for n in re.split(r"\s*,\s*", group)]


class CitationVerifier:
    """Checks claims against the passages they cite."""

    def __init__(self, settings: AnswerSettings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder

    def support(self, claim: str, passage: Passage) -> tuple[bool, float, tuple[int, int]]:
        """(supported?, score in 0..1, best supporting sentence span within the passage text)."""
        terms = set(content_terms(claim))
        spans = sentence_spans(passage.text) or [(0, len(passage.text))]
        best_span, best_lex = spans[0], 0.0
        for s, e in spans:
            sent_terms = set(content_terms(passage.text[s:e]))
            lex = len(terms & sent_terms) / len(terms) if terms else 0.0
            if lex > best_lex:
                best_lex, best_span = lex, (s, e)
        passage_lex = len(terms & set(content_terms(passage.text))) / len(terms) if terms else 0.0
        if passage_lex >= self.settings.min_support_lexical:
            return True, passage_lex, best_span
        if self.embedder is not None:
            texts = [claim] + [passage.text[s:e] for s, e in spans]
            vecs = self.embedder.embed(texts)
            sims = vecs[1:] @ vecs[0]
            i = int(np.argmax(sims))
            if float(sims[i]) >= self.settings.min_support_embedding:
                return True, float(sims[i]), spans[i]
        return False, passage_lex, best_span

    def verify(self, claims: list[Claim], passages: list[Passage], briefs: dict[str, BriefMeta]) -> Verified:
        """Keep supported citations only; renumber them 1..m in order of first use."""
        out_sentences: list[str] = []
        citations: list[Citation] = []
        index: dict[tuple[str, int, int], int] = {}
        dropped = supported = 0
        for claim in claims:
            markers: list[int] = []
            for n in dict.fromkeys(claim.cites):
                if not 1 <= n <= len(passages):
                    dropped += 1  # cites a source that was never retrieved
                    continue
                p = passages[n - 1]
                ok, score, (s, e) = self.support(claim.text, p)
                if not ok:
                    dropped += 1
                    continue
                key = (p.brief_id, p.start + s, p.start + e)
                if key not in index:
                    index[key] = len(citations) + 1
                    citations.append(_citation(index[key], p, s, e, score, briefs.get(p.brief_id)))
                markers.append(index[key])
            if markers:
                supported += 1
                out_sentences.append(claim.text + "".join(f" [{m}]" for m in dict.fromkeys(markers)))
            elif self.settings.unsupported == "mark":
                out_sentences.append(claim.text + UNSUPPORTED_MARK)
        return Verified(" ".join(out_sentences), citations, dropped, supported)


def _citation(n: int, p: Passage, s: int, e: int, score: float, meta: BriefMeta | None) -> Citation:
    return Citation(
        n=n,
        brief_id=p.brief_id,
        title=p.title,
        quote=p.text[s:e],
        start=p.start + s,
        end=p.start + e,
        score=round(score, 4),
        authors=meta.authors if meta else [],
        organisation=meta.organisation if meta else None,
        date=meta.date if meta else None,
        source=meta.source if meta else None,
    )


def citation_for_span(n: int, p: Passage, s: int, e: int, score: float, meta: BriefMeta | None) -> Citation:
    """A citation of ``p.text[s:e]`` (used by the extractive answerer, which quotes verbatim)."""
    return _citation(n, p, s, e, score, meta)
