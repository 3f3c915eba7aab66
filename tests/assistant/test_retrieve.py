"""Hybrid retrieval on a real index: fusion, filters, versions, duplicates and confidence."""

from __future__ import annotations

import datetime as dt

from assistant.models import Filters
from assistant.service import BriefsService


def test_fusion_combines_dense_and_keyword_hits(assistant: BriefsService) -> None:
    r = assistant.retriever
    keyword = r.retrieve("Tromsø", mode="bm25").passages  # a rare exact token only BM25 pins down
    assert keyword and keyword[0].brief_id == "arctic-shipping"
    dense = r.retrieve("ships sailing through melting polar ice", mode="dense").passages
    assert dense[0].brief_id == "arctic-shipping"
    hybrid = r.retrieve("ships sailing through melting polar ice near Tromsø").passages
    assert hybrid[0].brief_id == "arctic-shipping"
    assert hybrid[0].dense_score is not None and hybrid[0].bm25_score is not None
    scores = [p.score for p in hybrid]
    assert scores == sorted(scores, reverse=True)


def test_metadata_filters(assistant: BriefsService) -> None:
    q = "policy recommendations"
    assert {p.brief_id for p in assistant.retrieve(q, Filters(author="lindqvist"))} == {"arctic-shipping"}
    assert {p.brief_id for p in assistant.retrieve(q, Filters(organisation="global futures"))} == {
        "water-security"
    }
    assert {p.brief_id for p in assistant.retrieve(q, Filters(brief_id=["semiconductors"]))} == {
        "semiconductors"
    }
    in_2024 = {
        p.brief_id
        for p in assistant.retrieve(q, Filters(date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 12, 31)))
    }
    assert in_2024 == {"arctic-shipping", "semiconductors"}
    assert assistant.retrieve(q, Filters(author="nobody at all")) == []


def test_newest_version_wins_by_default(assistant: BriefsService) -> None:
    default = {p.brief_id for p in assistant.retrieve("XM30 infantry combat vehicle", top_k=10)}
    assert "xm30-v2" in default and "xm30-v1" not in default
    both = {
        p.brief_id
        for p in assistant.retrieve("XM30 infantry combat vehicle", Filters(all_versions=True), top_k=10)
    }
    assert {"xm30-v1", "xm30-v2"} <= both


def test_near_duplicate_passages_are_collapsed(assistant: BriefsService) -> None:
    passages = assistant.retrieve("XM30 replacement for the M2 Bradley", Filters(all_versions=True), top_k=10)
    overviews = [p for p in passages if "planned replacement for the M2 Bradley" in p.text]
    texts = [set(p.text.split()) for p in overviews]
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            assert len(texts[i] & texts[j]) / len(texts[i] | texts[j]) < 0.8


def test_confidence_signal(assistant: BriefsService) -> None:
    on_topic = assistant.retriever.retrieve("icebreaker fleet in the Arctic")
    off_topic = assistant.retriever.retrieve("best sourdough bread recipe")
    missing_entity = assistant.retriever.retrieve("What did Blinken say about Taiwan?")
    assert on_topic.low_confidence is None and on_topic.confidence > off_topic.confidence
    assert off_topic.low_confidence is not None
    assert missing_entity.low_confidence is not None and "Taiwan" in missing_entity.low_confidence


def test_a_name_is_searched_for_without_possessives_and_punctuation() -> None:
    from assistant.retrieval.hybrid import _named_in, _searchable

    text = _searchable("The Marine Corps’ Amphibious Combat Vehicle (ACV) and the Army's XM30.")
    assert _named_in("Marine Corps Amphibious Combat Vehicle", text) and _named_in("Army XM30", text)
    assert _named_in("National Flood Insurance Program", _searchable("Its reauthorization (NFIP) lapsed."))
    assert not _named_in("National Flood Insurance Program", _searchable("national flood insurance and a program"))


def test_a_name_in_other_words_is_its_words_close_together() -> None:
    from assistant.retrieval.hybrid import _names_near, _searchable

    assert _names_near("Senate Armed Services Committee", _searchable("the Senate Committee on Armed Services said"))
    apart = _searchable("The national government builds barriers; a regional insurance pool covers flood damage.")
    assert not _names_near("National Flood Insurance Program", apart)
