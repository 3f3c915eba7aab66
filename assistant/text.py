"""Text utilities shared by retrieval, answering and citation checks: sentences with offsets,
content words, stems and entities.

>>> [text[s:e] for s, e in sentence_spans(text := "One. Two words here.")]
['One.', 'Two words here.']
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

WORD = re.compile(r"(?:[A-Z]\.){2,}|[A-Za-z][A-Za-z0-9'’-]*|\d+(?:[.,]\d+)*")
MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
QUESTION_WORDS = {
    "what",
    "which",
    "who",
    "whom",
    "whose",
    "when",
    "where",
    "why",
    "how",
    "does",
    "did",
    "do",
    "is",
    "are",
    "was",
    "were",
    "can",
    "could",
    "would",
    "should",
    "will",
    "tell",
    "say",
    "said",
    "says",
    "describe",
    "explain",
    "about",
    "according",
    "brief",
    "briefs",
    "report",
    "document",
    "mention",
    "mentioned",
    "discuss",
    "discussed",
    "me",
    "list",
    "give",
    "summarise",
    "summarize",
    "there",
    "any",
    "anything",
}


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    words = _nltk().corpus.stopwords.words("english")
    return frozenset(words) | {
        "also",
        "may",
        "might",
        "must",
        "shall",
        "would",
        "could",
        "us",
        "one",
        "however",
    }


# Optional dependencies that ``import nltk`` loads, each behind ``try: ... except ImportError``, for collocation
# metrics and classifiers this code never uses: scipy.stats, and scikit-learn with pandas (2-4 s of a cold question).
_NLTK_SKIPS = ("scipy.stats", "sklearn")


@lru_cache(maxsize=1)
def _nltk():  # type: ignore[no-untyped-def]
    """nltk (punkt, stopwords), imported without its optional scientific stack when nothing has loaded it yet."""
    import importlib.util
    import sys

    hidden = [] if "nltk" in sys.modules else [m for m in _NLTK_SKIPS if m not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes ``import name`` raise ImportError
    try:
        import nltk
    finally:
        for name in hidden:  # importable again for whoever needs them
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]

    spec = importlib.util.find_spec("llama_index.core")
    if spec and spec.submodule_search_locations:
        cache = Path(next(iter(spec.submodule_search_locations))) / "_static" / "nltk_cache"
        if str(cache) not in nltk.data.path:
            nltk.data.path.append(str(cache))
    return nltk


@lru_cache(maxsize=1)
def _punkt():  # type: ignore[no-untyped-def]
    return _nltk().tokenize.punkt.PunktTokenizer("english")


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer  # PyStemmer, which bm25s already uses

    return Stemmer.Stemmer("english")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets; lines (table rows, headings) are split too."""
    spans: list[tuple[int, int]] = []
    for m in re.finditer(r"[^\n]+", text):
        base = m.start()
        for s, e in _punkt().span_tokenize(m.group(0)):
            spans.append((base + s, base + e))
    return spans


def words(text: str) -> list[str]:
    return WORD.findall(text)


def stem(word: str) -> str:
    return _stemmer().stemWord(word.lower().replace("’", "'"))


def content_terms(text: str, drop_question_words: bool = False) -> list[str]:
    """Stemmed content words (no stopwords; optionally no question scaffolding)."""
    stop = _stopwords()
    out = []
    for w in words(text):
        lw = w.lower()
        if lw in stop or len(lw) < 2 or (drop_question_words and lw in QUESTION_WORDS):
            continue
        out.append(stem(lw))
    return out


def entities(text: str) -> list[str]:
    """Capitalised words that are not sentence-initial and not question words (likely names). Linear in the text:
    only the gap since the previous word is looked at."""
    out = []
    prev_end = 0
    for i, m in enumerate(WORD.finditer(text)):
        w = m.group(0)
        gap = text[prev_end : m.start()].rstrip()
        last = gap[-1] if gap else (text[prev_end - 1] if prev_end else "")
        prev_end = m.end()
        initial = i == 0 or last in (".", "?", "!", ":", '"', "“")
        if (
            w[0].isupper()
            and not initial
            and w.lower() not in QUESTION_WORDS
            and w.lower() not in _stopwords()
        ):
            out.append(w)
        elif w.isupper() and len(w) >= 2 and w.lower() not in _stopwords():
            out.append(w)
    return list(dict.fromkeys(out))


def strip_markers(text: str) -> str:
    return MARKER.sub("", text).strip()


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


# What an answer to a kind of question tends to say: "What did the visit achieve?" is answered by
# sentences about outcomes, commitments and agreements, which rarely repeat the question's verb.
INTENT_CUES: list[tuple[frozenset[str], str]] = [
    (
        frozenset(
            {"achiev", "accomplish", "result", "outcom", "gain", "success", "deliv", "yield", "produc"}
        ),
        "outcomes results achieved agreed agreement established establishment commitment progress breakthrough impact",
    ),
    (
        frozenset({"why", "reason", "caus", "motiv", "explain"}),
        "because due reason cause driven result concern",
    ),
    (
        frozenset({"recommend", "should", "propos", "suggest", "option", "polici"}),
        "should recommend propose option could consider",
    ),
    (
        frozenset({"cost", "fund", "budget", "spend", "appropri", "much", "price"}),
        "million billion funding appropriations cost budget",
    ),
    (
        frozenset({"risk", "threat", "challeng", "problem", "concern", "obstacl"}),
        "risk threat challenge concern tension obstacle",
    ),
    (
        frozenset({"wrote", "write", "written", "author", "authored"}),
        "author fellow associate analyst researcher director professor",
    ),
]


def intent_cues(question: str) -> str:
    """Words that answers to this kind of question tend to contain ('' when no cue applies)."""
    terms = set(content_terms(question)) | {w.lower() for w in words(question)}
    return " ".join(cues for triggers, cues in INTENT_CUES if terms & triggers)
