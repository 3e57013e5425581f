"""Small builders for tally tests: owners with one part each, ballots from a string."""

from __future__ import annotations

from collections.abc import Sequence

from courtyard.councils.tally import Ballot, Electorate, Part, Rule, Tally, tally_votes

CHOICES = {"Y": "yes", "N": "no", "A": "abstain"}


def ballots(voters: Sequence[str], marks: str) -> list[Ballot]:
    """One ballot per mark: Y yes, N no, A abstain; "-" casts none. marks[i] is voters[i]'s."""
    assert len(marks) == len(voters), (len(marks), len(voters))
    return [Ballot(v, CHOICES[m]) for v, m in zip(voters, marks, strict=True) if m != "-"]


def owners_vote(rule: Rule | str, areas: Sequence[str], marks: str) -> Tally:
    """Owners o1, o2, … holding one part each (p1 → o1) with these areas, voting `marks`."""
    voters = [f"o{i}" for i in range(1, len(areas) + 1)]
    electorate = Electorate.of_parts(
        Part(f"p{i}", voter, area)
        for i, (voter, area) in enumerate(zip(voters, areas, strict=True), 1)
    )
    return tally_votes(rule, electorate, ballots(voters, marks))


def members_vote(rule: Rule | str, marks: str) -> Tally:
    """Members m1, m2, … (one per mark) voting `marks`."""
    voters = [f"m{i}" for i in range(1, len(marks) + 1)]
    return tally_votes(rule, Electorate.of_members(voters), ballots(voters, marks))


def met(result: Tally) -> list[bool]:
    """Whether each condition was met, participation conditions first, in the rule's order."""
    return [check.met for check in result.checks]
