"""Rules as data: the named rules are instances of the one structure, and a charter's custom
rule (JSON) is parsed with errors that name the place of the mistake."""

from __future__ import annotations

from fractions import Fraction

import pytest

from courtyard.councils.tally import (
    RULES,
    Base,
    Condition,
    Count,
    Electorate,
    ElectorateKind,
    Measure,
    Tally,
    TallyError,
    get_rule,
    parse_rule,
    tally_votes,
)
from courtyard.councils.tests.builders import members_vote, met, owners_vote


def half_of_participants(inclusive: bool) -> dict:
    return {
        "pass": [
            {
                "measure": "headcount",
                "base": "participants",
                "fraction": "1/2",
                "inclusive": inclusive,
            }
        ]
    }


def custom_vote(rule: dict, marks: str) -> Tally:
    return members_vote(get_rule("custom", rule), marks)


def test_the_named_rules_are_data_in_the_one_structure():
    assert set(RULES) == {
        "owners_ordinary",
        "owners_special",
        "majority",
        "majority_of_members",
        "two_thirds",
    }
    assert RULES["owners_special"].as_dict() == {
        "electorate": "owners",
        "participation": [
            {"measure": "area", "count": "participants", "base": "all", "fraction": "2/3", "inclusive": True},
            {"measure": "headcount", "count": "participants", "base": "all", "fraction": "2/3", "inclusive": True},
        ],
        "pass": [
            {"measure": "area", "count": "yes", "base": "participants", "fraction": "3/4", "inclusive": True},
            {"measure": "headcount", "count": "yes", "base": "participants", "fraction": "3/4", "inclusive": True},
        ],
    }  # fmt: skip
    assert RULES["majority"].passing == (
        Condition(Measure.HEADCOUNT, Count.YES, Base.VOTES_CAST, Fraction(1, 2), inclusive=False),
    )


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_named_rule_reads_back_from_its_json_form(name):
    rule = RULES[name]
    assert parse_rule(rule.as_dict(), name=name) == rule


def test_a_custom_rule_at_its_boundary_passes_when_inclusive_and_fails_when_strict():
    assert custom_vote(half_of_participants(True), "YYNN").passed is True
    strict = custom_vote(half_of_participants(False), "YYNN")
    assert strict.passed is False
    assert strict.rule == "custom"
    assert strict.reasons == (
        "This rule sets no participation threshold.",
        "Yes votes are 2 of the 4 members taking part (50.0%), more than 1/2 required: not met.",
        "Not passed: the yes votes fall short.",
    )


def test_a_custom_participation_condition_is_a_quorum():
    rule = {
        "participation": [
            {"measure": "headcount", "base": "all", "fraction": "3/4", "inclusive": True}
        ],
        **half_of_participants(False),
    }
    assert met(custom_vote(rule, "YYN-")) == [True, True]
    assert met(custom_vote(rule, "YY--")) == [False, True]


def test_unanimity_is_a_fraction_of_one_inclusive():
    rule = {
        "pass": [
            {"measure": "headcount", "base": "participants", "fraction": "1", "inclusive": True}
        ]
    }
    assert custom_vote(rule, "YYY-").passed is True
    assert custom_vote(rule, "YYA-").passed is False


def test_the_old_property_law_double_majority_of_all_owners_as_a_custom_rule():
    rule = parse_rule(
        {
            "pass": [
                {"measure": "area", "base": "all", "fraction": "1/2", "inclusive": False},
                {"measure": "headcount", "base": "all", "fraction": "1/2", "inclusive": False},
            ]
        }
    )
    assert rule.electorate == ElectorateKind.OWNERS  # counting area implies owners
    passed = owners_vote(rule, ["100"] * 4, "YYY-")
    assert passed.passed is True
    assert passed.reasons[1:3] == (
        "Owners voting yes hold 300.00 of all 400.00 m² (75.0%), more than 1/2 required: met.",
        "Yes votes are 3 of all 4 owners (75.0%), more than 1/2 required: met.",
    )
    assert met(owners_vote(rule, ["100"] * 4, "YYN-")) == [False, False]


def test_a_custom_rule_may_count_area_against_the_votes_cast():
    rule = parse_rule(
        {"pass": [{"measure": "area", "base": "votes_cast", "fraction": "2/3", "inclusive": True}]}
    )
    result = owners_vote(rule, ["200", "100", "100"], "YNA")
    assert result.passed is True
    assert result.reasons[1] == (
        "Owners voting yes hold 200.00 of the 300.00 m² held by owners voting yes or no, "
        "abstentions not counted (66.7%), at least 2/3 required: met."
    )


def test_a_headcount_rule_for_owners_names_its_electorate():
    rule = parse_rule({"electorate": "owners", **half_of_participants(False)})
    assert owners_vote(rule, ["10", "20", "30"], "YY-").passed is True
    with pytest.raises(TallyError, match="counts owners"):
        tally_votes(rule, Electorate.of_members(["m1"]), [])


def test_fractions_may_be_written_as_decimals_or_whole_numbers_and_count_explicitly():
    rule = parse_rule(
        {
            "pass": [
                {"measure": "headcount", "count": "yes", "base": "all", "fraction": "0.5", "inclusive": False},
                {"measure": "headcount", "base": "participants", "fraction": 1, "inclusive": True},
            ]
        }
    )  # fmt: skip
    assert [c.fraction for c in rule.passing] == [Fraction(1, 2), Fraction(1)]


H = {"measure": "headcount", "base": "participants", "fraction": "1/2", "inclusive": False}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "custom_rule must be an object"),
        ({"pass": [H], "quorum": []}, "custom_rule: unknown key(s) quorum"),
        ({"pass": H}, "custom_rule.pass must be a list of conditions"),
        ({"pass": []}, "has no pass condition"),
        ({}, "has no pass condition"),
        ({"pass": ["yes"]}, "custom_rule.pass[0] must be an object"),
        ({"pass": [{**H, "inclusve": True}]}, "custom_rule.pass[0]: unknown key(s) inclusve"),
        ({"pass": [{k: v for k, v in H.items() if k != "base"}]}, 'custom_rule.pass[0] lacks "base"'),
        ({"pass": [{k: v for k, v in H.items() if k != "inclusive"}]}, 'lacks "inclusive"'),
        ({"pass": [{**H, "inclusive": "yes"}]}, '"inclusive" must be true'),
        ({"pass": [{**H, "measure": "heads"}]}, 'custom_rule.pass[0].measure: "heads" is not one of: headcount, area'),
        ({"pass": [{**H, "base": "everyone"}]}, "custom_rule.pass[0].base"),
        ({"pass": [{**H, "fraction": 0.5}]}, "custom_rule.pass[0].fraction: the fraction must be written as text"),
        ({"pass": [{**H, "fraction": "half"}]}, "the fraction must be written as text"),
        ({"pass": [{**H, "fraction": "1/0"}]}, "the fraction must be written as text"),
        ({"pass": [{**H, "fraction": True}]}, "the fraction must be written as text"),
        ({"pass": [{**H, "fraction": "0"}]}, "more than 0 and at most 1"),
        ({"pass": [{**H, "fraction": "3/2"}]}, "more than 0 and at most 1"),
        ({"pass": [{**H, "fraction": "1"}]}, '"more than all" (fraction 1, not inclusive) can never be met'),
        ({"pass": [{**H, "count": "participants"}]}, 'a pass condition counts yes votes'),
        ({"participation": [{**H, "base": "all", "count": "yes"}], "pass": [H]}, "a participation condition counts participants"),
        ({"participation": [H], "pass": [H]}, 'base "all"'),
        ({"electorate": "members", "pass": [{**H, "measure": "area"}]}, "counts area, which only owners"),
        ({"electorate": "tenants", "pass": [H]}, "custom_rule.electorate"),
    ],
)  # fmt: skip
def test_a_bad_custom_rule_is_refused_with_the_place_of_the_mistake(data, message):
    with pytest.raises(TallyError) as caught:
        get_rule("custom", data)
    assert message in caught.value.message


def test_custom_needs_a_custom_rule_and_a_custom_rule_needs_custom():
    with pytest.raises(TallyError, match='The rule "custom" needs a custom rule'):
        get_rule("custom")
    with pytest.raises(TallyError, match='the rule is not "custom"'):
        get_rule("majority", half_of_participants(True))
