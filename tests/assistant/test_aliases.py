"""Acronyms a brief defines match their expansion in either direction."""

from assistant.answering.aliases import acronyms, common_names, with_aliases
from assistant.text import content_terms


def terms(text: str) -> frozenset[str]:
    return frozenset(content_terms(text))


def test_defined_acronyms_found_by_their_initials():
    text = (
        "The Chief of Space Operations (CSO) reports to the Department of Defense (DOD). The Low-Income Home Energy "
        "Assistance Program (LIHEAP) helps households."
    )
    found = acronyms(text)
    assert found["cso"] == terms("Chief Space Operations")
    assert found["dod"] == terms("Department Defense")
    assert found["liheap"] == terms("Low Income Home Energy Assistance Program")


def test_parenthesised_words_that_are_not_the_initials_are_not_acronyms():
    assert acronyms("The Space Force (USSF) and the Army (see above) and New York (NY) today (FY2025)") == {
        "ny": terms("New York")
    }


def test_a_dotted_abbreviation_gives_the_acronym_each_of_its_letters():
    found = acronyms("The U.S. Geological Survey (USGS) and the U.S. Army Corps of Engineers (USACE) report.")
    assert found["usg"] == terms("U.S. Geological Survey")
    assert found["usac"] == terms("U.S. Army Corps Engineers")
    assert {"geolog", "survey"} <= with_aliases(terms("the USGS request is $892.7 million"), found)
    assert acronyms("The U.S. Space Force (USSF) was set up in 2019.")["ussf"] == terms("U.S. Space Force")


def test_aliases_match_both_ways():
    aliases = acronyms("The Chief of Space Operations (CSO) leads the service.")
    assert "cso" in with_aliases(terms("the chief of space operations said"), aliases)
    assert {"chief", "space"} <= with_aliases(terms("the CSO said"), aliases)
    assert with_aliases(terms("the budget grew"), aliases) == terms("the budget grew")


def test_abbreviations_every_reader_knows_match_without_a_definition():
    assert common_names("the United States has about 1,770 warheads") == {"u.s."}
    assert common_names("each state has one unit, as do the nations") == set()
