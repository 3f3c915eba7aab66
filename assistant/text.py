"""Text utilities shared by retrieval, answering and citation checks: sentences with offsets,
content words, stems and entities.

>>> [text[s:e] for s, e in sentence_spans(text := "One. Two words here.")]
['One.', 'Two words here.']
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import lru_cache

WORD = re.compile(r"(?:[A-Z]\.){2,}|[A-Za-z][A-Za-z0-9'’-]*|\d+(?:[.,]\d+)*")
MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
QUESTION_WORDS = {
    "much",
    "many",
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
    "gist",
    "there",
    # hedges and scaffolding that say how the value is wanted, not what it is about ("Roughly how many … still …")
    "roughly",
    "approximately",
    "around",
    "nearly",
    "almost",
    "still",
    "currently",
    "now",
    "actually",
    "exactly",
    "precisely",
    "altogether",
    "overall",
    "total",
    "really",
    "ever",
    "finally",
    "supposed",
    "any",
    "anything",
    "happen",
    "happened",
    "happens",
    "occur",
    "occurred",
}
# the noun of "what date", "which year": the kind of answer, not what it is about
TYPE_NOUN = re.compile(
    r"\b(what|which)\s+(?:(?:dollar|total|estimated|approximate)\s+)?"
    r"(?:date|year|day|month|time|amount|number|percentage|share|value|figure|sum)\b",
    re.I,
)

# the measure of "how high can it go", "how long did it last": the kind of answer, not what it is about
HOW_FRAME = re.compile(r"\bhow\s+(?:high|low|far|big|large|long|deep|wide|old)(?![\w-])", re.I)
HOW_VERB = re.compile(r"\b(?:go|get)\s*(?=\?\s*$)", re.I)  # "… can it go?" after "how high"


def without_how_frame(text: str) -> str:
    """``text`` without the measure of a how-question ("How high can the toll go?" → "How can the toll?"): the kind
    of answer, not what it is about. "low-income", "long-term" and "Which candidates will run?" keep their words."""
    framed = HOW_FRAME.sub("how", text)
    return HOW_VERB.sub("", framed) if framed != text else framed

# NLTK's English stopword list (198 words), inlined so that no NLTK import is paid on the question path.
STOPWORDS = frozenset(
    """
a about above after again against ain all am an and any are aren aren't as at be because been before being below
between both but by can couldn couldn't d did didn didn't do does doesn doesn't doing don don't down during each few
for from further had hadn hadn't has hasn hasn't have haven haven't having he he'd he'll he's her here hers herself him
himself his how i i'd i'll i'm i've if in into is isn isn't it it'd it'll it's its itself just ll m ma me mightn mightn't
more most mustn mustn't my myself needn needn't no nor not now o of off on once only or other our ours ourselves out
over own re s same shan shan't she she'd she'll she's should should've shouldn shouldn't so some such t than that
that'll the their theirs them themselves then there these they they'd they'll they're they've this those through to
too under until up ve very was wasn wasn't we we'd we'll we're we've were weren weren't what when where which while
who whom why will with won won't wouldn wouldn't y you you'd you'll you're you've your yours yourself yourselves
also may might must shall would could us one however
""".split()
)


def _stopwords() -> frozenset[str]:
    return STOPWORDS


_local = threading.local()


def _stemmer():  # type: ignore[no-untyped-def]
    """This thread's English Snowball stemmer (PyStemmer objects are not thread-safe; requests run in threads)."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer  # PyStemmer, which bm25s already uses

        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


# A boundary after a short capitalised abbreviation ("H.Res.", "No.", "Gen.", "P.L.") followed by a number, a lower-case
# word, "§" or "(" is not a sentence boundary: sentences do not begin that way.
ABBREVIATION_END = re.compile(r"(?:^|[\s(/])(?:[A-Z][a-z]{0,3}\.){1,3}$")
CONTINUES = re.compile(r"^[0-9a-z§(]")


@lru_cache(maxsize=1)
def _segmenter():  # type: ignore[no-untyped-def]
    import pysbd  # rule-based, knows abbreviations (U.S., P.L., H.R., No., et al.); no model to load

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


@lru_cache(maxsize=8192)  # overlapping chunks share lines, and questions see the same passages again
def _segment(line: str) -> tuple[tuple[int, int], ...]:
    """pysbd's sentences of ``line`` as offsets. With ``clean=False`` its sentences are substrings of the line in
    order, so each is found from the end of the last one (pysbd's own ``char_span`` mode compiles a regex per
    sentence, which cost a third of the segmenting time at ingest); a sentence not found falls back to it."""
    segmenter = _segmenter()
    pieces: list[tuple[int, int]] = []
    at = 0
    for sentence in segmenter.processor(line).process():
        start = line.find(sentence, at)
        if start < 0:
            return tuple((span.start, span.end) for span in segmenter.segment(line))
        at = start + len(sentence)
        pieces.append((start, at))
    return tuple(pieces)


BLOCK_START = re.compile(r"^\s*(?:[-*•+]\s|\d+[.)]\s|[|#>])")
ENDS_SENTENCE = re.compile(r"[.!?:;][\"”’)\]]*\s*$")


def _lines(text: str) -> list[tuple[int, int]]:
    """The text's lines, with a paragraph wrapped over several lines joined into one (a break inside a sentence, in
    a hard-wrapped text or Markdown source: "… The number of\nengineers …"): a line continues the one before when
    that one does not end a sentence, neither is a list item, table row or heading, and it starts in lower case or
    the one before is nearly as long as the longest line (a short line is a heading)."""
    found = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
    width = max((e - s for s, e in found), default=0)
    out: list[tuple[int, int]] = []
    for s, e in found:
        if out and out[-1][1] + 1 == s:
            prev = text[out[-1][0] : out[-1][1]]
            line = text[s:e]
            if (
                not ENDS_SENTENCE.search(prev)
                and not BLOCK_START.match(line)
                and not BLOCK_START.match(prev)
                and "|" not in prev
                and "|" not in line
                and (line[:1].islower() or len(prev.split("\n")[-1]) >= 0.6 * width >= 30)
            ):
                out[-1] = (out[-1][0], e)
                continue
        out.append((s, e))
    return out


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets, boundaries that survive abbreviations ("P.L. 119-60", "U.S. Army", "No. 5");
    lines (table rows, headings) are split too, a paragraph wrapped over lines is not. Spans exclude surrounding
    whitespace."""
    spans: list[tuple[int, int]] = []
    for start, end in _lines(text):
        line, base = text[start:end].replace("\n", " "), start
        if len(line) < 40 or not re.search(r"[.!?]\s", line):  # one sentence (or none): skip the segmenter
            pieces: Sequence[tuple[int, int]] = [(0, len(line))]
        else:
            pieces = _segment(line)
        kept: list[tuple[int, int]] = []
        for s, e in pieces:
            chunk = line[s:e]
            lead = len(chunk) - len(chunk.lstrip())
            trail = len(chunk.rstrip())
            if trail <= lead:
                continue
            s, e = s + lead, s + trail
            if (
                kept
                and ABBREVIATION_END.search(line[kept[-1][0] : kept[-1][1]])
                and CONTINUES.match(line[s:e])
            ):
                kept[-1] = (kept[-1][0], e)  # "H.Res. | 12 passed": the boundary was an abbreviation's period
            else:
                kept.append((s, e))
        spans += [(base + s, base + e) for s, e in kept]
    return spans


def words(text: str) -> list[str]:
    return WORD.findall(text)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _stemmer().stemWord(word.lower().replace("’", "'"))


# what the stemmer can leave on one form of a word and not on another: "compli"/"complianc" (complying, compliance),
# "staf"/"staff" (staffing, staff); a doubled last letter counts too. Not "ion", "ia", "ment": "bill"/"billion",
# "niger"/"nigeria" and "ship"/"shipment" are other words.
WORD_ENDINGS = ("e", "i", "y", "al", "anc", "enc")
MIN_SHARED_STEM = 4


def same_word(a: str, b: str) -> bool:
    """Whether two stems are forms of one word the stemmer treated differently (see ``WORD_ENDINGS``)."""
    if a == b:
        return True
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < MIN_SHARED_STEM or not long.startswith(short):
        return False
    rest = long[len(short) :]
    return rest in WORD_ENDINGS or rest == short[-1]


def content_terms(text: str, drop_question_words: bool = False) -> list[str]:
    """Stemmed content words (no stopwords; optionally no question scaffolding or the noun of "what date"); a
    hyphenated word gives its parts too."""
    stop = _stopwords()
    out = []
    if drop_question_words:
        text = TYPE_NOUN.sub(r"\1", text)
    for w in words(text):
        lw = w.lower()
        if lw in stop or len(lw) < 2 or (drop_question_words and lw in QUESTION_WORDS):
            continue
        out.append(stem(lw))
        if "-" in lw:  # "Pakistan-brokered" also says "brokered"
            out.extend(stem(part) for part in lw.split("-") if len(part) >= 2 and part not in stop)
    return out


@lru_cache(maxsize=8192)
def terms_of(text: str) -> frozenset[str]:
    """``content_terms`` of a passage, title or heading as a set, kept: every question reads them again for the same
    few thousand passages."""
    return frozenset(content_terms(text))


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


NAME_RUN = re.compile(r"(?:[A-Z][\w.'’-]*|[A-Z]{2,})(?:\s+(?:[A-Z][\w.'’-]*|[A-Z]{2,}))+")
SERIES_WORDS = {"in", "focus", "insight", "insights", "legal", "sidebar", "crs", "report", "reports"}


def name_phrases(text: str) -> list[str]:
    """Names of two or more capitalised words in a row ("National Flood Insurance Program"), split at a possessive
    ("Treasury's Exchange Stabilization Fund" names "Exchange Stabilization Fund"), without a question or
    sentence-opening word, a fiscal year, or CRS's series names ("In Focus", "Legal Sidebar")."""
    out = []
    for m in NAME_RUN.finditer(text):
        words_ = m.group(0).split()
        if m.start() == 0 or text[: m.start()].rstrip()[-1:] in (".", "?", "!", ":", '"', "“"):
            words_ = words_[1:]  # "Did …", "Per …": capitalised because it opens the sentence
        runs: list[list[str]] = [[]]
        for w in words_:
            w = w.strip("'\"‘’“”")
            w = w[:-1] if w.endswith(".") and w.count(".") == 1 and len(w) > 4 else w  # "Rule." but "U.S.", "Mr."
            possessive = bool(re.search(r"['’]s$", w))
            w = re.sub(r"['’]s$", "", w)
            if re.fullmatch(r"FY\d{2,4}|\d{4}s?", w) or w.lower() in QUESTION_WORDS or w.lower() in SERIES_WORDS:
                runs.append([])
            elif possessive:
                runs[-1].append(w)
                runs.append([])
            else:
                runs[-1].append(w)
        for run in runs:
            while run and run[0].lower() in _stopwords():
                run = run[1:]
            if len(run) >= 2:
                out.append(" ".join(run))
    return list(dict.fromkeys(out))


def strip_markers(text: str) -> str:
    return MARKER.sub("", text).strip()


def jaccard(a: set[str] | frozenset[str], b: set[str] | frozenset[str]) -> float:
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
