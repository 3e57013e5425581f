"""Owners' decisions under Civil Code Art. 278, computed by hand at and around every boundary.

Participation needs ≥ 2/3 of the total area AND ≥ 2/3 of all owners ("以上": inclusive).
Ordinary matters need yes > 1/2 of the participating area AND owners ("过半数": strict);
special matters ≥ 3/4 of both. Cases A–D are those of domain-mechanisms.md §5.
Checks are listed in the rule's order: [area taking part, owners taking part, yes area, yes owners].
"""

from __future__ import annotations

from decimal import Decimal

from courtyard.councils.tally import Ballot, Electorate, Part, tally_votes
from courtyard.councils.tests.builders import met, owners_vote

HUNDRED = ["100.00"] * 100


def test_a1_one_vote_over_half_passes_an_ordinary_matter():
    result = owners_vote("owners_ordinary", HUNDRED, "Y" * 36 + "N" * 34 + "-" * 30)
    assert result.passed is True
    assert result.quorum_met is True
    assert (result.eligible, result.participants, result.yes, result.no, result.abstain) == (
        100,
        70,
        36,
        34,
        0,
    )
    assert result.total_area == Decimal("10000.00")
    assert result.participating_area == Decimal("7000.00")
    assert (result.yes_area, result.no_area, result.abstain_area) == (
        Decimal("3600.00"),
        Decimal("3400.00"),
        Decimal("0.00"),
    )
    assert result.reasons == (
        "Participants hold 7,000.00 of 10,000.00 m² (70.0%), at least 2/3 required: met.",
        "Participants are 70 of 100 owners (70.0%), at least 2/3 required: met.",
        "Owners voting yes hold 3,600.00 of the 7,000.00 m² held by participants (51.4%), "
        "more than 1/2 required: met.",
        "Yes votes are 36 of the 70 owners taking part (51.4%), more than 1/2 required: met.",
        "Passed: every condition is met.",
    )


def test_a2_exactly_half_fails_because_more_than_half_is_strict():
    result = owners_vote("owners_ordinary", HUNDRED, "Y" * 35 + "N" * 35 + "-" * 30)
    assert result.passed is False
    assert result.quorum_met is True
    assert met(result) == [True, True, False, False]
    assert result.reasons[2:] == (
        "Owners voting yes hold 3,500.00 of the 7,000.00 m² held by participants (50.0%), "
        "more than 1/2 required: not met.",
        "Yes votes are 35 of the 70 owners taking part (50.0%), more than 1/2 required: not met.",
        "Not passed: enough took part, but the yes votes fall short.",
    )


def test_abstaining_owners_take_part_and_count_against_the_yes_share():
    # 35 yes, 34 no, 1 abstains: 35 of 70 participants is exactly half — not more.
    result = owners_vote("owners_ordinary", HUNDRED, "Y" * 35 + "N" * 34 + "A" + "-" * 30)
    assert (result.participants, result.abstain) == (70, 1)
    assert result.abstain_area == Decimal("100.00")
    assert met(result) == [True, True, False, False]


def test_yes_area_exactly_half_fails_while_the_headcount_is_over_half():
    yes = ["100"] * 34 + ["50"] * 2  # 36 owners, 3,500 m²
    no = ["100"] * 33 + ["200"]  # 34 owners, 3,500 m²
    result = owners_vote("owners_ordinary", yes + no + ["100"] * 30, "Y" * 36 + "N" * 34 + "-" * 30)
    assert result.yes_area == Decimal("3500.00")
    assert met(result) == [True, True, False, True]
    assert result.passed is False


def test_yes_area_one_hundredth_over_half_passes():
    yes = ["100"] * 34 + ["50", "50.01"]  # 3,500.01 m²
    no = ["100"] * 33 + ["199.99"]
    result = owners_vote("owners_ordinary", yes + no + ["100"] * 30, "Y" * 36 + "N" * 34 + "-" * 30)
    assert result.yes_area == Decimal("3500.01")
    assert result.participating_area == Decimal("7000.00")
    assert met(result) == [True, True, True, True]
    assert result.passed is True


def test_yes_headcount_exactly_half_fails_while_the_area_is_over_half():
    yes = ["100"] * 34 + ["200"]  # 35 owners, 3,600 m²
    no = ["100"] * 33 + ["50"] * 2  # 35 owners, 3,400 m²
    result = owners_vote("owners_ordinary", yes + no + ["100"] * 30, "Y" * 35 + "N" * 35 + "-" * 30)
    assert met(result) == [True, True, True, False]
    assert result.passed is False


def test_b1_exactly_two_thirds_by_area_and_by_headcount_meets_the_quorum():
    result = owners_vote("owners_ordinary", ["100"] * 90, "Y" * 60 + "-" * 30)
    assert result.quorum_met is True
    assert result.passed is True
    assert result.reasons[:2] == (
        "Participants hold 6,000.00 of 9,000.00 m² (66.7%), at least 2/3 required: met.",
        "Participants are 60 of 90 owners (66.7%), at least 2/3 required: met.",
    )


def test_b2_one_owner_short_fails_the_quorum_although_the_area_is_exactly_two_thirds():
    taking_part = ["100"] * 58 + ["200"]  # 59 owners, 6,000 m²
    away = ["97"] * 30 + ["90"]  # 31 owners, 3,000 m²
    result = owners_vote("owners_ordinary", taking_part + away, "Y" * 59 + "-" * 31)
    assert result.total_area == Decimal("9000.00")
    assert result.quorum_met is False
    assert result.passed is False
    assert met(result) == [True, False, True, True]
    assert result.reasons[1] == (
        "Participants are 59 of 90 owners (65.6%), at least 2/3 required: not met."
    )
    assert result.reasons[-1] == "Not passed: the yes votes would suffice, but too few took part."


def test_b3_area_just_short_fails_the_quorum_while_the_headcount_suffices():
    taking_part = ["100"] * 59 + ["90"]  # 60 owners, 5,990 m²
    away = ["100"] * 29 + ["110"]  # 30 owners, 3,010 m²
    result = owners_vote("owners_ordinary", taking_part + away, "Y" * 60 + "-" * 30)
    assert result.quorum_met is False
    assert met(result)[:2] == [False, True]
    assert result.reasons[0] == (
        "Participants hold 5,990.00 of 9,000.00 m² (66.6%), at least 2/3 required: not met."
    )


def test_area_exactly_two_thirds_meets_the_quorum_and_one_hundredth_less_does_not():
    exact = owners_vote("owners_ordinary", ["90"] * 6 + ["60"] + ["150"] * 2, "Y" * 7 + "--")
    assert exact.participating_area == Decimal("600.00")
    assert exact.total_area == Decimal("900.00")
    assert met(exact)[:2] == [True, True]
    short = owners_vote("owners_ordinary", ["90"] * 6 + ["59.99", "150", "150.01"], "Y" * 7 + "--")
    assert short.participating_area == Decimal("599.99")
    assert met(short)[:2] == [False, True]
    assert short.quorum_met is False


def test_headcount_exactly_two_thirds_meets_the_quorum_and_one_owner_less_does_not():
    exact = owners_vote("owners_ordinary", ["120"] * 6 + ["60"] * 3, "Y" * 6 + "---")
    assert met(exact)[:2] == [True, True]
    short = owners_vote("owners_ordinary", ["150"] * 5 + ["37.50"] * 4, "Y" * 5 + "----")
    assert short.participating_area == Decimal("750.00")
    assert met(short)[:2] == [True, False]
    assert short.quorum_met is False


def test_c1_exactly_three_quarters_passes_a_special_matter():
    result = owners_vote("owners_special", ["80"] * 12, "Y" * 9 + "N" * 3)
    assert result.passed is True
    assert result.reasons[2:] == (
        "Owners voting yes hold 720.00 of the 960.00 m² held by participants (75.0%), "
        "at least 3/4 required: met.",
        "Yes votes are 9 of the 12 owners taking part (75.0%), at least 3/4 required: met.",
        "Passed: every condition is met.",
    )


def test_c2_one_vote_under_three_quarters_fails_a_special_matter():
    result = owners_vote("owners_special", ["80"] * 12, "Y" * 8 + "N" * 4)
    assert met(result) == [True, True, False, False]
    assert result.passed is False


def test_c3_three_quarters_is_of_the_participants_not_of_all_owners():
    result = owners_vote("owners_special", ["80"] * 12, "Y" * 7 + "N" * 2 + "-" * 3)
    assert (result.participants, result.participating_area) == (9, Decimal("720.00"))
    assert met(result) == [True, True, True, True]  # 7/9 ≥ 3/4 by head and by area
    assert result.passed is True


def test_yes_area_just_under_three_quarters_fails_while_the_headcount_is_exactly_three_quarters():
    yes = ["80"] * 8 + ["79.99"]  # 9 owners, 719.99 m²
    no = ["80"] * 2 + ["80.01"]
    result = owners_vote("owners_special", yes + no, "Y" * 9 + "N" * 3)
    assert result.total_area == Decimal("960.00")
    assert met(result) == [True, True, False, True]
    assert result.passed is False


def test_yes_headcount_under_three_quarters_fails_while_the_area_is_exactly_three_quarters():
    result = owners_vote("owners_special", ["90"] * 8 + ["60"] * 4, "Y" * 8 + "N" * 4)
    assert result.yes_area == Decimal("720.00")
    assert met(result) == [True, True, True, False]


def test_the_same_vote_passes_as_an_ordinary_matter_and_fails_as_a_special_one():
    # Using the maintenance fund (item 5) is ordinary; raising it (item 6) is special.
    marks = "Y" * 40 + "N" * 30 + "-" * 30  # 40 of 70: 57.1 %
    assert owners_vote("owners_ordinary", HUNDRED, marks).passed is True
    special = owners_vote("owners_special", HUNDRED, marks)
    assert special.passed is False
    assert met(special) == [True, True, False, False]


def developer_block() -> list[Part]:
    """Case D: 20 parts of 100 m²; the developer holds 5 unsold, X holds 2, 13 owners 1 each."""
    parts = [Part(f"p{i}", "developer", "100.00") for i in range(1, 6)]
    parts += [Part("p6", "X", "100.00"), Part("p7", "X", "100.00")]
    parts += [Part(f"p{i}", f"o{i - 7}", "100.00") for i in range(8, 21)]
    return parts


def test_d_the_developers_unsold_parts_count_as_one_person_and_their_areas_add_up():
    electorate = Electorate.of_parts(developer_block())
    assert electorate.size == 15
    assert electorate.areas["developer"] == Decimal("500.00")
    assert electorate.areas["X"] == Decimal("200.00")
    votes = [Ballot("developer", "yes"), Ballot("X", "yes")]
    votes += [Ballot(f"o{i}", "yes" if i <= 3 else "no") for i in range(1, 9)]
    result = tally_votes("owners_ordinary", electorate, votes)
    assert (result.eligible, result.participants, result.yes, result.no) == (15, 10, 5, 5)
    assert result.participating_area == Decimal("1500.00")
    assert result.yes_area == Decimal("1000.00")
    assert result.quorum_met is True
    # The developer's 500 m² count once by head: 5 of 10 owners is not more than half.
    assert met(result) == [True, True, True, False]
    assert result.reasons[:2] == (
        "Participants hold 1,500.00 of 2,000.00 m² (75.0%), at least 2/3 required: met.",
        "Participants are 10 of 15 owners (66.7%), at least 2/3 required: met.",
    )


def test_d_nine_owners_holding_fourteen_parts_miss_the_headcount_quorum():
    # Counted by part it would be 14 of 20 (70 %); counted by owner it is 9 of 15 (60 %).
    votes = [Ballot("developer", "yes"), Ballot("X", "yes")]
    votes += [Ballot(f"o{i}", "yes") for i in range(1, 8)]
    result = tally_votes("owners_ordinary", Electorate.of_parts(developer_block()), votes)
    assert result.participating_area == Decimal("1400.00")
    assert met(result)[:2] == [True, False]
    assert result.reasons[1] == (
        "Participants are 9 of 15 owners (60.0%), at least 2/3 required: not met."
    )


def test_one_owner_with_many_parts_votes_once_with_the_sum_of_their_areas():
    parts = [
        Part("3-101", "X", "50"),
        Part("3-102", "o1", "100"),
        Part("3-201", "X", "60.50"),
        Part("3-202", "o2", "100"),
        Part("3-301", "X", "70.25"),
    ]
    electorate = Electorate.of_parts(parts)
    result = tally_votes("owners_ordinary", electorate, [Ballot("X", "yes"), Ballot("o1", "no")])
    assert (result.eligible, result.participants, result.yes) == (3, 2, 1)
    assert result.total_area == Decimal("380.75")
    assert result.participating_area == Decimal("280.75")
    assert result.yes_area == Decimal("180.75")
    assert met(result) == [True, True, True, False]  # 1 of 2 owners is only half
    assert result.reasons[2] == (
        "Owners voting yes hold 180.75 of the 280.75 m² held by participants (64.4%), "
        "more than 1/2 required: met."
    )


def test_areas_keep_every_decimal_given_and_show_at_least_two():
    result = owners_vote("owners_ordinary", ["85.125", "14.5", "1200"], "YN-")
    assert result.as_dict()["total_area"] == "1299.625"
    assert result.as_dict()["no_area"] == "14.500"
    assert result.as_dict()["abstain_area"] == "0.000"
    assert result.reasons[0] == (
        "Participants hold 99.625 of 1,299.625 m² (7.7%), at least 2/3 required: not met."
    )


def test_nobody_voting_is_a_computed_failure_not_an_error():
    result = owners_vote("owners_special", ["80"] * 4, "----")
    assert (result.passed, result.quorum_met, result.participants) == (False, False, 0)
    assert result.reasons[2] == (
        "Owners voting yes hold 0.00 of the 0.00 m² held by participants (nothing to count), "
        "at least 3/4 required: not met."
    )
    assert result.reasons[-1] == "Not passed: too few took part, and the yes votes fall short."
