"""Follow-up questions rewritten into standalone queries from the conversation.

Without an LLM the rewrite carries the named entities and key content words of the previous user turns,
so "Who builds it?" after a question about the XM30 retrieves passages about the XM30.

>>> rewrite_heuristic("Who builds it?", [Turn(role="user", content="What is the Army's XM30 vehicle?")])
"Who builds it? (XM30 Army's vehicle)"
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from assistant.errors import LLMError
from assistant.models import Turn
from assistant.protocols import Generator
from assistant.text import QUESTION_WORDS, _stopwords, content_terms, entities, name_phrases, words

logger = logging.getLogger(__name__)

ANAPHORA = {
    "it",
    "its",
    "they",
    "them",
    "their",
    "this",
    "that",
    "these",
    "those",
    "he",
    "she",
    "his",
    "her",
    "there",
    "such",
    "same",
    "former",
    "latter",
}
FOLLOW_UP_START = re.compile(
    r"^(and|also|but|what about|how about|why|so|then|what else|anything else|more)\b", re.I
)


def is_follow_up(question: str) -> bool:
    """Whether a question (asked after others) leans on the conversation: a pronoun, an opening like "And …", or
    no name of its own ("Which unit gets the first battalion?")."""
    low = [w.lower() for w in words(question)]
    if any(w in ANAPHORA for w in low) or FOLLOW_UP_START.match(question.strip()):
        return True
    if not entities(question):
        return True
    return len(content_terms(question, drop_question_words=True)) < 2


def _context_words(history: list[Turn], limit: int = 8) -> list[str]:
    stop = _stopwords()
    picked: list[str] = []
    for turn in reversed([t for t in history if t.role == "user"][-2:]):
        names = entities(turn.content)
        others = [
            w
            for w in words(turn.content)
            if w.lower() not in stop and w.lower() not in QUESTION_WORDS and len(w) > 3
        ]
        for w in names + others:
            if w.lower() not in (p.lower() for p in picked) and w.lower() not in ANAPHORA:
                picked.append(w)
    return picked[:limit]


# "the second one", "the latter", "the first of them": a reference to one of the things the previous answer named
REFERENT_END = (  # "the second one", "the latter?", "the former would …": not "the former president"
    r"(?:\s+(?:one|of (?:them|those|these|the two))\b|(?=\s*(?:[?,.;]|$))|"
    r"(?=\s+(?:would|will|do|does|did|is|was|has|have|had|could|can|cost|say|said|mean|passed|pass)\b))"
)
ORDINAL_REF = re.compile(
    rf"\bthe (latter|former){REFERENT_END}|\bthe (first|second|third|fourth|last){REFERENT_END}", re.I
)
ORDINAL_INDEX = {"first": 0, "former": 0, "second": 1, "third": 2, "fourth": 3, "last": -1, "latter": -1}
# what an answer names that a later turn can count: bills and laws by number, sections, else names of several words
LEGISLATION = re.compile(
    r"\b(?:H\.R\.|S\.|H\.Res\.|S\.Res\.|H\.J\.Res\.|S\.J\.Res\.|H\.Con\.Res\.|S\.Con\.Res\.|P\.L\.)\s?\d+(?:-\d+)?|"
    r"\bSection \d+[A-Za-z]?\b"
)


SAME_ITEM = re.compile(r"\s*(?:\(|of\b[^,;()]{0,60}\()\s*")  # "Section 73100 of the 2025 law (P.L. 119-21)"


def named_items(text: str) -> list[str]:
    """The things ``text`` names, in order: bills, laws and sections by number (a law cited beside its section is the
    same item: "Section 73100 of the 2025 reconciliation law (P.L. 119-21)"), else names of several words."""
    found = [(m.start(), m.end(), m.group(0)) for m in LEGISLATION.finditer(text)]
    legislation = len(found) >= 2
    if not legislation:
        found = [(m.start(), m.start() + len(n), n) for n in name_phrases(text) if (m := re.search(re.escape(n), text))]
        found.sort()
    items: list[tuple[int, int, str]] = []
    for start, end, name in found:
        gap = text[items[-1][1] : start] if items else ""
        if items and legislation and SAME_ITEM.fullmatch(gap):
            items[-1] = (items[-1][0], end, items[-1][2])  # the law beside its section: one item
        elif name not in (i[2] for i in items):
            items.append((start, end, name))
    return [name for _, _, name in items]


# "And in FY2024?", "What about 2023?": the previous question asked again of another year
OTHER_YEAR = re.compile(
    r"^\s*(?:and|but|so|what about|how about|and what about|and how about)\s+(?:(?:in|for|during|by)\s+)?"
    r"(?:the\s+)?((?:FY\s?)?(?:19|20)\d{2})\s*\??\s*$",
    re.I,
)
# the year a question asks about ("… in FY2025?"), not one naming a thing ("the 2017 tax law")
ASKED_YEAR = re.compile(r"(?:(?<=\bin )|(?<=\bof )|(?<=\bby )|(?<=\bfor )|(?<=\bduring ))(?:FY\s?)?(?:19|20)\d{2}\b")


def ask_again_for_year(question: str, history: Sequence[Turn]) -> str:
    """The previous question with its year replaced, when ``question`` only names another year: "And in FY2024?"
    after "What was the success rate … in FY2025?" asks for the success rate in FY2024. Unchanged when the previous
    question asks about no year, or several (a year that names something, "the 2017 tax law", is not asked about)."""
    m = OTHER_YEAR.match(question)
    if m is None:
        return question
    # the question asked before any that only named another year ("…in FY2025?", "And in FY2024?", "And in FY2023?")
    previous = next((t.content for t in reversed(history) if t.role == "user" and not OTHER_YEAR.match(t.content)), "")
    years = set(ASKED_YEAR.findall(previous))
    if len(years) != 1:
        return question
    return ASKED_YEAR.sub(m.group(1), previous)


def resolve_references(question: str, history: Sequence[Turn]) -> str:
    """``question`` with "the second one" (or "the latter", "the first of them") replaced by the thing the previous
    answer named in that place: "What would the second one do?" after an answer naming Section 73100 and H.R. 1156
    asks what H.R. 1156 would do; and a question naming only another year asked as the previous one was."""
    again = ask_again_for_year(question, history)
    if again != question:
        return again
    m = ORDINAL_REF.search(question)
    answers = [t.content for t in history if t.role == "assistant"]
    if m is None or not answers:
        return question
    items = named_items(answers[-1])
    index = ORDINAL_INDEX[(m.group(1) or m.group(2)).lower()]
    if len(items) < 2 or index >= len(items):
        return question
    return question[: m.start()] + items[index] + question[m.end() :]


def rewrite_heuristic(question: str, history: list[Turn]) -> str:
    if not history or not is_follow_up(question):
        return question
    context = [w for w in _context_words(history) if w.lower() not in question.lower()]
    return f"{question} ({' '.join(context)})" if context else question


REWRITE_PROMPT = (
    "Rewrite the user's last question as one standalone question that can be understood without the conversation. "
    "Replace pronouns with what they refer to. Reply with the question only."
)


def rewrite(question: str, history: list[Turn] | None, generator: Generator | None = None) -> str:
    """A standalone query for retrieval: the LLM rewrites when configured, else the heuristic."""
    history = [t for t in history or [] if t.role in ("user", "assistant")]
    if not history or not is_follow_up(question):
        return question
    if generator is not None:
        convo = "\n".join(f"{t.role}: {t.content[:500]}" for t in history[-4:])
        try:
            out = (
                generator.generate(
                    [
                        {"role": "system", "content": REWRITE_PROMPT},
                        {
                            "role": "user",
                            "content": f"Conversation:\n{convo}\n\nLast question: {question}\nStandalone question:",
                        },
                    ]
                )
                .strip()
                .split("\n")[0]
                .strip()
            )
        except LLMError:
            logger.warning("query rewrite by the LLM failed; using the heuristic rewrite", exc_info=True)
            out = ""
        if 3 <= len(out) <= 400:
            # keep the heuristic context too: a tiny model may drop the entity it should resolve
            return rewrite_heuristic(out, history) if is_follow_up(out) else out
    return rewrite_heuristic(question, history)
