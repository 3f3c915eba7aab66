"""Every sentence the segmenter produces on the CRS corpus: none is cut inside an abbreviation of the kind CRS text is
full of ("P.L. 119-60", "U.S. Army", "H.R. 1234", "S. 567", "H.Res. 12", "No. 5", "§ 401", "et al.")."""

from __future__ import annotations

import re

import pytest

from assistant.text import sentence_spans
from ingest.clean import clean_text
from tests.conftest import require_crs

pytestmark = pytest.mark.slow

ABBREVIATIONS = ("P.L.", "U.S.", "H.R.", "S.", "H.Res.", "S.Res.", "H.J.Res.", "S.J.Res.", "No.", "Nos.", "§", "et al.",
                 "Inc.", "Corp.", "Co.", "Gen.", "Sen.", "Rep.", "Dr.", "Mr.", "Ms.", "Jan.", "Feb.", "Aug.", "Sept.",
                 "Oct.", "Nov.", "Dec.", "U.S.C.", "Sec.", "v.", "vs.")
CONTINUATION = re.compile(r"^[0-9a-z§(]")


def test_no_sentence_of_the_crs_corpus_is_cut_inside_an_abbreviation() -> None:
    crs = require_crs()
    cuts, sentences = [], 0
    for path in sorted(crs.rglob("*.md")):
        text = clean_text(path.read_text(encoding="utf-8"), "md").text
        spans = sentence_spans(text)
        sentences += len(spans)
        for (s1, e1), (s2, e2) in zip(spans, spans[1:], strict=False):
            same_line = "\n" not in text[e1:s2]
            first, second = text[s1:e1], text[s2:e2]
            token = first.rsplit(None, 1)[-1].split("/")[-1]
            if same_line and token in ABBREVIATIONS and CONTINUATION.match(second):
                cuts.append(f"{path.name}: …{first[-40:]!r} | {second[:40]!r}…")
    assert sentences > 20_000
    assert cuts == [], f"{len(cuts)} cuts, e.g. {cuts[:5]}"
