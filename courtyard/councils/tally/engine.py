"""Counting: a rule applied to an electorate's ballots, every condition explained in words.

Pure Python, no database: the same engine serves council meetings, owners' votes, the
`courtyard tally` command and anyone checking a result by hand. Counts are whole numbers,
areas exact Decimals, and every comparison is exact (`Condition.is_met`, with Fractions).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courtyard.councils.tally.electorate import (
    AREA_PRECISION,
    Ballot,
    Choice,
    Electorate,
    ElectorateKind,
    TallyError,
)
from courtyard.councils.tally.rule import Base, Condition, Count, Measure, Rule, get_rule


@dataclass(frozen=True)
class Check:
    """One condition as checked: `value` of `base` (people or m²), and whether it was met."""

    participation: bool  # a participation (quorum) condition, else a pass condition
    condition: Condition
    value: int | Decimal
    base: int | Decimal
    met: bool
    sentence: str


@dataclass(frozen=True)
class Tally:
    """The result of a vote. `passed` needs the quorum (`quorum_met`) and every pass
    condition; `reasons` explains each condition with its numbers and threshold, then the
    outcome. `eligible` is the number of members or owners; areas are None for members."""

    rule: str
    electorate: ElectorateKind
    passed: bool
    quorum_met: bool
    eligible: int
    participants: int
    yes: int
    no: int
    abstain: int
    total_area: Decimal | None
    participating_area: Decimal | None
    yes_area: Decimal | None
    no_area: Decimal | None
    abstain_area: Decimal | None
    checks: tuple[Check, ...]
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (`courtyard tally`): counts as numbers, areas as decimal strings."""
        data: dict[str, Any] = {
            "rule": self.rule,
            "passed": self.passed,
            "quorum_met": self.quorum_met,
            "participants": self.participants,
            "yes": self.yes,
            "no": self.no,
            "abstain": self.abstain,
        }
        if self.electorate == ElectorateKind.MEMBERS:
            data["members"] = self.eligible
        else:
            data["owners"] = self.eligible
            data["total_area"] = str(self.total_area)
            data["participating_area"] = str(self.participating_area)
            data["yes_area"] = str(self.yes_area)
            data["no_area"] = str(self.no_area)
            data["abstain_area"] = str(self.abstain_area)
        data["reasons"] = list(self.reasons)
        return data


def tally_votes(rule: Rule | str, electorate: Electorate, ballots: Iterable[Ballot]) -> Tally:
    """Count `ballots` under `rule`. Refuses (TallyError) a rule for the other kind of
    electorate, a ballot from outside the electorate, a second ballot from one voter and an
    unknown choice — before anything is counted. A vote that fails is a result, not an error.
    """
    if isinstance(rule, str):
        rule = get_rule(rule)
    if rule.electorate != electorate.kind:
        raise _kind_mismatch(rule)
    choices = _read_ballots(electorate, ballots)
    heads = Counter(choices.values())
    yes, no, abstain = heads[Choice.YES], heads[Choice.NO], heads[Choice.ABSTAIN]
    # For each measure: what conditions count (numerators) and what they count against.
    counts: dict[Measure, dict[Count, int | Decimal]] = {
        Measure.HEADCOUNT: {Count.PARTICIPANTS: len(choices), Count.YES: yes}
    }
    bases: dict[Measure, dict[Base, int | Decimal]] = {
        Measure.HEADCOUNT: {
            Base.ALL: electorate.size,
            Base.PARTICIPANTS: len(choices),
            Base.VOTES_CAST: yes + no,
        }
    }
    area: dict[Choice, Decimal] = {}
    total_area = participating_area = None
    if electorate.kind == ElectorateKind.OWNERS:
        with localcontext() as context:
            context.prec = AREA_PRECISION
            # Every area has at most `places` decimals, so sums and quantizing are exact.
            quantum = Decimal(1).scaleb(-electorate.places)
            held = dict.fromkeys(Choice, Decimal(0))
            for voter, choice in choices.items():
                held[choice] += electorate.areas[voter]
            area = {choice: held[choice].quantize(quantum) for choice in Choice}
            total_area = (electorate.total_area or Decimal(0)).quantize(quantum)
            participating_area = sum(area.values(), Decimal(0))
            counts[Measure.AREA] = {
                Count.PARTICIPANTS: participating_area,
                Count.YES: area[Choice.YES],
            }
            bases[Measure.AREA] = {
                Base.ALL: total_area,
                Base.PARTICIPANTS: participating_area,
                Base.VOTES_CAST: area[Choice.YES] + area[Choice.NO],
            }

    checks = []
    for participation, conditions in ((True, rule.participation), (False, rule.passing)):
        for condition in conditions:
            value = counts[condition.measure][condition.count]
            base = bases[condition.measure][condition.base]
            met = condition.is_met(Fraction(value), Fraction(base))
            sentence = _explain(condition, electorate, value, base, met)
            checks.append(Check(participation, condition, value, base, met, sentence))
    quorum_met = all(c.met for c in checks if c.participation)
    votes_suffice = all(c.met for c in checks if not c.participation)
    reasons = [c.sentence for c in checks]
    if not rule.participation:
        reasons.insert(0, _("This rule sets no participation threshold."))
    reasons.append(_conclusion(rule, quorum_met, votes_suffice))
    return Tally(
        rule=rule.name,
        electorate=electorate.kind,
        passed=quorum_met and votes_suffice,
        quorum_met=quorum_met,
        eligible=electorate.size,
        participants=len(choices),
        yes=yes,
        no=no,
        abstain=abstain,
        total_area=total_area,
        participating_area=participating_area,
        yes_area=area.get(Choice.YES),
        no_area=area.get(Choice.NO),
        abstain_area=area.get(Choice.ABSTAIN),
        checks=tuple(checks),
        reasons=tuple(reasons),
    )


def _kind_mismatch(rule: Rule) -> TallyError:
    if rule.electorate == ElectorateKind.OWNERS:
        return TallyError(
            _(
                'The rule "%(rule)s" counts owners and the area of their exclusive parts: '
                "give parts (part, owner, area), not a list of members."
            )
            % {"rule": rule.name}
        )
    return TallyError(
        _('The rule "%(rule)s" counts members: give a list of members, not exclusive parts.')
        % {"rule": rule.name}
    )


_CHOICES = {choice.value: choice for choice in Choice}


def _read_ballots(electorate: Electorate, ballots: Iterable[Ballot]) -> dict[str, Choice]:
    choices: dict[str, Choice] = {}
    for ballot in ballots:
        voter = ballot.voter
        if not isinstance(voter, str) or voter not in electorate.voters:
            raise electorate.outsider_error(voter)
        if voter in choices:
            raise TallyError(
                _('"%(voter)s" cast more than one ballot: one voter, one ballot.')
                % {"voter": voter}
            )
        choice = _CHOICES.get(ballot.choice) if isinstance(ballot.choice, str) else None
        if choice is None:
            raise TallyError(
                _('The ballot of "%(voter)s" says "%(choice)s"; a ballot says yes, no or abstain.')
                % {"voter": voter, "choice": ballot.choice}
            )
        choices[voter] = choice
    return choices


def _conclusion(rule: Rule, quorum_met: bool, votes_suffice: bool) -> str:
    if quorum_met and votes_suffice:
        return _("Passed: every condition is met.")
    if not rule.participation:
        return _("Not passed: the yes votes fall short.")
    if quorum_met:
        return _("Not passed: enough took part, but the yes votes fall short.")
    if votes_suffice:
        return _("Not passed: the yes votes would suffice, but too few took part.")
    return _("Not passed: too few took part, and the yes votes fall short.")


def _percent(value: Fraction, base: Fraction) -> str:
    tenths = math.floor(value / base * 1000 + Fraction(1, 2))  # half up, display only
    return f"{tenths // 10}.{tenths % 10}%"


def _explain(
    condition: Condition,
    electorate: Electorate,
    value: int | Decimal,
    base: int | Decimal,
    met: bool,
) -> str:
    """The sentence for one check, such as: Participants hold 6,400.00 of 9,000.00 m²
    (71.1%), at least 2/3 required: met."""
    fraction = str(condition.fraction)
    if condition.measure == Measure.AREA:
        shown = {
            "value": f"{value:,.{electorate.places}f}",
            "base": f"{base:,.{electorate.places}f}",
        }
    else:
        shown = {"value": f"{value:,}", "base": f"{base:,}"}
    words = {
        **shown,
        "pct": _percent(Fraction(value), Fraction(base)) if base else _("nothing to count"),
        "threshold": (
            _("at least %(fraction)s") if condition.inclusive else _("more than %(fraction)s")
        )
        % {"fraction": fraction},
        "outcome": _("met") if met else _("not met"),
    }
    plural = base if isinstance(base, int) else 0
    return _template(condition, electorate.kind, plural) % words


def _template(condition: Condition, kind: ElectorateKind, n: int) -> str:
    """The sentence for one condition; `n` (the base, for headcounts) picks the plural."""
    members = kind == ElectorateKind.MEMBERS
    key = (condition.measure, condition.count, condition.base)
    if key == (Measure.AREA, Count.PARTICIPANTS, Base.ALL):
        return _(
            "Participants hold %(value)s of %(base)s m² (%(pct)s), "
            "%(threshold)s required: %(outcome)s."
        )
    if key == (Measure.AREA, Count.YES, Base.PARTICIPANTS):
        return _(
            "Owners voting yes hold %(value)s of the %(base)s m² held by participants "
            "(%(pct)s), %(threshold)s required: %(outcome)s."
        )
    if key == (Measure.AREA, Count.YES, Base.VOTES_CAST):
        return _(
            "Owners voting yes hold %(value)s of the %(base)s m² held by owners voting yes or "
            "no, abstentions not counted (%(pct)s), %(threshold)s required: %(outcome)s."
        )
    if key == (Measure.AREA, Count.YES, Base.ALL):
        return _(
            "Owners voting yes hold %(value)s of all %(base)s m² (%(pct)s), "
            "%(threshold)s required: %(outcome)s."
        )
    if key == (Measure.HEADCOUNT, Count.YES, Base.VOTES_CAST):
        return ngettext(
            "Yes votes are %(value)s of the %(base)s vote cast yes or no, abstentions not "
            "counted (%(pct)s), %(threshold)s required: %(outcome)s.",
            "Yes votes are %(value)s of the %(base)s votes cast yes or no, abstentions not "
            "counted (%(pct)s), %(threshold)s required: %(outcome)s.",
            n,
        )
    if key == (Measure.HEADCOUNT, Count.PARTICIPANTS, Base.ALL) and members:
        return ngettext(
            "Participants are %(value)s of %(base)s member (%(pct)s), "
            "%(threshold)s required: %(outcome)s.",
            "Participants are %(value)s of %(base)s members (%(pct)s), "
            "%(threshold)s required: %(outcome)s.",
            n,
        )
    if key == (Measure.HEADCOUNT, Count.PARTICIPANTS, Base.ALL):
        return ngettext(
            "Participants are %(value)s of %(base)s owner (%(pct)s), "
            "%(threshold)s required: %(outcome)s.",
            "Participants are %(value)s of %(base)s owners (%(pct)s), "
            "%(threshold)s required: %(outcome)s.",
            n,
        )
    if key == (Measure.HEADCOUNT, Count.YES, Base.PARTICIPANTS) and members:
        return ngettext(
            "Yes votes are %(value)s of the %(base)s member taking part (%(pct)s), "
            "%(threshold)s required: %(outcome)s.",
            "Yes votes are %(value)s of the %(base)s members taking part (%(pct)s), "
            "%(threshold)s required: %(outcome)s.",
            n,
        )
    if key == (Measure.HEADCOUNT, Count.YES, Base.PARTICIPANTS):
        return ngettext(
            "Yes votes are %(value)s of the %(base)s owner taking part (%(pct)s), "
            "%(threshold)s required: %(outcome)s.",
            "Yes votes are %(value)s of the %(base)s owners taking part (%(pct)s), "
            "%(threshold)s required: %(outcome)s.",
            n,
        )
    if key == (Measure.HEADCOUNT, Count.YES, Base.ALL) and members:
        return ngettext(
            "Yes votes are %(value)s of all %(base)s member (%(pct)s), "
            "%(threshold)s required: %(outcome)s.",
            "Yes votes are %(value)s of all %(base)s members (%(pct)s), "
            "%(threshold)s required: %(outcome)s.",
            n,
        )
    if key == (Measure.HEADCOUNT, Count.YES, Base.ALL):
        return ngettext(
            "Yes votes are %(value)s of all %(base)s owner (%(pct)s), "
            "%(threshold)s required: %(outcome)s.",
            "Yes votes are %(value)s of all %(base)s owners (%(pct)s), "
            "%(threshold)s required: %(outcome)s.",
            n,
        )
    raise AssertionError(f"no sentence for {key}")  # Rule.__post_init__ admits no other
