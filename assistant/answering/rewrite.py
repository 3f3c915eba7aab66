"""Follow-up questions rewritten into standalone queries from the conversation.

Without an LLM the rewrite carries the named entities and key content words of the previous user turns,
so "Who builds it?" after a question about the XM30 retrieves passages about the XM30.

>>> rewrite_heuristic("Who builds it?", [Turn(role="user", content="What is the Army's XM30 vehicle?")])
"Who builds it? (XM30 Army's vehicle)"
"""

from __future__ import annotations

import logging
import re

from assistant.errors import LLMError
from assistant.models import Turn
from assistant.protocols import Generator
from assistant.text import QUESTION_WORDS, _stopwords, content_terms, entities, words

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
