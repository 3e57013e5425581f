"""Member rules, by hand: `majority` (more than half take part; yes outnumbers no, abstentions
not counted, a tie fails), `majority_of_members` (yes > 1/2 of all members) and `two_thirds`
(more than half take part; yes ≥ 2/3 of those taking part). Marks: Y yes, N no, A abstain,
"-" no ballot; members m1, m2, … one per mark.
"""

from __future__ import annotations

import pytest

from courtyard.councils.tests.builders import members_vote, met


def test_majority_tie_fails():
    result = members_vote("majority", "YYYNNN----")
    assert (result.passed, result.quorum_met) == (False, True)
    assert result.reasons == (
        "Participants are 6 of 10 members (60.0%), more than 1/2 required: met.",
        "Yes votes are 3 of the 6 votes cast yes or no, abstentions not counted (50.0%), "
        "more than 1/2 required: not met.",
        "Not passed: enough took part, but the yes votes fall short.",
    )


def test_majority_one_vote_over_passes():
    result = members_vote("majority", "YYYYNN----")
    assert result.passed is True
    assert result.reasons[-1] == "Passed: every condition is met."


def test_majority_does_not_count_abstentions():
    result = members_vote("majority", "YYNAAA----")
    assert (result.participants, result.yes, result.no, result.abstain) == (6, 2, 1, 3)
    assert result.passed is True
    assert result.reasons[1] == (
        "Yes votes are 2 of the 3 votes cast yes or no, abstentions not counted (66.7%), "
        "more than 1/2 required: met."
    )


def test_majority_tie_among_those_taking_a_side_fails_whatever_the_abstentions():
    assert members_vote("majority", "YYNNAA----").passed is False


def test_majority_one_yes_and_no_no_passes():
    assert members_vote("majority", "YAAAAA----").passed is True


def test_majority_needs_more_than_half_of_the_members_to_take_part():
    half = members_vote("majority", "YYYYY-----")
    assert (half.quorum_met, half.passed) == (False, False)
    assert half.reasons[0] == (
        "Participants are 5 of 10 members (50.0%), more than 1/2 required: not met."
    )
    assert half.reasons[-1] == "Not passed: the yes votes would suffice, but too few took part."
    assert members_vote("majority", "YYYYYA----").passed is True


def test_majority_when_everyone_abstains_there_is_nothing_to_count_and_it_fails():
    result = members_vote("majority", "AAAAAA----")
    assert (result.quorum_met, result.passed) == (True, False)
    assert result.reasons[1] == (
        "Yes votes are 0 of the 0 votes cast yes or no, abstentions not counted "
        "(nothing to count), more than 1/2 required: not met."
    )


def test_majority_of_members_exactly_half_of_all_members_fails():
    result = members_vote("majority_of_members", "YYYYYNNNNN")
    assert (result.passed, result.quorum_met) == (False, True)
    assert result.reasons == (
        "This rule sets no participation threshold.",
        "Yes votes are 5 of all 10 members (50.0%), more than 1/2 required: not met.",
        "Not passed: the yes votes fall short.",
    )


@pytest.mark.parametrize(
    ("marks", "passed"),
    [
        ("YYYYYY----", True),  # 6 of 10, though 4 are absent
        ("YYYYY-----", False),  # 5 of 10 even though nobody said no
        ("YYYYYY-----", True),  # 6 of 11
        ("YYYYYNNNNNN", False),  # 5 of 11
        ("YYYYYAAAAAA", False),  # abstentions are not yes
    ],
)
def test_majority_of_members_counts_yes_against_all_members(marks, passed):
    assert members_vote("majority_of_members", marks).passed is passed


def test_two_thirds_at_exactly_two_thirds_of_those_taking_part_passes():
    result = members_vote("two_thirds", "YYYYNN---")
    assert result.passed is True
    assert result.reasons == (
        "Participants are 6 of 9 members (66.7%), more than 1/2 required: met.",
        "Yes votes are 4 of the 6 members taking part (66.7%), at least 2/3 required: met.",
        "Passed: every condition is met.",
    )


@pytest.mark.parametrize(
    ("marks", "checks"),
    [
        ("YYYNNN---", [True, False]),  # 3 of 6
        ("YYYYAA---", [True, True]),  # abstentions take part: 4 of 6
        ("YYYAAA---", [True, False]),  # 3 of 6
        ("YYYYYYYNNNN-", [True, False]),  # 7 of 11 is 63.6 %
        ("YYYYYYYYNNNN", [True, True]),  # 8 of 12
        ("YYYYY----", [True, True]),  # 5 of 9 take part: more than half
        ("YYYY-----", [False, True]),  # 4 of 9 take part: not more than half
    ],
)
def test_two_thirds_boundaries(marks, checks):
    result = members_vote("two_thirds", marks)
    assert met(result) == checks
    assert result.passed is all(checks)


def test_a_single_member_is_counted_in_the_singular():
    result = members_vote("two_thirds", "Y")
    assert result.reasons[0] == (
        "Participants are 1 of 1 member (100.0%), more than 1/2 required: met."
    )
