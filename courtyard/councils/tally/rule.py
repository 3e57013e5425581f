"""Decision rules as data: a rule is participation conditions plus pass conditions.

Every condition reads "<numerator> is <at least | more than> <fraction> of <base>", counted by
head or by area. The named rules below are instances of the same structure, so one engine
counts them all, and a charter may carry its own rule as JSON (`parse_rule`).

Boundaries follow Civil Code Art. 1259: "以上" includes the number (at least, ≥); "过半数"
and "超过" exclude it (more than, >). Fractions are exact (`fractions.Fraction`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _

from courtyard.councils.tally.electorate import ElectorateKind, TallyError


class Measure(StrEnum):
    HEADCOUNT = "headcount"  # people: a member, or an owner however many parts they hold
    AREA = "area"  # square metres of exclusive parts (owners' electorates only)


class Count(StrEnum):
    """What a condition counts (its numerator)."""

    PARTICIPANTS = "participants"  # everyone who cast a ballot: yes, no or abstain
    YES = "yes"


class Base(StrEnum):
    """What a condition counts against (its denominator)."""

    ALL = "all"  # the whole electorate: all members, all owners, the total area
    PARTICIPANTS = "participants"  # those who cast a ballot, abstentions included
    VOTES_CAST = "votes_cast"  # yes + no; abstentions left out


@dataclass(frozen=True)
class Condition:
    """`count` is at least (inclusive) or more than (strict) `fraction` of `base`."""

    measure: Measure
    count: Count
    base: Base
    fraction: Fraction
    inclusive: bool  # True: 以上, at least (≥). False: 过半数/超过, more than (>).

    def is_met(self, value: Fraction, base: Fraction) -> bool:
        """Exact comparison. Nothing to count (a base of 0) never meets a condition."""
        if base <= 0:
            return False
        threshold = self.fraction * base
        return value >= threshold if self.inclusive else value > threshold

    def as_dict(self) -> dict[str, Any]:
        return {
            "measure": str(self.measure),
            "count": str(self.count),
            "base": str(self.base),
            "fraction": str(self.fraction),
            "inclusive": self.inclusive,
        }


@dataclass(frozen=True)
class Rule:
    """A decision rule. It passes when every participation condition (the quorum) and every
    pass condition is met. Invariants, checked on creation: at least one pass condition;
    participation conditions count participants against the whole electorate; pass
    conditions count yes votes; area only for owners; fractions in (0, 1], and never
    "more than all"."""

    name: str
    electorate: ElectorateKind
    participation: tuple[Condition, ...]
    passing: tuple[Condition, ...]

    def __post_init__(self) -> None:
        if not self.passing:
            raise TallyError(
                _('The rule "%(rule)s" has no pass condition; it would pass every vote.')
                % {"rule": self.name}
            )
        for condition in self.participation:
            if condition.count != Count.PARTICIPANTS or condition.base != Base.ALL:
                raise TallyError(
                    _(
                        'The rule "%(rule)s": a participation condition counts participants '
                        'against the whole electorate (count "participants", base "all").'
                    )
                    % {"rule": self.name}
                )
        for condition in self.passing:
            if condition.count != Count.YES:
                raise TallyError(
                    _('The rule "%(rule)s": a pass condition counts yes votes (count "yes").')
                    % {"rule": self.name}
                )
        for condition in self.participation + self.passing:
            if condition.measure == Measure.AREA and self.electorate != ElectorateKind.OWNERS:
                raise TallyError(
                    _('The rule "%(rule)s" counts area, which only owners\' electorates have.')
                    % {"rule": self.name}
                )
            if not 0 < condition.fraction <= 1:
                raise TallyError(
                    _('The rule "%(rule)s": a fraction must be more than 0 and at most 1.')
                    % {"rule": self.name}
                )
            if condition.fraction == 1 and not condition.inclusive:
                raise TallyError(
                    _(
                        'The rule "%(rule)s": "more than all" (fraction 1, not inclusive) '
                        "can never be met."
                    )
                    % {"rule": self.name}
                )

    def as_dict(self) -> dict[str, Any]:
        """The rule as a charter stores it; `parse_rule` reads it back."""
        return {
            "electorate": str(self.electorate),
            "participation": [c.as_dict() for c in self.participation],
            "pass": [c.as_dict() for c in self.passing],
        }


def _condition(
    measure: Measure, count: Count, base: Base, fraction: str, inclusive: bool
) -> Condition:
    return Condition(measure, count, base, Fraction(fraction), inclusive)


H, A = Measure.HEADCOUNT, Measure.AREA
# Art. 278: owners holding ≥ 2/3 of the total area AND ≥ 2/3 of all owners take part.
_OWNERS_QUORUM = (
    _condition(A, Count.PARTICIPANTS, Base.ALL, "2/3", True),
    _condition(H, Count.PARTICIPANTS, Base.ALL, "2/3", True),
)
# More than half of the members take part.
_MEMBERS_QUORUM = (_condition(H, Count.PARTICIPANTS, Base.ALL, "1/2", False),)

RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        # Ordinary matters (Art. 278 items 1–5 and 9; using the maintenance fund included):
        # yes > 1/2 of the participating area AND > 1/2 of the participating owners.
        Rule(
            "owners_ordinary",
            ElectorateKind.OWNERS,
            _OWNERS_QUORUM,
            (
                _condition(A, Count.YES, Base.PARTICIPANTS, "1/2", False),
                _condition(H, Count.YES, Base.PARTICIPANTS, "1/2", False),
            ),
        ),
        # Special matters (items 6–8: raising the fund, rebuilding, changing the use of or
        # doing business on common parts): yes ≥ 3/4 of the participating area AND owners.
        Rule(
            "owners_special",
            ElectorateKind.OWNERS,
            _OWNERS_QUORUM,
            (
                _condition(A, Count.YES, Base.PARTICIPANTS, "3/4", True),
                _condition(H, Count.YES, Base.PARTICIPANTS, "3/4", True),
            ),
        ),
        # Meeting rules: yes outnumbers no — yes > 1/2 of yes + no; a tie fails.
        Rule(
            "majority",
            ElectorateKind.MEMBERS,
            _MEMBERS_QUORUM,
            (_condition(H, Count.YES, Base.VOTES_CAST, "1/2", False),),
        ),
        # Council charters: a motion passes with more than half of all members in favour.
        Rule(
            "majority_of_members",
            ElectorateKind.MEMBERS,
            (),
            (_condition(H, Count.YES, Base.ALL, "1/2", False),),
        ),
        Rule(
            "two_thirds",
            ElectorateKind.MEMBERS,
            _MEMBERS_QUORUM,
            (_condition(H, Count.YES, Base.PARTICIPANTS, "2/3", True),),
        ),
    )
}
CUSTOM = "custom"


def get_rule(name: object, custom: object = None) -> Rule:
    """The named rule, or — for the name "custom" — the rule `custom` describes."""
    if name == CUSTOM:
        if custom is None:
            raise TallyError(_('The rule "custom" needs a custom rule (a JSON object).'))
        return parse_rule(custom)
    if custom is not None:
        raise TallyError(_('A custom rule is given, but the rule is not "custom".'))
    if isinstance(name, str) and name in RULES:
        return RULES[name]
    raise TallyError(
        _('Unknown rule "%(name)s". The rules are: %(known)s, and "custom".')
        % {"name": name, "known": ", ".join(RULES)}
    )


_CONDITION_KEYS = ("measure", "count", "base", "fraction", "inclusive")


def _parse_choice[E: StrEnum](kind: type[E], value: object, where: str) -> E:
    for member in kind:
        if value == member.value:
            return member
    raise TallyError(
        _('%(where)s: "%(value)s" is not one of: %(allowed)s.')
        % {"where": where, "value": value, "allowed": ", ".join(kind)}
    )


def _parse_fraction(value: object, where: str) -> Fraction:
    # Text like "2/3" or "0.5", or a whole number; a JSON float is refused (not exact).
    if isinstance(value, str | int) and not isinstance(value, bool):
        try:
            return Fraction(value)
        except (ValueError, ZeroDivisionError):
            pass
    raise TallyError(
        _('%(where)s: the fraction must be written as text like "2/3" (got %(value)r).')
        % {"where": where, "value": value}
    )


def _parse_condition(data: object, where: str, default_count: Count) -> Condition:
    if not isinstance(data, dict):
        raise TallyError(_("%(where)s must be an object.") % {"where": where})
    unknown = sorted(set(data) - set(_CONDITION_KEYS))
    if unknown:
        raise TallyError(
            _("%(where)s: unknown key(s) %(keys)s; the keys are: %(allowed)s.")
            % {"where": where, "keys": ", ".join(unknown), "allowed": ", ".join(_CONDITION_KEYS)}
        )
    for key in ("measure", "base", "fraction", "inclusive"):
        if key not in data:
            raise TallyError(_('%(where)s lacks "%(key)s".') % {"where": where, "key": key})
    if not isinstance(data["inclusive"], bool):
        raise TallyError(
            _('%(where)s: "inclusive" must be true (at least) or false (more than).')
            % {"where": where}
        )
    return Condition(
        measure=_parse_choice(Measure, data["measure"], f"{where}.measure"),
        count=_parse_choice(Count, data.get("count", default_count), f"{where}.count"),
        base=_parse_choice(Base, data["base"], f"{where}.base"),
        fraction=_parse_fraction(data["fraction"], f"{where}.fraction"),
        inclusive=data["inclusive"],
    )


def parse_rule(data: object, *, name: str = CUSTOM, where: str = "custom_rule") -> Rule:
    """A rule from its JSON form, as a charter stores it:

        {"electorate": "owners",             # optional: "owners" if any condition counts area
         "participation": [{"measure": "headcount", "base": "all",
                            "fraction": "2/3", "inclusive": true}, …],
         "pass": [{"measure": "area", "base": "participants",
                   "fraction": "1/2", "inclusive": false}, …]}

    `count` may be left out (participants in participation, yes in pass). Every error names
    the place in the document (`where`), e.g. "custom_rule.pass[0].fraction".
    """
    if not isinstance(data, dict):
        raise TallyError(_("%(where)s must be an object.") % {"where": where})
    unknown = sorted(set(data) - {"electorate", "participation", "pass"})
    if unknown:
        raise TallyError(
            _("%(where)s: unknown key(s) %(keys)s; the keys are: electorate, participation, pass.")
            % {"where": where, "keys": ", ".join(unknown)}
        )
    sections: dict[str, tuple[Condition, ...]] = {}
    for key, count in (("participation", Count.PARTICIPANTS), ("pass", Count.YES)):
        items = data.get(key, [])
        if not isinstance(items, list):
            raise TallyError(
                _("%(where)s.%(key)s must be a list of conditions.") % {"where": where, "key": key}
            )
        sections[key] = tuple(
            _parse_condition(item, f"{where}.{key}[{i}]", count) for i, item in enumerate(items)
        )
    conditions = sections["participation"] + sections["pass"]
    if "electorate" in data:
        electorate = _parse_choice(ElectorateKind, data["electorate"], f"{where}.electorate")
    elif any(c.measure == Measure.AREA for c in conditions):
        electorate = ElectorateKind.OWNERS
    else:
        electorate = ElectorateKind.MEMBERS
    return Rule(name, electorate, sections["participation"], sections["pass"])
