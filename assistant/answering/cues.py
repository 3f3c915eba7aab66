"""What a fact question asks for in words, and the sentences that say it: score adjustments on the candidate sentences
before the answer is chosen.

- a question about now ("Is that policy in effect now?") prefers sentences with later years;
- a question naming a year passes over sentences about other years only (``answer.other_year_penalty``);
- a question asking for a bound ("how high can the surcharge go?") or for what became of a policy ("is it in effect?")
  prefers the sentence that says so (``answer.cue_bonus``);
- "when?" prefers the date to the day (``answer.exact_date_bonus``).

>>> prefer_what_is_asked(candidates, "How much cargo did the harbour handle in 2025?", {"amount"}, settings.answer)  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.answering.candidates import Candidate
from assistant.answering.types import MONTH
from assistant.settings import AnswerSettings
from assistant.text import content_terms


def prefer_what_is_asked(cands: list[Candidate], question: str, types: set[str], cfg: AnswerSettings) -> None:
    """Raise (or lower) the candidates' scores by what the question asks for in words."""
    if RECENT.search(question):
        _prefer_recent(cands, RECENT_BONUS)
    prefer_asked_years(cands, question, cfg.other_year_penalty)
    if ASKS_LIMIT.search(question):
        _prefer_cues(cands, STATES_LIMIT, cfg.cue_bonus)
    if ASKS_STATUS.search(question):
        _prefer_cues(cands, STATES_STATUS, cfg.cue_bonus)
    if "date" in types:
        _prefer_cues(cands, DAY_DATE, cfg.exact_date_bonus)


# the question asks for the state of things now, or after what was said ("Is that policy in effect now?", "What has
# happened with that case since then?", "when is it now supposed to start?")
RECENT = re.compile(r"\b(?:now|currently|since then|latest|most recent(?:ly)?|finally|in the end|eventually|ultimately|"
                    r"these days|today|so far|to date|right now)\b", re.I)
YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
RECENT_BONUS = 0.1  # … to the sentence whose latest year is the latest among the candidates, less to earlier ones


def _prefer_recent(cands: list[Candidate], bonus: float) -> None:
    """Raise sentences by how late the latest year they mention is, among the candidates' years."""
    years = {id(c): max(int(y) for y in YEAR.findall(c.text)) for c in cands if YEAR.search(c.text)}
    if len(set(years.values())) < 2:
        return
    low, high = min(years.values()), max(years.values())
    for c in cands:
        if id(c) in years:
            c.score += bonus * (years[id(c)] - low) / (high - low)


# a year the question bounds a period with, rather than names as the time it asks about ("since 2020")
BOUND_YEAR = re.compile(
    r"\b(?:since|before|after|prior to|until|through|from|between)\s+(?:FY\s?)?((?:19|20)\d{2})\b"
    r"(?:\s*(?:to|and|through|-|–)\s*(?:FY\s?)?((?:19|20)\d{2})\b)?",  # "from 2020 to 2025": both ends bound it
    re.I,
)
YEAR_TERM = re.compile(r"(?:fy)?((?:19|20)\d{2})")


def years_of(terms: Iterable[str]) -> set[str]:
    """The calendar or fiscal years among content terms ("2025", "fy2025" → "2025")."""
    return {m.group(1) for t in terms if (m := YEAR_TERM.fullmatch(t))}


def prefer_asked_years(cands: list[Candidate], question: str, penalty: float) -> None:
    """Lower sentences that state only years other than those the question asks about: "trade with Mexico in 2025" is
    not answered by "a surplus of $5.3 billion in 2024". A sentence that names no year is not lowered, nor one that
    refers back to a sentence naming an asked year."""
    asked = years_of(content_terms(question)) - {y for m in BOUND_YEAR.finditer(question) for y in m.groups() if y}
    if not asked:
        return
    for c in cands:
        stated = years_of(c.terms | c.before)
        if stated and not stated & asked:
            c.score -= penalty


# the question asks for a bound ("how high can a surcharge go?", "what surf limit did they set?", "the maximum award"),
# which a sentence states as one ("for up to 150 days", "a maximum … of four feet"), not an instance ("a 10% surcharge")
ASKS_LIMIT = re.compile(
    r"\bhow (?:high|long|large|big|far|low|often) (?:\w+ ){0,5}?(?:can|could|may|might)\b|"
    r"\b(?:maximum|minimum|max|cap|caps|ceiling|limits?|at most|at least|up to)\b",
    re.I,
)
STATES_LIMIT = re.compile(
    r"\b(?:up to|not (?:to )?exceed(?:ing)?|(?:no|not) (?:more|greater|longer|less|fewer) than|at (?:most|least)|"
    r"maximum|minimum|cap(?:ped|s)?\b(?!-)|ceiling|limits?\b(?!-)|limited to\b)",
    re.I,
)


# the question asks whether a rule or policy stands ("Is that policy actually in effect now?"), which a sentence
# answers by what became of it ("a court enjoined it on April 4, 2025", "the rule took effect on …")
ASKS_STATUS = re.compile(
    r"\b(?:is|are|was|were|has|have)\b(?:\s+[\w'’-]+){0,8}?\s+(?:in effect|in force|(?:been\s+)?(?:blocked|enjoined|"
    r"implemented|enforced|upheld|struck down|overturned|rescinded|repealed|reinstated)|still\s+(?:on|in place|"
    r"pending|active))\b",
    re.I,
)
STATES_STATUS = re.compile(
    r"\b(?:enjoin(?:ed|s)?|injunction|block(?:ed|s)|vacat(?:ed|es)|struck down|upheld|affirm(?:ed|s)|overturn(?:ed|s)|"
    r"rescind(?:ed|s)|repeal(?:ed|s)|reinstat(?:ed|es)|took effect|went into effect|takes? effect|remains? in (?:effect|"
    r"force|place)|suspend(?:ed|s)|terminat(?:ed|es)|halted|paused|withdr(?:ew|awn))\b",
    re.I,
)


def _prefer_cues(cands: list[Candidate], cue: re.Pattern[str], bonus: float) -> None:
    """Raise the sentences that say what the question asks for in words (a bound, what became of a policy)."""
    for c in cands:
        if cue.search(c.text):
            c.score += bonus


# a date to the day ("August 1, 2025", "8/1/2025"): "when?" is best answered by the exact date
DAY_DATE = re.compile(rf"\b{MONTH}\s+\d{{1,2}},?\s+(?:19|20)\d{{2}}\b|\b\d{{1,2}}/\d{{1,2}}/(?:19|20)?\d{{2}}\b")


