"""Properties of the engine over generated electorates, ballots and rules (hypothesis):
one more yes never turns a met condition into an unmet one (so never a pass into a fail),
the order of ballots and of parts never matters, and the named rules agree with their text
computed independently here. Plus an electorate of 10,000 parts (timed in bench/, not here).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from courtyard.councils.tally import (
    RULES,
    Ballot,
    Base,
    Condition,
    Count,
    Electorate,
    ElectorateKind,
    Measure,
    Part,
    Rule,
    tally_votes,
)

CHOICE = st.sampled_from(["yes", "no", "abstain", None])  # None: casts no ballot


@dataclass
class Vote:
    rule: Rule
    electorate: Electorate
    parts: list[Part]
    choices: dict[str, str | None]

    def ballots(self) -> list[Ballot]:
        return [Ballot(v, c) for v, c in self.choices.items() if c is not None]

    def tally(self):  # type: ignore[no-untyped-def]
        return tally_votes(self.rule, self.electorate, self.ballots())


def conditions(kind: ElectorateKind, *, participation: bool) -> st.SearchStrategy[Condition]:
    measures = [Measure.HEADCOUNT] + ([Measure.AREA] if kind == ElectorateKind.OWNERS else [])
    fractions = st.integers(1, 6).flatmap(lambda d: st.integers(1, d).map(lambda n: Fraction(n, d)))
    bases = [Base.ALL] if participation else list(Base)
    return st.builds(
        Condition,
        measure=st.sampled_from(measures),
        count=st.just(Count.PARTICIPANTS if participation else Count.YES),
        base=st.sampled_from(bases),
        fraction=fractions,
        inclusive=st.booleans(),
    ).filter(lambda c: c.inclusive or c.fraction < 1)


def rules(kind: ElectorateKind) -> st.SearchStrategy[Rule]:
    named = [rule for rule in RULES.values() if rule.electorate == kind]
    custom = st.builds(
        Rule,
        name=st.just("custom"),
        electorate=st.just(kind),
        participation=st.lists(conditions(kind, participation=True), max_size=2).map(tuple),
        passing=st.lists(conditions(kind, participation=False), min_size=1, max_size=3).map(tuple),
    )
    return st.sampled_from(named) | custom


@st.composite
def votes(draw: st.DrawFn, kind: ElectorateKind | None = None) -> Vote:
    kind = kind or draw(st.sampled_from(list(ElectorateKind)))
    if kind == ElectorateKind.MEMBERS:
        voters = [f"m{i}" for i in range(draw(st.integers(1, 25)))]
        electorate = Electorate.of_members(voters)
        parts: list[Part] = []
    else:
        owner_count = draw(st.integers(1, 12))
        voters = [f"o{i}" for i in range(owner_count)]
        # Every owner holds at least one part; some hold several (the developer's unsold ones).
        owners = voters + draw(st.lists(st.sampled_from(voters), max_size=12))
        cents = draw(st.lists(st.integers(1, 50_000), min_size=len(owners), max_size=len(owners)))
        parts = [
            Part(f"p{i}", owner, str(Decimal(c).scaleb(-2)))
            for i, (owner, c) in enumerate(zip(owners, cents, strict=True))
        ]
        electorate = Electorate.of_parts(parts)
    choices = {v: draw(CHOICE) for v in voters}
    return Vote(draw(rules(kind)), electorate, parts, choices)


@given(vote=votes(), data=st.data())
def test_one_more_yes_never_turns_a_met_condition_into_an_unmet_one(vote, data):
    not_yes = [v for v, c in vote.choices.items() if c != "yes"]
    if not not_yes:
        return
    voter = data.draw(st.sampled_from(not_yes))  # had no ballot, or said no, or abstained
    before = vote.tally()
    vote.choices[voter] = "yes"
    after = vote.tally()
    for was, now in zip(before.checks, after.checks, strict=True):
        assert now.met or not was.met, (was.sentence, now.sentence)
    assert after.passed or not before.passed
    assert after.quorum_met or not before.quorum_met


@given(vote=votes(), seed=st.randoms(use_true_random=False))
def test_the_order_of_ballots_and_of_parts_never_matters(vote, seed):
    expected = vote.tally()
    shuffled = vote.ballots()
    seed.shuffle(shuffled)
    electorate = vote.electorate
    if vote.parts:
        parts = list(vote.parts)
        seed.shuffle(parts)
        electorate = Electorate.of_parts(parts)
    again = tally_votes(vote.rule, electorate, shuffled)
    assert again == expected
    assert again.as_dict() == expected.as_dict()


def more_than(value: Fraction, fraction: Fraction, base: Fraction) -> bool:
    return value > fraction * base


def at_least(value: Fraction, fraction: Fraction, base: Fraction) -> bool:
    return value >= fraction * base


@given(vote=votes(ElectorateKind.OWNERS))
def test_owners_rules_agree_with_article_278_computed_directly(vote):
    area = {o: Fraction(0) for o in vote.choices}
    for part in vote.parts:
        area[part.owner] += Fraction(Decimal(str(part.area)))
    taking_part = [o for o, c in vote.choices.items() if c is not None]
    saying_yes = [o for o, c in vote.choices.items() if c == "yes"]
    total, heads = sum(area.values()), len(area)
    part_area, yes_area = sum(area[o] for o in taking_part), sum(area[o] for o in saying_yes)
    quorum = at_least(part_area, Fraction(2, 3), total) and at_least(
        Fraction(len(taking_part)), Fraction(2, 3), Fraction(heads)
    )
    ordinary = bool(taking_part) and (
        more_than(yes_area, Fraction(1, 2), part_area)
        and more_than(Fraction(len(saying_yes)), Fraction(1, 2), Fraction(len(taking_part)))
    )
    special = bool(taking_part) and (
        at_least(yes_area, Fraction(3, 4), part_area)
        and at_least(Fraction(len(saying_yes)), Fraction(3, 4), Fraction(len(taking_part)))
    )
    for name, votes_suffice in (("owners_ordinary", ordinary), ("owners_special", special)):
        result = tally_votes(name, vote.electorate, vote.ballots())
        assert result.quorum_met is quorum
        assert result.passed is (quorum and votes_suffice)
        assert Fraction(result.yes_area) == yes_area
        assert Fraction(result.participating_area) == part_area
        assert Fraction(result.total_area) == total


@given(vote=votes(ElectorateKind.MEMBERS))
def test_member_rules_agree_with_their_text_computed_directly(vote):
    said = list(vote.choices.values())
    members, yes, no = len(said), said.count("yes"), said.count("no")
    taking_part = members - said.count(None)
    half_take_part = 2 * taking_part > members
    expected = {
        "majority": half_take_part and yes > no,
        "majority_of_members": 2 * yes > members,
        "two_thirds": half_take_part and taking_part > 0 and 3 * yes >= 2 * taking_part,
    }
    for name, passed in expected.items():
        assert tally_votes(name, vote.electorate, vote.ballots()).passed is passed, name


def test_an_electorate_of_ten_thousand_parts_is_tallied_exactly():
    # 9,000 owners with one part each and a developer holding 1,000 unsold parts.
    rng = random.Random(278)
    parts = [Part(f"{i // 100}-{i % 100:02d}", f"owner-{i}", "85.50") for i in range(9_000)]
    parts += [Part(f"dev-{i}", "developer", "100.25") for i in range(1_000)]
    rng.shuffle(parts)
    electorate = Electorate.of_parts(parts)
    assert electorate.size == 9_001
    votes = [Ballot(f"owner-{i}", "yes" if i % 4 else "no") for i in range(6_100)]
    votes.append(Ballot("developer", "abstain"))
    result = tally_votes("owners_special", electorate, votes)
    assert result.total_area == Decimal("869750.00")  # 9,000 × 85.50 + 1,000 × 100.25
    assert result.participating_area == Decimal("621800.00")  # 6,100 × 85.50 + 100,250
    assert (result.participants, result.yes, result.no, result.abstain) == (6_101, 4_575, 1_525, 1)
    assert result.yes_area == Decimal("391162.50")
    assert result.quorum_met is True  # 71.5 % of the area, 67.8 % of the owners
    assert result.passed is False  # 62.9 % of the area: under 3/4
    assert result.reasons[2] == (
        "Owners voting yes hold 391,162.50 of the 621,800.00 m² held by participants (62.9%), "
        "at least 3/4 required: not met."
    )
