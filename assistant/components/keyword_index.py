"""BM25 over the committed chunks, built with bm25s (its Lucene scoring, English stopwords, Snowball stems) and
persisted as plain NumPy arrays that are memory-mapped when loaded: opening the index of half a million chunks
reads almost nothing, and answering a question imports neither bm25s nor scipy nor llama-index.

The index is rebuilt whenever the registry revision changes (see :meth:`assistant.store.BriefStore.keyword_index`).
What each chunk is indexed as (``brief_id: <id>`` then its text) and how a query is tokenised are those of
llama-index's ``BM25Retriever``, which this replaces, so rankings are unchanged.

>>> index = KeywordIndex.build(registry.all_chunks(), registry.revision())   # doctest: +SKIP
>>> index.search("icebreaker fleet", k=5)                                    # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from assistant.models import ChunkRow

logger = logging.getLogger(__name__)

FORMAT = 2  # 1 was llama-index's BM25Retriever folder
TOKEN_PATTERN = r"(?u)\b\w\w+\b"
ARRAYS = ("data", "indices", "indptr", "brief_codes", "ids")


def indexed_text(chunk: ChunkRow) -> str:
    """What BM25 sees of a chunk (its brief id is searchable too, as it was under llama-index)."""
    return f"brief_id: {chunk.brief_id}\n\n{chunk.text}"


class KeywordIndex:
    """BM25 over committed chunks, for one registry revision.

    ``data``/``indices``/``indptr`` are the token x document score matrix in CSC form (bm25s's eager index);
    ``ids`` the chunk ids, ``brief_codes`` each chunk's brief as an index into ``briefs``.
    """

    def __init__(self, revision: int, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.revision = revision
        self.vocab: dict[str, int] = meta["vocab"]
        self.stopwords = frozenset(meta["stopwords"])
        self.briefs: list[str] = meta["briefs"]
        self.num_docs = int(meta["num_docs"])
        self._arrays = arrays
        self._split = re.compile(meta.get("token_pattern", TOKEN_PATTERN)).findall
        self._code = {b: i for i, b in enumerate(self.briefs)}
        self._last_mask: tuple[set[str], np.ndarray | None] | None = None

    @cached_property
    def ids(self) -> list[str]:
        """Every indexed chunk id, in index order (decoded on first use)."""
        return [i.decode() for i in self._arrays["ids"]]

    @classmethod
    def build(cls, chunks: list[ChunkRow], revision: int) -> KeywordIndex | None:
        if not chunks:
            return None
        import bm25s
        import Stemmer

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on import
        tokens = bm25s.tokenize(
            [indexed_text(c) for c in chunks],
            stopwords="en",
            stemmer=Stemmer.Stemmer("english"),
            token_pattern=TOKEN_PATTERN,
            show_progress=False,
        )
        bm25 = bm25s.BM25()
        bm25.index(tokens, show_progress=False)
        briefs = sorted({c.brief_id for c in chunks})
        code = {b: i for i, b in enumerate(briefs)}
        meta = {
            "format": FORMAT,
            "num_docs": len(chunks),
            "token_pattern": TOKEN_PATTERN,
            "stopwords": sorted(bm25s.stopwords.STOPWORDS_EN),
            "vocab": {str(k): int(v) for k, v in bm25.vocab_dict.items()},
            "briefs": briefs,
        }
        width = max(len(c.id.encode()) for c in chunks)
        arrays: dict[str, np.ndarray] = {
            "data": np.asarray(bm25.scores["data"], dtype=np.float32),
            "indices": np.asarray(bm25.scores["indices"], dtype=np.int32),
            "indptr": np.asarray(bm25.scores["indptr"], dtype=np.int64),
            "brief_codes": np.array([code[c.brief_id] for c in chunks], dtype=np.int32),
            "ids": np.array([c.id.encode() for c in chunks], dtype=f"S{width}"),
        }
        return cls(revision, meta, arrays)

    def persist(self, folder: Path) -> None:
        """Write to a temporary folder, then swap it in: a crash leaves the old index or none, never half of one."""
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        meta = {
            "format": FORMAT,
            "num_docs": self.num_docs,
            "token_pattern": TOKEN_PATTERN,
            "stopwords": sorted(self.stopwords),
            "vocab": self.vocab,
            "briefs": self.briefs,
        }
        (tmp / "meta.json").write_text(json.dumps(meta))
        for name in ARRAYS:
            np.save(tmp / f"{name}.npy", self._arrays[name])
        (tmp / "revision").write_text(str(self.revision))
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path, revision: int) -> KeywordIndex | None:
        """The persisted index of ``revision``, memory-mapped; None when absent, stale or of an older format."""
        try:
            if int((folder / "revision").read_text()) != revision:
                return None
            meta = json.loads((folder / "meta.json").read_text())
            if meta.get("format") != FORMAT:
                return None
            arrays = {n: np.load(folder / f"{n}.npy", mmap_mode="r") for n in ARRAYS}
            return cls(revision, meta, arrays)
        except (OSError, ValueError, KeyError) as e:
            logger.info("keyword index at %s not usable (%s); rebuilding", folder, e)
            return None

    def query_tokens(self, query: str) -> list[int]:
        """Vocabulary ids of the query's stems (lower-cased words of two or more characters, stopwords dropped)."""
        return [self.vocab[s] for s in self.stems(query) if s in self.vocab]

    def stems(self, text: str) -> list[str]:
        """The words of ``text`` as the index tokenises and stems them (stopwords dropped)."""
        words = [w for w in self._split(text.lower()) if w not in self.stopwords]
        return list(_stemmer().stemWords(words))

    def unknown(self, text: str) -> tuple[list[str], list[str]]:
        """The words of ``text`` tokenised and stemmed as the index is, and those of them no chunk contains."""
        words = self.stems(text)
        return words, [w for w in words if w not in self.vocab]

    def document_frequency(self, stems: set[str]) -> dict[str, int]:
        """In how many chunks each stem occurs (0 for a word no brief uses)."""
        indptr = self._arrays["indptr"]
        out = {}
        for stem in stems:
            i = self.vocab.get(stem)
            out[stem] = 0 if i is None else int(indptr[i + 1] - indptr[i])
        return out

    @property
    def size(self) -> int:
        return self.num_docs

    def _excluded(self, allowed: set[str]) -> np.ndarray | None:
        """The documents outside ``allowed`` briefs as a mask (None: no document is allowed), kept for the last set
        asked about: the retriever passes the same set for every question until the library or filters change."""
        last = self._last_mask
        if last is not None and last[0] is allowed:
            return last[1]
        keep = np.zeros(len(self.briefs), dtype=bool)
        keep[[self._code[b] for b in allowed if b in self._code]] = True
        excluded = ~keep[self._arrays["brief_codes"]] if keep.any() else None
        self._last_mask = (allowed, excluded)
        return excluded

    def search(self, query: str, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the ``k`` best chunks with a positive score, within ``allowed`` briefs."""
        tokens = self.query_tokens(query)
        if not tokens:
            return []
        a = self._arrays
        data, indices, indptr = a["data"], a["indices"], a["indptr"]
        scores = np.zeros(self.num_docs, dtype=np.float32)
        for t in tokens:  # a token's postings hold each document once, so a plain fancy-index add is exact
            lo, hi = int(indptr[t]), int(indptr[t + 1])
            scores[indices[lo:hi]] += data[lo:hi]
        if allowed is not None:
            excluded = self._excluded(allowed)
            if excluded is None:
                return []
            scores[excluded] = 0.0
        k = min(k, self.num_docs)
        top = np.argpartition(-scores, k - 1)[:k] if k < self.num_docs else np.arange(self.num_docs)
        top = top[np.lexsort((top, -scores[top]))]  # best first; ties by index order
        ids = a["ids"]
        return [(ids[i].decode(), float(scores[i])) for i in top if scores[i] > 0]


_local = threading.local()


def _stemmer() -> Any:
    """This thread's English Snowball stemmer (PyStemmer objects are not thread-safe; bm25s stems with them)."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer
