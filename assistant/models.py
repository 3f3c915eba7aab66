"""Data shared by every surface: the Answer (with citations and passages), filters and brief records.

>>> Filters(author="Clark").model_dump(exclude_none=True)
{'author': 'Clark', 'all_versions': False}
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, model_validator

Mode = Literal["hybrid", "dense", "bm25"]  # retrieval: dense and BM25 fused, or one of them alone
NOT_COVERED = "The briefs don't cover this question."  # how an off-topic abstention begins
NOT_STATED = (
    "The briefs don't say."  # how a near miss begins: the topic is covered, the asked-for fact is not
)
UPLOAD_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")  # file types a brief can be uploaded as


class Filters(BaseModel):
    """Metadata filters applied to both dense and keyword retrieval."""

    author: str | None = Field(
        None, description="Case-insensitive substring of an author name.", examples=["Clark"]
    )
    organisation: str | None = Field(None, description="Case-insensitive substring of the organisation.")
    brief_id: str | list[str] | None = Field(None, description="One brief id or a list of them.")
    date_from: dt.date | None = Field(None, description="Earliest publication date (inclusive).")
    date_to: dt.date | None = Field(None, description="Latest publication date (inclusive).")
    product_type: str | None = Field(
        None, description="Case-insensitive substring of the product type, e.g. 'In Focus'."
    )
    all_versions: bool = Field(False, description="Include older versions of a brief (default: newest only).")

    @model_validator(mode="after")
    def _check_range(self) -> Filters:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"date_from ({self.date_from}) is after date_to ({self.date_to})")
        return self

    def is_empty(self) -> bool:
        return not any(
            [self.author, self.organisation, self.brief_id, self.date_from, self.date_to, self.product_type]
        )


class BriefMeta(BaseModel):
    """Metadata of one brief as stored in the registry."""

    id: str
    title: str
    authors: list[str] = Field(default_factory=list)
    organisation: str | None = None
    date: str | None = Field(None, description="Publication date, ISO-8601 (YYYY-MM-DD).")
    source: str | None = Field(None, description="URL of the original.")
    path: str
    content_hash: str
    series: str | None = Field(None, description="Report number shared by the versions of one brief.")
    version: int | None = None
    product_type: str | None = Field(
        None, description="The kind of product, e.g. 'In Focus', 'Insight', 'Report'."
    )
    topics: list[str] = Field(
        default_factory=list, description="Subject areas the publisher files the brief under."
    )
    chunks: int = 0
    chars: int = 0
    ingested_at: str | None = None
    pages: int = Field(0, description="Pages of the original (PDFs; 0 for other formats).")


class Passage(BaseModel):
    """A retrieved passage: a chunk of a brief's cleaned text at [start, end)."""

    brief_id: str
    title: str
    text: str
    start: int
    end: int
    score: float
    chunk_id: str = ""
    section: str | None = None
    dense_score: float | None = None
    bm25_score: float | None = None
    page: int | None = Field(None, description="PDFs: the page the passage starts on (1-based).")
    page_end: int | None = Field(None, description="PDFs: the page it ends on, when that is a later page.")


class SearchHit(Passage):
    """A ranked passage with its brief's metadata (what search surfaces return)."""

    rank: int = Field(..., description="1 = best.")
    authors: list[str] = Field(default_factory=list)
    organisation: str | None = None
    date: str | None = None
    source: str | None = None


class Citation(BaseModel):
    """One numbered citation: ``quote`` is exactly ``brief.text[start:end]``."""

    n: int
    brief_id: str
    title: str
    authors: list[str] = Field(default_factory=list)
    organisation: str | None = None
    date: str | None = None
    source: str | None = None
    quote: str
    start: int
    end: int
    score: float
    page: int | None = Field(None, description="PDFs: the page the quote starts on (1-based), for 'p. 4'.")
    page_end: int | None = Field(None, description="PDFs: the page the quote ends on, when it runs onto a later one.")


class BriefLayout(BaseModel):
    """Where a brief's sections and pages start in its cleaned text: what page numbers and the reader view use."""

    sections: list[tuple[int, str]] = Field(default_factory=list, description="(offset, heading), in order.")
    pages: list[int] = Field(
        default_factory=list, description="PDFs: the offset where page i+1 starts (empty for other formats)."
    )


class Section(BaseModel):
    """A heading of a brief and the span of cleaned text it heads."""

    heading: str
    start: int = Field(..., description="Offset of the heading in the cleaned text.")
    end: int = Field(..., description="Where the next section starts (or the end of the text).")


class PageRange(BaseModel):
    """Where one page of the original PDF lies in the cleaned text."""

    page: int = Field(..., description="1-based page number.")
    start: int
    end: int


class BriefText(BaseModel):
    """A whole brief for reading: cleaned text (citations index into it), its sections and, for PDFs, its pages."""

    id: str
    title: str
    text: str
    sections: list[Section] = Field(default_factory=list)
    pages: list[PageRange] = Field(default_factory=list, description="Empty unless the brief is a PDF.")
    file_type: str | None = Field(
        None, description="Media type of the kept original ('application/pdf'), or null when none is kept."
    )


AnswerKind = Literal["fact", "metadata", "list", "summary", "compare"]
MetadataField = Literal[
    "authors", "date", "report_number", "version", "product_type", "organisation", "source"
]


class Interpretation(BaseModel):
    """How the question was understood: shown with the answer, so a user can see why it answered as it did."""

    kind: AnswerKind = Field(
        "fact", description="fact, metadata (about a brief itself), list (of briefs), summary or compare."
    )
    follow_up: bool = Field(
        False, description="Whether the question needed the conversation to be understood."
    )
    answer_types: list[str] = Field(
        default_factory=list,
        description="Value types asked for: amount, percent, number, "
        "date, duration, person, organisation, place ([]: a description).",
    )
    metadata_fields: list[MetadataField] = Field(
        default_factory=list, description="For metadata questions: what is asked."
    )
    topic: str = Field("", description="What the question is about, without its scaffolding and filters.")
    sides: list[str] = Field(default_factory=list, description="For comparisons: the things compared.")
    filters: Filters = Field(
        default_factory=lambda: Filters(), description="Filters the question states in words."
    )
    notes: list[str] = Field(default_factory=list, description="The interpretation in words.")


class ListedBrief(BaseModel):
    """One brief of a list answer, with the citation that shows why it matches."""

    brief_id: str
    title: str
    date: str | None = None
    report_number: str | None = None
    product_type: str | None = None
    citation: int | None = Field(None, description="The [n] of the passage that shows why the brief matches.")


class ComparisonRow(BaseModel):
    """One side of a comparison: what the briefs say about it, with its citations."""

    side: str
    text: str = Field(
        "", description="The cited sentences about this side ('' when the briefs say nothing about it)."
    )
    citations: list[int] = Field(default_factory=list)
    brief_ids: list[str] = Field(default_factory=list)


class Answer(BaseModel):
    """What every surface returns: text with inline [n] markers, verified citations and the evidence."""

    question: str
    text: str
    citations: list[Citation] = Field(default_factory=list)
    abstained: bool = False
    passages: list[Passage] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict, description="Milliseconds per stage.")
    query: str = Field("", description="The standalone query actually used for retrieval.")
    answerer: str = "extractive"
    dropped_citations: int = Field(
        0, description="Citations removed because they did not support their sentence."
    )
    confidence: float = 0.0
    kind: AnswerKind = Field("fact", description="The kind of answer (see interpretation).")
    interpretation: Interpretation | None = Field(None, description="How the question was understood.")
    abstain_reason: str | None = Field(None, description="Why the assistant abstained, when it did.")
    briefs: list[ListedBrief] = Field(
        default_factory=list, description="For list answers: the matching briefs, newest first."
    )
    table: list[ComparisonRow] = Field(default_factory=list, description="For comparisons: one row per side.")


class Turn(BaseModel):
    role: Literal["user", "assistant", "system"]
    content: str
    brief_ids: list[str] = Field(
        default_factory=list,
        description="For an assistant turn: the briefs it cited, so that "
        "a follow-up can stay on them (optional).",
    )


class StreamEvent(BaseModel):
    """An item of an answer stream: text deltas, then one final event carrying the verified Answer."""

    type: Literal["delta", "answer"]
    text: str = ""
    answer: Answer | None = None

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


# -- inside the core: plain dataclasses ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ChunkRow:
    """A committed chunk: ``text == brief_text[start:end]``."""

    id: str
    brief_id: str
    idx: int
    start: int
    end: int
    section: str | None
    text: str


Spans = list[tuple[int, int]]


@dataclass(frozen=True, slots=True)
class SentenceVectors:
    """The sentences of one chunk (spans relative to the chunk text) and their unit vectors, one row each."""

    spans: Spans
    vectors: np.ndarray


@dataclass(frozen=True, slots=True)
class VectorEntry:
    """One stored vector as recovery sees it."""

    id: str
    brief_id: str
    generation: str
    written_at: float = 0.0


@dataclass(frozen=True, slots=True)
class Committed:
    """What the registry holds for one brief: enough to decide what to write, skip, repair or delete."""

    generation: str
    fingerprint: str
    path: str
    chunks: int


@dataclass
class PreparedBrief:
    """A brief ready to commit: metadata, cleaned text, chunks and (when the embedder gives them) sentence vectors.

    ``generation`` (from the fingerprint) is part of every chunk id, so a re-ingest writes new vectors beside the
    old ones and the registry commit switches between them atomically."""

    meta: BriefMeta
    fingerprint: str
    text: str
    chunks: list[ChunkRow]
    sentences: dict[str, SentenceVectors] = field(default_factory=dict)
    layout: BriefLayout = field(default_factory=BriefLayout)

    @property
    def generation(self) -> str:
        return self.fingerprint[:12]


@dataclass
class Retrieval:
    """What retrieval hands the answerers: ranked passages, the query vector and a confidence signal."""

    query: str
    passages: list[Passage]
    query_vector: np.ndarray
    confidence: float
    low_confidence: str | None  # why the passages probably don't answer the question
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class IngestReport:
    """What one ingest run did: counts, and every file it failed on or skipped, with the reason."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    repaired: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    briefs: int = 0
    chunks: int = 0
    ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class UploadResult:
    """The outcome of one uploaded file."""

    filename: str
    status: Literal["added", "updated", "unchanged", "skipped", "failed"]
    brief_id: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
