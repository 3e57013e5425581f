"""Every refusal of the engine: a TallyError (a BadInput, HTTP 400) with a sentence saying what
is wrong and where — raised before anything is counted."""

from __future__ import annotations

from decimal import Decimal

import pytest

from courtyard.core.errors import BadInput
from courtyard.councils.tally import Ballot, Electorate, Part, TallyError, get_rule, tally_votes

MEMBERS = Electorate.of_members(["m1", "m2", "m3"])


def owners() -> Electorate:
    return Electorate.of_parts(
        [Part("1-101", "o1", "85.50"), Part("1-102", "o1", "60"), Part("1-201", "o2", "90")]
    )


def refused(call, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(TallyError) as caught:
        call(*args, **kwargs)
    assert isinstance(caught.value, BadInput)
    assert caught.value.status == 400
    return caught.value.message


def test_a_tally_error_is_bad_input():
    assert issubclass(TallyError, BadInput)


def test_an_unknown_rule_is_refused_and_the_known_ones_are_listed():
    message = refused(tally_votes, "simple_majority", MEMBERS, [])
    assert message == (
        'Unknown rule "simple_majority". The rules are: owners_ordinary, owners_special, '
        'majority, majority_of_members, two_thirds, and "custom".'
    )
    assert "Unknown rule" in refused(get_rule, None)


def test_a_ballot_from_outside_the_electorate_is_refused():
    message = refused(tally_votes, "majority", MEMBERS, [Ballot("m1", "yes"), Ballot("m9", "no")])
    assert message == 'A ballot comes from "m9", who is not in the electorate.'


def test_a_ballot_naming_a_part_instead_of_its_owner_is_refused_with_a_hint():
    message = refused(tally_votes, "owners_ordinary", owners(), [Ballot("1-102", "yes")])
    assert message == (
        'A ballot names "1-102", which is a part, not an owner: owners vote, once each, '
        "however many parts they hold."
    )


@pytest.mark.parametrize("second", ["yes", "no", "abstain"])
def test_two_ballots_from_one_voter_are_refused_whatever_they_say(second):
    votes = [Ballot("m2", "yes"), Ballot("m1", "no"), Ballot("m2", second)]
    message = refused(tally_votes, "majority", MEMBERS, votes)
    assert message == '"m2" cast more than one ballot: one voter, one ballot.'


def test_an_owner_with_several_parts_still_casts_one_ballot():
    votes = [Ballot("o1", "yes"), Ballot("o1", "yes")]
    assert "more than one ballot" in refused(tally_votes, "owners_ordinary", owners(), votes)


def test_a_choice_other_than_yes_no_abstain_is_refused():
    message = refused(tally_votes, "majority", MEMBERS, [Ballot("m1", "maybe")])
    assert message == 'The ballot of "m1" says "maybe"; a ballot says yes, no or abstain.'


@pytest.mark.parametrize(
    ("area", "message"),
    [
        ("0", 'Part "1-101": the area must be more than 0 m² (got 0).'),
        ("0.00", 'Part "1-101": the area must be more than 0 m² (got 0.00).'),
        ("-85.50", 'Part "1-101": the area must be more than 0 m² (got -85.50).'),
        (Decimal("-1"), 'Part "1-101": the area must be more than 0 m² (got -1).'),
        (0, 'Part "1-101": the area must be more than 0 m² (got 0).'),
    ],
)
def test_an_area_of_zero_or_less_is_refused(area, message):
    assert refused(Electorate.of_parts, [Part("1-101", "o1", area)]) == message


@pytest.mark.parametrize(
    "area",
    [
        "abc",
        "",
        "85,50",
        "8 5",
        "1e3",
        "NaN",
        "Infinity",
        "+5",
        ".5",
        "5.",
        "1234567890123",
        "1.1234567",
    ],
)
def test_an_area_that_is_not_a_decimal_is_refused(area):
    message = refused(Electorate.of_parts, [Part("1-101", "o1", area)])
    assert message == (
        f'Part "1-101": the area "{area.strip()}" is not a decimal number of square metres like '
        '"85.50" (at most 12 digits before the point and 6 after).'
    )


@pytest.mark.parametrize("area", [85.5, True, None, Decimal("NaN"), Decimal("Infinity"), ["85"]])
def test_an_area_that_is_a_float_or_not_a_number_at_all_is_refused(area):
    message = refused(Electorate.of_parts, [Part("1-101", "o1", area)])
    assert message.startswith('Part "1-101": the area must be a decimal number written as text')


def test_areas_may_be_decimals_whole_numbers_or_text_with_surrounding_spaces():
    electorate = Electorate.of_parts(
        [Part("a", "o1", Decimal("10.5")), Part("b", "o2", 3), Part("c", "o3", " 7.25 ")]
    )
    assert electorate.total_area == Decimal("20.75")


def test_a_duplicate_part_is_refused_with_both_entries():
    parts = [Part("1-101", "o1", "80"), Part("1-102", "o2", "80"), Part("1-101", "o3", "80")]
    message = refused(Electorate.of_parts, parts)
    assert message == 'Part "1-101" is listed twice (entries 1 and 3).'


@pytest.mark.parametrize("owner", ["", "   "])
def test_a_part_without_an_owner_is_refused(owner):
    parts = [Part("1-101", "o1", "80"), Part("1-102", owner, "80")]
    assert refused(Electorate.of_parts, parts) == 'Part "1-102" (entry 2) has no owner.'


def test_a_part_without_an_id_is_refused():
    message = refused(Electorate.of_parts, [Part("", "o1", "80")])
    assert message == "Part 1 has no part id (got '')."


def test_an_owners_rule_on_a_members_electorate_is_refused():
    message = refused(tally_votes, "owners_special", MEMBERS, [])
    assert message == (
        'The rule "owners_special" counts owners and the area of their exclusive parts: '
        "give parts (part, owner, area), not a list of members."
    )


def test_a_members_rule_on_an_owners_electorate_is_refused():
    message = refused(tally_votes, "two_thirds", owners(), [])
    assert message == (
        'The rule "two_thirds" counts members: give a list of members, not exclusive parts.'
    )


def test_an_empty_electorate_is_refused():
    assert refused(Electorate.of_members, []) == (
        "The electorate is empty: list at least one member."
    )
    assert refused(Electorate.of_parts, []) == (
        "The electorate is empty: list at least one exclusive part."
    )


def test_a_member_listed_twice_or_without_an_id_is_refused():
    assert refused(Electorate.of_members, ["m1", "m2", "m1"]) == 'Member "m1" is listed twice.'
    assert refused(Electorate.of_members, ["m1", " "]) == "Member 2 has no id (got ' ')."
    assert refused(Electorate.of_members, ["m1", 7]) == "Member 2 has no id (got 7)."
