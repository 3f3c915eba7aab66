"""Eval datasets: LlamaIndex's ``rag_dataset.json`` and the project's own JSONL, validated with pydantic.

JSONL, one question per line::

    {"id": "achieve", "query": "What did the visit achieve?", "answerable": true,
     "history": [{"role": "user", "content": "…"}], "doc_ids": ["blinkens-visit-to-beijing"],
     "reference_contexts": ["exact passage from the brief"], "key_facts": [["working groups"], ["communication"]],
     "reference_answer": "…"}

``key_facts`` is a list of facts, each a list of alternative phrasings (a bare string is one alternative).
The sources a JSONL dataset is asked about come from ``--sources``, else from a sidecar
``<stem>.meta.json`` (``{"sources": ["../../corpus"]}``, paths relative to the sidecar), else the repo's
``corpus/``. A ``rag_dataset.json`` takes its sources from the ``source/`` folder next to it.

>>> ds = load_dataset("eval/datasets/gold.jsonl")           # doctest: +SKIP
>>> ds.name, len(ds.items), ds.sources                      # doctest: +SKIP
('gold', 34, [PosixPath('…/corpus')])
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant.errors import BriefsError
from assistant.models import Turn

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCES = REPO_ROOT / "corpus"
RAG_DATASET_FILE = "rag_dataset.json"

Format = Literal["rag_dataset", "jsonl"]
Kind = Literal[
    "fact",
    "metadata",
    "list",
    "summary",
    "compare",
    "followup",
    "unanswerable_nearmiss",
    "unanswerable_offtopic",
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]
Split = Literal["dev", "test", "all"]


class DatasetError(BriefsError):
    """A dataset file is missing, malformed or names sources that do not exist."""


class EvalItem(BaseModel):
    """One labelled question."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, description="Unique within the dataset.")
    query: str = Field(min_length=1, description="The question as a user asks it.")
    answerable: bool = Field(
        True, description="False when the sources do not answer it (the assistant should abstain)."
    )
    history: list[Turn] = Field(default_factory=list, description="Earlier turns, for follow-up questions.")
    doc_ids: list[str] = Field(
        default_factory=list,
        description="Briefs that answer it; used for retrieval when there are no reference_contexts.",
    )
    reference_contexts: list[str] = Field(
        default_factory=list, description="Passages (copied exactly from the sources) that answer it."
    )
    key_facts: list[list[str]] = Field(
        default_factory=list, description="Facts a good answer states; each a list of alternative strings."
    )
    reference_answer: str | None = Field(
        None, description="A model answer, for token F1, similarity and the LLM judge."
    )
    kind: Kind | None = Field(
        None,
        description="What is asked: fact, metadata, list, summary, compare, followup, "
        "unanswerable_nearmiss (the topic is covered, the fact is not) or unanswerable_offtopic.",
    )
    notes: str | None = Field(None, description="For the people who check the item; not used in scoring.")

    @field_validator("reference_contexts", mode="before")
    @classmethod
    def _none_is_empty(cls, v: Any) -> Any:
        return [] if v is None else v

    @field_validator("key_facts", mode="before")
    @classmethod
    def _bare_strings(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [[x] if isinstance(x, str) else x for x in v]
        return v

    @field_validator("key_facts")
    @classmethod
    def _non_empty_facts(cls, v: list[list[str]]) -> list[list[str]]:
        for i, alternatives in enumerate(v):
            if not alternatives or not all(a.strip() for a in alternatives):
                raise ValueError(
                    f"key_facts[{i}] must be a non-empty list of non-empty strings, got {alternatives!r}"
                )
        return v

    @model_validator(mode="after")
    def _kind_agrees(self) -> EvalItem:
        if self.kind is not None and self.answerable == self.kind.startswith("unanswerable"):
            raise ValueError(f"kind {self.kind!r} needs answerable: {not self.answerable}")
        return self

    @model_validator(mode="after")
    def _unanswerable_has_no_facts(self) -> EvalItem:
        if not self.answerable and self.key_facts:
            raise ValueError(
                "an unanswerable item (answerable: false) cannot list key_facts; drop them or set answerable: true"
            )
        return self


class _RagExample(BaseModel):
    query: str = Field(min_length=1)
    reference_contexts: list[str] | None = None
    reference_answer: str | None = None


class _RagDataset(BaseModel):
    examples: list[_RagExample] = Field(min_length=1)


@dataclass
class EvalDataset:
    """A loaded dataset: its items and the source files they are about."""

    name: str
    path: Path
    format: Format
    items: list[EvalItem]
    sources: list[Path] = field(default_factory=list)
    split: str = "all"
    splits_file: Path | None = None

    def limited(self, limit: int | None) -> EvalDataset:
        """The first ``limit`` items (all when None)."""
        if limit is None:
            return self
        if limit < 1:
            raise DatasetError(f"limit must be at least 1, got {limit}")
        return replace(self, items=self.items[:limit])

    def only(self, split: Split) -> EvalDataset:
        """The items of one split (``dev`` or ``test``) from the pinned, dated splits file named by the sidecar."""
        if split == "all":
            return self
        if self.splits_file is None:
            raise DatasetError(
                f"Dataset {self.name!r} has no splits file; its sidecar {self.path.stem}.meta.json must "
                f'name one ("splits": "<date>_{self.name}-splits.json"), or use --split all'
            )
        try:
            splits = json.loads(self.splits_file.read_text(encoding="utf-8"))
            ids = set(splits[split])
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as e:
            raise DatasetError(f'{self.splits_file}: expected {{"dev": [ids], "test": [ids]}} ({e})') from e
        unknown = ids - {i.id for i in self.items}
        if unknown:
            raise DatasetError(
                f"{self.splits_file.name} lists ids that are not in {self.path.name}: {sorted(unknown)[:5]}"
            )
        return replace(self, items=[i for i in self.items if i.id in ids], split=split)

    def describe(self) -> dict[str, Any]:
        kinds: dict[str, int] = {}
        for i in self.items:
            kinds[i.kind or "unlabelled"] = kinds.get(i.kind or "unlabelled", 0) + 1
        return {
            "name": self.name,
            "path": display_path(self.path),
            "format": self.format,
            "split": self.split,
            "splits_file": display_path(self.splits_file) if self.splits_file else None,
            "items": len(self.items),
            "answerable": sum(i.answerable for i in self.items),
            "follow_ups": sum(bool(i.history) for i in self.items),
            "kinds": kinds,
            "sources": [display_path(s) for s in self.sources],
        }


def display_path(path: Path) -> str:
    """``path`` relative to the repository (``../shared/…`` beside it), so reports name no machine's folders and stay
    comparable across checkouts; absolute only when it lies on another tree altogether."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        try:
            return resolved.relative_to(REPO_ROOT.parent).as_posix().join(["../", ""])
        except ValueError:
            return str(path)


def load_dataset(path: str | Path, sources: list[str | Path] | None = None) -> EvalDataset:
    """Load ``rag_dataset.json`` (or a folder holding one) or a ``.jsonl`` file, with its sources."""
    path = Path(path)
    if path.is_dir():
        if not (path / RAG_DATASET_FILE).is_file():
            raise DatasetError(
                f"Dataset folder {str(path)!r} has no {RAG_DATASET_FILE}; pass the .json or .jsonl file itself"
            )
        path = path / RAG_DATASET_FILE
    if not path.is_file():
        raise DatasetError(f"Dataset file {str(path)!r} does not exist")
    fmt: Format
    splits_file = None
    if path.suffix == ".jsonl":
        items, fmt, name = parse_jsonl(path.read_text(encoding="utf-8"), str(path)), "jsonl", path.stem
        default_sources, splits_file = _sidecar(path)
    elif path.suffix == ".json":
        items, fmt = parse_rag_dataset(path.read_text(encoding="utf-8"), str(path)), "rag_dataset"
        name = path.parent.name if path.name == RAG_DATASET_FILE else path.stem
        default_sources = [path.parent / "source"]
    else:
        raise DatasetError(
            f"Unsupported dataset file {str(path)!r}: use LlamaIndex's {RAG_DATASET_FILE} (.json) or the project's .jsonl"
        )
    chosen = [Path(s) for s in sources] if sources else default_sources
    missing = [str(s) for s in chosen if not s.exists()]
    if missing:
        raise DatasetError(
            f"Sources of dataset {name!r} not found: {', '.join(missing)}; pass --sources PATH"
        )
    return EvalDataset(
        name, path.resolve(), fmt, items, [s.resolve() for s in chosen], splits_file=splits_file
    )


def parse_jsonl(text: str, where: str = "<jsonl>") -> list[EvalItem]:
    """Items of a JSONL dataset; errors name the line and the field."""
    items: list[EvalItem] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as e:
            raise DatasetError(f"{where}:{lineno}: not valid JSON ({e.msg} at column {e.colno})") from e
        try:
            item = EvalItem.model_validate(raw)
        except ValidationError as e:
            raise DatasetError(f"{where}:{lineno}: {_explain(e)}") from e
        if item.id in seen:
            raise DatasetError(
                f"{where}:{lineno}: id {item.id!r} is already used on line {seen[item.id]}; ids must be unique"
            )
        seen[item.id] = lineno
        items.append(item)
    if not items:
        raise DatasetError(f"{where}: no items (expected one JSON object per line)")
    return items


def parse_rag_dataset(text: str, where: str = RAG_DATASET_FILE) -> list[EvalItem]:
    """Items of a LlamaIndex ``LabelledRagDataset`` (``{"examples": [...]}``), ids ``q001``, ``q002``…"""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        raise DatasetError(f"{where}: not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})") from e
    try:
        ds = _RagDataset.model_validate(raw)
    except ValidationError as e:
        raise DatasetError(f"{where}: {_explain(e)}") from e
    return [
        EvalItem(
            id=f"q{i:03d}",
            query=ex.query,
            answerable=True,
            reference_contexts=ex.reference_contexts or [],
            reference_answer=ex.reference_answer,
        )
        for i, ex in enumerate(ds.examples, 1)
    ]


def _explain(e: ValidationError) -> str:
    parts = []
    for err in e.errors()[:3]:
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".") or "(item)"
        got = repr(err.get("input"))
        parts.append(f"{loc}: {err['msg']} (got {got[:80]}{'…' if len(got) > 80 else ''})")
    valid = ", ".join(EvalItem.model_fields)
    hint = f"; valid fields: {valid}" if any(err["type"] == "extra_forbidden" for err in e.errors()) else ""
    return "; ".join(parts) + hint


def _sidecar(path: Path) -> tuple[list[Path], Path | None]:
    """Sources and splits file named by ``<stem>.meta.json`` (paths relative to it)."""
    sidecar = path.with_name(f"{path.stem}.meta.json")
    if not sidecar.is_file():
        return [DEFAULT_SOURCES], None
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        listed = meta["sources"]
        listed = [listed] if isinstance(listed, str) else listed
        splits = (sidecar.parent / meta["splits"]).resolve() if meta.get("splits") else None
        return [(sidecar.parent / s).resolve() for s in listed], splits
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise DatasetError(
            f'{sidecar}: expected a JSON object like {{"sources": ["../../corpus"]}} ({e})'
        ) from e
