"""The web chat's pure render helpers: escaping, [n] footnote links, the highlighted passage inside its
paragraph, the abstention state, the library and the Markdown export. One test renders a real answer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from assistant.models import Answer, BriefMeta, Citation, Filters, Passage
from tests.conftest import test_settings
from ui.web.render import (
    ChatTurn,
    conversation_markdown,
    paragraph_groups,
    passage_html,
    render_answer_html,
    render_conversation_sources_html,
    render_library_html,
    render_pending_html,
    render_sources_html,
    render_status_html,
    render_text_html,
)

TEXT = (
    "Intro paragraph about <ports>.\n\n"
    "Russia has expanded its icebreaker fleet. NATO members worry about dual-use ports. Traffic is seasonal.\n\n"
    "The brief recommends two new icebreakers."
)


def cite(n: int, quote: str, text: str = TEXT, **meta: Any) -> Citation:
    start = text.index(quote)
    fields = {
        "brief_id": "arctic",
        "title": "Arctic <Shipping> & Security",
        "authors": ["Maria Lindqvist"],
        "organisation": "Nordic Policy Institute",
        "date": "2024-03-14",
        "source": "https://example.org/briefs/arctic?a=1&b=2",
        **meta,
    }
    return Citation(n=n, quote=quote, start=start, end=start + len(quote), score=0.5, **fields)


class Texts:
    """Stands in for the service: ``brief_text`` over a dict (the one method the renderer uses)."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts

    def brief_text(self, brief_id: str) -> str:
        from assistant.errors import NotFoundError

        if brief_id not in self.texts:
            raise NotFoundError(f"No brief with id {brief_id!r}")
        return self.texts[brief_id]


def test_markers_become_footnote_links_and_text_is_escaped() -> None:
    c1 = cite(1, "Russia has expanded its icebreaker fleet.")
    html = render_text_html("Fleet <b>grew</b> & more. [1] Unverified. [1, 7]", turn=3, citations=[c1])
    assert "&lt;b&gt;grew&lt;/b&gt; &amp; more." in html
    assert html.count('href="#src-3-1"') == 2
    assert '<span class="ba-cite-pending">[7]</span>' in html
    assert "Arctic &lt;Shipping&gt; &amp; Security" in html  # the link title is escaped too


def test_streaming_text_has_no_links_until_verified() -> None:
    html = render_pending_html("Fleet grew. [2] ", turn=1)
    assert "ba-streaming" in html and "href" not in html and "[2]" in html
    assert "Searching the briefs" in render_pending_html("", turn=1)


def test_abstention_is_distinct_and_lists_the_closest_briefs() -> None:
    passages = [
        Passage(brief_id=b, title=t, text="x", start=0, end=1, score=s)
        for b, t, s in [("a", "Alpha <A>", 0.9), ("a", "Alpha <A>", 0.8), ("b", "Beta", 0.7)]
    ]
    answer = Answer(
        question="q", text="The briefs don't cover this question.", abstained=True, passages=passages
    )
    html = render_answer_html(answer, 1, Filters(author="Clark"))
    assert 'class="ba-abstain"' in html and "don’t cover" in html
    assert html.index("Alpha &lt;A&gt;") < html.index("Beta") and html.count("Alpha") == 1
    assert "author=Clark" in html
    assert "ba-cite" not in html


def test_passage_is_highlighted_inside_its_paragraph_only() -> None:
    c = cite(2, "NATO members worry about dual-use ports.")
    html = passage_html(TEXT, [c], turn=1)
    assert (
        '<span class="ba-source" id="src-1-2" tabindex="-1"><sup class="ba-n">[2]</sup><mark>NATO members'
        in html
    )
    assert html.startswith("Russia has expanded") and html.endswith("Traffic is seasonal.")
    assert "Intro" not in html and "recommends" not in html


def test_long_paragraph_context_is_clipped_and_changed_text_falls_back_to_the_quote() -> None:
    long_text = "word " * 200 + "The cited sentence. " + "tail " * 200
    c = cite(1, "The cited sentence.", text=long_text)
    html = passage_html(long_text, [c], 1)
    assert html.startswith("…") and html.endswith("…") and len(html) < 900
    assert passage_html("something else entirely", [c], 1).count("<mark>") == 1
    assert passage_html(None, [c], 1).endswith("<mark>The cited sentence.</mark></span>")


def test_citations_in_one_paragraph_share_a_block() -> None:
    a, b = cite(1, "Traffic is seasonal."), cite(2, "Russia has expanded its icebreaker fleet.")
    c = cite(3, "The brief recommends two new icebreakers.")
    groups = paragraph_groups([a, b, c], TEXT)
    assert [[x.n for x in g] for g in groups] == [[2, 1], [3]]
    html = passage_html(TEXT, groups[0], 1)
    assert html.index("src-1-2") < html.index("src-1-1") and html.count("<mark>") == 2


def test_sources_show_brief_metadata_with_a_link_to_the_original() -> None:
    answer = Answer(
        question="q",
        text="Fleet. [1] Ports. [2]",
        citations=[
            cite(1, "Russia has expanded its icebreaker fleet."),
            cite(
                2,
                "NATO members worry about dual-use ports.",
                brief_id="other",
                title="Other",
                source="/srv/x/other.md",
            ),
        ],
    )
    html = render_sources_html(answer, Texts({"arctic": TEXT}))
    assert (
        'href="https://example.org/briefs/arctic?a=1&amp;b=2"' in html and 'rel="noopener noreferrer"' in html
    )
    assert "Maria Lindqvist · Nordic Policy Institute · 2024-03-14" in html
    assert "(other.md)" in html and "/srv/x" not in html  # a local path is never linked nor shown whole
    assert 'id="src-1-1"' in html and 'id="src-1-2"' in html  # the deleted brief still shows its quote


def test_conversation_sources_newest_first_and_open() -> None:
    turns = [ChatTurn("first?", Answer(question="first?", text="", abstained=True)), ChatTurn("second <q>?")]
    html = render_conversation_sources_html(turns, Texts({}))
    assert html.index("Q2: second &lt;q&gt;?") < html.index("Q1: first?")
    assert html.startswith('<details class="ba-turn" open>') and "Finding sources" in html
    assert "appear here" in render_conversation_sources_html([], None)


def test_library_and_upload_status_are_escaped() -> None:
    briefs = [
        BriefMeta(id="b1", title="Zeta <script>", authors=["A"], path="/p", content_hash="h", chunks=1),
        BriefMeta(id="b2", title="alpha", path="/q", content_hash="h", chunks=3, source="https://e.org/a"),
    ]
    html = render_library_html(briefs)
    assert "2 briefs, 4 chunks" in html and "Zeta &lt;script&gt;" in html and "<script>" not in html
    assert html.index("alpha") < html.index("Zeta") and "1 chunk<" in html
    status = render_status_html(["ok.md: added"], [("bad<1>.pdf", "corrupted PDF")])
    assert 'role="alert"' in status and "<strong>bad&lt;1&gt;.pdf</strong>: corrupted PDF" in status


def test_conversation_markdown_has_questions_filters_and_sources() -> None:
    c = cite(1, "Russia has expanded its icebreaker fleet.")
    turns = [
        ChatTurn(
            "What about Russia?",
            Answer(question="q", text="It grew. [1]", citations=[c]),
            Filters(author="Lindqvist", date_from=dt.date(2024, 1, 1)),
        ),
        ChatTurn("Broken?", error="LLM server unreachable"),
    ]
    md = conversation_markdown(turns, now=dt.datetime(2025, 1, 2, 3, 4))
    assert md.startswith("# Briefs Assistant conversation\n\nExported 2025-01-02 03:04.")
    assert "## 1. What about Russia?" in md and "_Filters: author=Lindqvist, date_from=2024-01-01_" in md
    assert "[1]: Arctic <Shipping> & Security <https://example.org/briefs/arctic?a=1&b=2>" in md
    assert "_Error: LLM server unreachable_" in md


def test_a_real_answer_renders_every_citation_with_its_quote(assistant: Any, ingested_dir: Path) -> None:
    services = assistant
    answer = assistant.ask("What did the visit achieve?")
    assert answer.citations
    answer_html = render_answer_html(answer, 1)
    sources = render_sources_html(answer, services, 1)
    for c in answer.citations:
        assert f'href="#src-1-{c.n}"' in answer_html
        assert f'id="src-1-{c.n}"' in sources
        text = assistant.brief_text(c.brief_id)
        assert text[c.start : c.end] == c.quote
    assert sources.count("<mark>") == len(answer.citations)


@pytest.mark.parametrize(
    "access,host,keys,key,allowed",
    [
        ("open", "127.0.0.1", "", None, True),
        ("disabled", "0.0.0.0", "", None, False),
        ("key", "0.0.0.0", "k1,k2", "k2", True),
        ("key", "127.0.0.1", "k1", "wrong", False),
    ],
)
def test_library_writes_need_a_key_when_keys_are_set(
    access: str, host: str, keys: str, key: str | None, allowed: bool
) -> None:
    from ui.web.library import check_write, write_access

    settings = test_settings(host=host, api_keys=keys)
    assert write_access(settings) == access
    message = check_write(settings, key)
    assert (message is None) is allowed
    if message:
        assert "BRIEFS_API_KEYS" in message
