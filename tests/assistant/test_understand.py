"""Question understanding: kinds, answer types, filters stated in words, comparison sides; and sentence boundaries
that survive the abbreviations policy briefs are full of."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.answering.types import expected_types, part_types, question_parts, types_in, values_in
from assistant.answering.understand import interpret
from assistant.models import BriefMeta
from assistant.text import content_terms, name_phrases, sentence_spans, stem

LIBRARY = {
    "a": BriefMeta(id="a", title="The Army's XM-30", path="a.md", content_hash="a", authors=["Andrew Feickert"],
                   product_type="In Focus", date="2026-04-22"),
    "b": BriefMeta(id="b", title="Iran and Nuclear Weapons", path="b.md", content_hash="b", authors=["Paul K. Kerr"],
                   product_type="Insight", date="2026-04-09"),
}


@pytest.mark.parametrize(("question", "kind"), [
    ("Who wrote the brief on U.S.-Mexico trade relations?", "metadata"),
    ("Which CRS analysts wrote the report tracking foreign holdings of federal debt?", "metadata"),
    ("When was the In Focus on the XM-30 last updated?", "metadata"),
    ("What is the report number of the CRS product on Section 122?", "metadata"),
    ("Which briefs discuss Iran?", "list"),
    ("Which defense-related In Focus briefs did CRS publish on April 16, 2026?", "list"),
    ("Which CRS products discuss Iran?", "list"),
    ("What products does China produce?", "fact"),  # a word for other things too, not the library's
    ("Which notes does the Treasury issue?", "fact"),
    ("What has CRS published on elections since March 2026?", "list"),
    ("Summarise the In Focus on Energy Star.", "summary"),
    ("What is the CRS brief on seabed mining about?", "summary"),
    ("Compare the XM-30 and the M-1E3 Abrams programs.", "compare"),
    ("How do the FY2027 requests for USGS and the Fish and Wildlife Service differ?", "compare"),
    ("How much does each ACV cost?", "fact"),
    ("When did the Army accept its first MRC battery?", "fact"),
    ("What did the visit achieve?", "fact"),
    ("When was the last time the House needed more than one ballot?", "fact"),  # a quantity, not a comparison
    ("Did more than 50 states sign the compact?", "fact"),
    ("Is the Abrams larger than the XM-30?", "compare"),
])
def test_questions_are_classified_by_kind(question: str, kind: str) -> None:
    assert interpret(question, [], LIBRARY).kind == kind


@pytest.mark.parametrize(("question", "types"), [
    ("How much does a single launcher cost?", ["amount"]),
    ("How many soldiers make up a battery?", ["number"]),
    ("When is the first crewed landing planned?", ["date"]),
    ("Who builds the ACV?", ["organisation"]),
    ("What share of consumer spending do FDA products represent?", ["percent"]),
    ("How long did the investigation take?", ["duration"]),
    ("How much shorter is the Northern Sea Route to Shanghai?", ["percent", "amount", "number"]),  # a difference
    ("When was the law signed, who signed it?", ["date", "person", "organisation"]),  # the clause is a question
    ("What is the range of cost estimates for the program?", ["amount"]),
    ("How much longer will the review take?", ["duration"]),
    ("How many submarines could Australia buy, and in what timeframe?", ["number", "date"]),
    ("Why did the program stall?", []),
    # every interrogative counts, in the order asked
    ("Who brokered the ceasefire, and how long was it meant to last?", ["organisation", "place", "duration"]),
    ("When was the program created and how much did it cost?", ["date", "amount"]),
    ("Which AI companies got contracts?", ["organisation"]),
    # money words elsewhere in a count question do not ask for money; a verb of paying asks for money only
    ("How many nonprofits applied for grant funding in FY2025?", ["number"]),
    ("How did funding for the program change?", ["amount"]),
    ("How much is Iran charging ships per transit?", ["amount"]),
    ("What is the largest grant a single project can receive?", ["amount"]),
    ("How did the FY2026 request for NIH compare with what Congress enacted?", ["amount"]),  # a budget request
    ("How does the budget reconciliation process work?", []),
    ("For nominees since 1975 who got a floor vote, what has been the average time to the final vote?", ["duration"]),
    ("When was the law signed, and who signed it?", ["date", "person", "organisation"]),
    ("What did the Congressional Budget Office say about the bill?", []),
    ("Explain how high tariffs affect farm exports.", []),
    ("What is the average credit score of applicants?", []),
    ("What was the average credit per recipient?", ["amount"]),
    # a "when" that sets a condition inside a question asks for no date
    ("How much did the barrier cost when it was built?", ["amount"]),
    ("What share of the fleet will be electric when the plan ends?", ["percent"]),
    ("Which unit gets the first battalion, and when?", ["organisation", "date"]),
    ("What did the court decide and when?", ["date"]),
    ("Who introduced the bill and when?", ["person", "date", "organisation"]),
])
def test_expected_answer_types(question: str, types: list[str]) -> None:
    assert expected_types(question) == types


def test_sentence_types_ignore_years_bills_and_sections_as_counts() -> None:
    assert "number" not in types_in("The FY2026 NDAA (P.L. 119-60, §401) passed in 2025.")
    assert {"amount", "number", "date"} <= types_in("The Army requested $1.6 billion in FY2027 for 19 vehicles.")
    assert "number" not in types_in("FDA must report to Congress under FSMA (21 U.S.C. §350l-1) on its use.")
    assert "number" in types_in("FDA has used its mandatory recall authority once, in 2018.")
    assert "number" not in types_in("Benefits resume once the final rule takes effect in 2027.")


def test_the_values_a_sentence_gives_leave_out_references_and_dates() -> None:
    assert values_in("To date, the ISA has issued 31 contracts, of which 17 are in the CCZ (Figure 3).", {"number"}) == {
        "31",
        "17",
    }
    assert values_in("The ISA has issued 17 contracts in the CCZ since 2001 (Figure 3).", {"number"}) == {"17"}
    assert values_in("It cost $1.2 billion, 40% more than in FY2024.", {"amount", "percent"}) == {"$1.2 billion", "40%"}


def test_filters_come_only_from_phrases_that_name_the_briefs() -> None:
    listed = interpret("Which In Focus briefs were published in April 2026 by Feickert?", [], LIBRARY)
    f = listed.filters
    assert (f.date_from, f.date_to) == (dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    assert (f.author, f.product_type) == ("feickert", "In Focus")
    assert any("published in April 2026" in n for n in listed.notes)
    fact = interpret("What did the Army buy in 2025?", [], LIBRARY)
    assert fact.filters.is_empty()  # an event's year is not a publication date
    nobody = interpret("Which briefs were written by Smith?", [], LIBRARY)
    assert nobody.filters.author is None  # no author of that name in the library


def test_since_and_every_version() -> None:
    i = interpret("What has CRS published on Iran since March 2026, all versions?", [], LIBRARY)
    assert (i.filters.date_from, i.filters.date_to, i.filters.all_versions) == (dt.date(2026, 3, 1), None, True)


def test_comparison_sides() -> None:
    assert interpret("Compare the XM-30 and the M-1E3 Abrams programs.", [], LIBRARY).sides == ["XM-30", "M-1E3 Abrams"]
    assert interpret("How does Trump's surcharge stack up against Nixon's?", [], LIBRARY).sides == [
        "Trump's surcharge", "Nixon's surcharge"
    ]


@pytest.mark.parametrize("text", [
    "The FY2026 NDAA (P.L. 119-60, §401) authorized the program. It passed in December.",
    "The U.S. Army awarded $1.6 billion to BAE Systems Inc. in 2025. The award was protested.",
    "See H.R. 1234 and S. 567 et al. for details. No. 5 was approved on Jan. 3, 2026.",
    "H.Res. 12 passed the House. Gen. Saltzman testified.",
])
def test_sentences_are_not_cut_inside_abbreviations(text: str) -> None:
    assert len(sentence_spans(text)) == 2, [text[s:e] for s, e in sentence_spans(text)]


@pytest.mark.parametrize(("question", "sides"), [
    ("Compare the Department of Defense and the Department of Energy.", ["Department of Defense", "Department of Energy"]),
    ("How does the Bureau of Land Management differ from the Forest Service?", ["Bureau of Land Management", "Forest Service"]),
    ("Compare Medicare versus Medicaid spending.", ["Medicare", "Medicaid spending"]),
    ("Compare trains at high speed and buses.", ["trains at high speed", "buses"]),  # "speed" is not a participle
    # the pair in parentheses names the sides; what they are compared on is not part of a side
    ("How did the actual 2023 costs of the two home energy credits (EEHIC and RCEC) compare?", ["EEHIC", "RCEC"]),
    ("How did the speed of the 2025 copper investigation compare with the steel investigation?",
     ["2025 copper investigation", "steel investigation"]),
    # a lone owner owns what the other side's owner does
    ("Compare Japan's and China's holdings of U.S. federal debt.",
     ["Japan's holdings of U.S. federal debt", "China's holdings of U.S. federal debt"]),
    # a clause or a verb after a side is not part of it
    ("Compare the penalties that S. 4017 and S. 4188 would impose on officials.", ["S. 4017", "S. 4188"]),
    ("How do negotiated cost rates compare with the effective rates they actually receive?",
     ["negotiated cost rates", "effective rates"]),
    ("How does the standard deduction for joint filers compare with that for single filers?",
     ["joint filers", "single filers"]),
    ("How does federal IT modernization funding compare with the TMF?", ["federal IT modernization funding", "TMF"]),
])
def test_comparison_sides_keep_names_whole(question: str, sides: list[str]) -> None:
    from assistant.answering.understand import _sides

    assert _sides(question) == sides


def test_an_and_inside_a_name_the_library_uses_does_not_split_the_sides() -> None:
    from assistant.answering.understand import _sides

    question = "How do the FY2027 requests for the U.S. Fish and Wildlife Service and the U.S. Geological Survey compare?"
    titles = ["U.S. Fish and Wildlife Service FY2027 Budget Request"]
    assert _sides(question, titles) == ["U.S. Fish and Wildlife Service", "U.S. Geological Survey"]
    assert _sides(question) == ["U.S. Fish", "Wildlife Service and the U.S. Geological Survey"]  # no such name known
    # a title that names both sides ("Israel and Iran: …") does not make them one
    assert _sides("How do Israel and Iran compare in missile stocks?", ["Israel and Iran: Conflict"]) == ["Israel", "Iran"]


def test_a_cost_question_is_not_a_measure_question() -> None:
    from assistant.answering.types import measure_of

    assert measure_of("How did lawmakers weigh the costs of the tariff?") is None
    assert measure_of("What is the range of cost estimates for the program?") is None
    assert measure_of("How much will the M-1E3 weigh compared with today's Abrams?") is not None
    assert measure_of("What is the range of the missile?") is not None


def test_only_the_header_line_that_starts_with_the_title_is_skipped() -> None:
    from assistant.answering.candidates import _header_line

    assert _header_line("Medicaid Updated April 21, 2026 (R45741)", "Medicaid")
    assert not _header_line("Medicaid is the largest source of federal funds to states.", "Medicaid")


@pytest.mark.parametrize(("question", "measured"), [
    ("How much interest did the U.S. Treasury pay China on its holdings?", ["interest"]),
    ("How much tariff revenue have the new duties raised?", ["tariff", "revenue"]),
    ("How much funding did Congress provide?", []),  # money in general
    ("How much more will the program cost?", []),  # a difference, not a named measure
])
def test_what_a_how_much_question_measures(question: str, measured: list[str]) -> None:
    from assistant.answering.types import measured_of

    assert measured_of(question) == measured


def test_a_name_the_question_already_states_is_not_an_answer_of_its_type() -> None:
    from types import SimpleNamespace

    from assistant.answering.fact import _new_names
    from assistant.text import content_terms

    stated = set(content_terms("Who builds it? (Marine Corps Amphibious Combat Vehicle)"))
    only_subject = SimpleNamespace(text="The vehicle will carry the Marine Corps infantry battalion ashore.")
    builder = SimpleNamespace(text="In June 2018 the ACV entered production with BAE Systems in York.")
    assert "organisation" not in _new_names(only_subject, {"organisation"}, stated)  # type: ignore[arg-type]
    assert "organisation" in _new_names(builder, {"organisation"}, stated)  # type: ignore[arg-type]


@pytest.mark.parametrize(("question", "parts"), [
    ("Which unit gets the first battalion, and when?", [["organisation"], ["date"]]),
    ("What would the second one do, and by what vote did it pass?", [[], ["number"]]),
    ("Who brokered the ceasefire, and how long was it meant to last?", [["organisation", "place"], ["duration"]]),
    ("What about the second one? How much did Congress put in, and how much was taken back?",
     [["amount", "number"], ["amount", "number"]]),  # the opening asks nothing by itself
    ("How much does a single launcher cost?", [["amount"]]),  # one part: the question itself
    ("What are the costs and benefits of tariffs?", [["amount"]]),  # "and" inside one thing asked
])
def test_compound_questions_split_into_parts(question: str, parts: list[list[str]]) -> None:
    assert [part_types(p) for p in question_parts(question)] == parts


def test_a_hyphenated_word_gives_its_parts() -> None:
    assert {stem("brokered"), stem("pakistan")} <= set(content_terms("The Pakistan-brokered ceasefire"))
    assert stem("two-week") in content_terms("a two-week ceasefire")


@pytest.mark.parametrize(("question", "names"), [
    ("When does the National Flood Insurance Program's authorization expire?", ["National Flood Insurance Program"]),
    ("Who wrote CRS's In Focus on the Common Rule?", ["Common Rule"]),  # series names and possessives split
    ("What's the report number of the In Focus on Treasury's Exchange Stabilization Fund?",
     ["Exchange Stabilization Fund"]),
    ("What is the Trump Administration FY2027 request?", ["Trump Administration"]),
    ("Did the U.S. Army Corps build it?", ["U.S. Army Corps"]),
    ("How did the court rule?", []),
])
def test_names_of_several_words(question: str, names: list[str]) -> None:
    assert name_phrases(question) == names


def test_a_side_is_retrieved_without_the_other_sides_words() -> None:
    from assistant.answering.compare import side_query

    sides = ["USDA's Intermediary Relending Program", "Rural Economic Development Loan and Grant Program"]
    asked = f"Compare {sides[0]} with its {sides[1]} in interest rate."
    first, second = side_query(asked, sides, 0), side_query(asked, sides, 1)
    assert "Rural" not in first and "interest rate" in first and first.startswith(sides[0])
    assert "Relending" not in second and "interest rate" in second


def test_a_paragraph_wrapped_over_lines_keeps_its_sentences_whole() -> None:
    text = (
        "Background\n"
        "The Norway-brokered agreement of May 2024 let the two countries share designs. The number of\n"
        "engineers assigned to each barrier is not known. Construction finished in March 2025,\n"
        "two months late.\n"
        "- a list item\n"
        "Barrier | Opened\n"
        "Northern | 2025"
    )
    got = [text[s:e].replace("\n", " ") for s, e in sentence_spans(text)]
    assert got == [
        "Background",
        "The Norway-brokered agreement of May 2024 let the two countries share designs.",
        "The number of engineers assigned to each barrier is not known.",
        "Construction finished in March 2025, two months late.",
        "- a list item",
        "Barrier | Opened",
        "Northern | 2025",
    ]


@pytest.mark.parametrize(("question", "fields"), [
    ("What kind of CRS product is the piece on school gender policies, and who wrote it?", ["product_type", "authors"]),
    ("When was CRS's In Focus on Australia most recently updated, and by whom?", ["date", "authors"]),
])
def test_a_question_about_a_brief_asks_for_each_field_in_order(question: str, fields: list[str]) -> None:
    i = interpret(question, [], {})
    assert i.kind == "metadata" and i.metadata_fields == fields


def test_a_type_of_report_a_law_requires_is_not_a_question_about_a_brief() -> None:
    assert interpret("What type of report does the law require agencies to file?", [], {}).kind != "metadata"


@pytest.mark.parametrize(("question", "types"), [
    ("Which monarch first addressed Congress, and on what date?", ["person", "date"]),
    ("How does Russia's estimated number of deployed warheads compare with the U.S. figure?", ["number"]),
    ("By what vote did the Senate adopt S.Con.Res. 33?", ["number"]),
    ("Why did a number of states sue?", []),  # "a number of" is not a count asked for
    ("Which NATO members spend 2% of GDP on defense?", []),  # members may be countries
    ("Which court blocked that policy, and on what date?", ["organisation", "date"]),
])
def test_roles_and_counts_name_their_answer_types(question: str, types: list[str]) -> None:
    assert expected_types(question) == types


def test_the_noun_of_what_date_is_not_what_a_question_is_about() -> None:
    assert stem("date") not in content_terms("On what date did that happen?", drop_question_words=True)
    assert stem("date") in content_terms("What is the effective date of the rule?", drop_question_words=True)


def test_a_vote_tally_is_a_figure_and_a_number_the_question_states_is_not_an_answer() -> None:
    from assistant.answering.fact import _new_names

    assert "number" in types_in("The Senate adopted it on April 23 by a vote of 50-48.")
    stated = set(content_terms("By what vote did the Senate adopt S.Con.Res. 33?"))

    class C:  # what _new_names reads of a candidate
        text = "On April 23, 2026, the Senate adopted S.Con.Res. 33, a budget resolution."

    assert "number" not in _new_names(C(), {"number", "date"}, stated)  # type: ignore[arg-type]
    C.text = "The Senate adopted S.Con.Res. 33 by a vote of 50-48."
    assert "number" in _new_names(C(), {"number"}, stated)  # type: ignore[arg-type]


def test_a_count_question_that_names_nothing_counts_nothing_in_particular() -> None:
    from assistant.answering.types import counted_of

    assert counted_of("How many ballots did it take?") == ["ballots"]
    assert counted_of("And how many did it take?") == []
    assert counted_of("How many of them work in the Washington, DC, area?") == []
    assert counted_of("How many of the nation's bridges are rated poor?")[-1] == "bridges"


def test_forms_of_one_word_the_stemmer_split_match_and_other_words_do_not() -> None:
    from assistant.text import same_word

    assert same_word(stem("complying"), stem("compliance")) and same_word(stem("staffing"), stem("staff"))
    for a, b in [("bills", "billion"), ("India", "Indiana"), ("Niger", "Nigeria"), ("ship", "shipment"),
                 ("person", "personnel"), ("plan", "plant")]:
        assert not same_word(stem(a), stem(b)), (a, b)


def test_a_fact_asked_of_two_things_with_a_brief_each_is_answered_side_by_side() -> None:
    def meta(i: str, title: str) -> BriefMeta:
        return BriefMeta(id=i, title=title, path=f"{i}.md", content_hash=i)

    library = {
        "fws": meta("fws", "U.S. Fish and Wildlife Service FY2027 Budget Request"),
        "usgs": meta("usgs", "The U.S. Geological Survey (USGS): FY2027 Budget Request"),
        "scon": meta("scon", "S.Con.Res. 33: The Senate-Adopted FY2026 Budget Resolution"),
        "house": meta("house", "Speakers of the House: Elections, 1913-2025"),
    }
    asked = interpret("How much more did Congress give the Fish and Wildlife Service and the USGS than requested?", [],
                      library)
    assert asked.kind == "compare" and asked.sides == ["Fish and Wildlife Service", "USGS"]
    # a name that is not what a title is about ("The Senate-Adopted …" after the colon) is not a side
    assert interpret("What did the House and the Senate pass?", [], library).kind == "fact"
    # both names in one brief's subject: one brief answers it
    one = {"x": meta("x", "Israel and Iran: Conflict and Diplomacy")}
    assert interpret("How many missiles did Israel and Iran fire?", [], one).kind == "fact"


@pytest.mark.parametrize(("sentence", "share"), [
    ("Half of the funds went to the states.", True),
    ("Funding was cut by a third in 2025.", True),
    ("About two-thirds of members voted for it.", True),
    ("USACE reviews requests from a third party altering its works.", False),
    ("The first half of FY2026 saw fewer awards.", False),
])
def test_a_fraction_is_a_share_of_something_not_an_ordinal(sentence: str, share: bool) -> None:
    assert ("percent" in types_in(sentence)) is share


@pytest.mark.parametrize("question", [
    "What state matching share has HAVA required?",
    "In FY2025, what portion of SNAP spending went to benefits?",
    "What annual GDP growth target does the plan set?",
    "How do negotiated indirect cost rates compare with the effective rates universities receive?",
])
def test_a_share_or_a_growth_target_asks_for_a_percentage(question: str) -> None:
    assert expected_types(question) == ["percent"]


@pytest.mark.parametrize(("question", "types"), [
    ("What is the maximum Nonprofit Security Grant Program award a single nonprofit can receive?", ["amount"]),
    ("What is the maximum number of awards per state?", ["number"]),
])
def test_the_size_of_a_named_programmes_payment_is_an_amount_and_its_count_a_number(question: str, types: list[str]) -> None:
    assert expected_types(question) == types


def test_the_measure_of_a_how_question_is_not_what_it_asks_about() -> None:
    from assistant.answering.candidates import focus_terms

    assert focus_terms("How high can a lock's toll go?") == {"lock", "toll"}
    assert focus_terms("How big is the fleet?") == {"fleet"}
    assert {"low-incom", "hous"} <= focus_terms("How do low-income housing credits work?")
    # scoring still reads every word: "how soon" matches "as soon as possible"
    assert "soon" in content_terms("How soon must the company get a hearing?", drop_question_words=True)


@pytest.mark.parametrize(("question", "types"), [
    ("What trade-offs does CRS see between short spending deadlines and ongoing funding?", []),
    ("Why did funding for the program fall?", []),
    ("How did funding change?", ["amount"]),
])
def test_a_question_asking_for_reasons_or_trade_offs_wants_a_description_however_it_speaks_of_money(
    question: str, types: list[str]
) -> None:
    assert expected_types(question) == types
