"""Who may vote and what they cast: the electorate and the ballots, checked before counting.

Two kinds of electorate. A council counts its **members**, one vote each. Owners' decisions
under Civil Code Art. 278 count **owners** by head and by the area of their exclusive parts
(专有部分): all parts of one owner — the developer's unsold parts included — count as one
person, and their areas add up (SPC interpretation on building distinct ownership, 2009/2020).
A voter is then an owner, never a part.

Areas are exact decimals in square metres, written as text ("85.50"); floats are refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext
from enum import StrEnum
from typing import NamedTuple

from django.utils.translation import gettext as _

from courtyard.core.errors import BadInput

# 12 digits before the point and 6 after (a square millimetre): 18 digits at most. Sums of
# such areas stay exact for far more parts than any electorate has (see AREA_PRECISION).
AREA_RE = re.compile(r"-?[0-9]{1,12}(?:\.[0-9]{1,6})?")
AREA_PRECISION = 40
AREA_PLACES = 2  # areas are shown with at least this many decimals
ZERO = Decimal(0)


class TallyError(BadInput):
    """The input cannot be tallied: an unknown rule, a ballot from outside the electorate,
    a second ballot from one voter, a bad area, … The message says which and where."""


class ElectorateKind(StrEnum):
    MEMBERS = "members"  # one member, one vote: a council, an assembly of representatives
    OWNERS = "owners"  # owners of exclusive parts, counted by head and by area (Art. 278)


class Choice(StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"  # takes part (counts towards participation) without taking a side


class Ballot(NamedTuple):
    """One voter's ballot. Everyone who casts one — yes, no or abstain — takes part."""

    voter: str
    choice: Choice | str


class Part(NamedTuple):
    """An exclusive part (专有部分) as registered: its id, its owner, its area in m²."""

    part: str
    owner: str
    area: Decimal | str


def _is_id(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def parse_area(value: object, *, part: str) -> Decimal:
    """The area of `part` as an exact Decimal; refuses floats, non-numbers and areas ≤ 0."""
    return _parse_area(value, part)[0]


def _parse_area(value: object, part: str) -> tuple[Decimal, int]:
    """The area and its number of decimals."""
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, Decimal) and value.is_finite():
        text = format(value, "f")
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    else:
        raise TallyError(
            _(
                'Part "%(part)s": the area must be a decimal number written as text, '
                'like "85.50" (got %(area)r).'
            )
            % {"part": part, "area": value}
        )
    if not AREA_RE.fullmatch(text):
        raise TallyError(
            _(
                'Part "%(part)s": the area "%(area)s" is not a decimal number of square '
                'metres like "85.50" (at most 12 digits before the point and 6 after).'
            )
            % {"part": part, "area": text}
        )
    try:
        area = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise TallyError(_('Part "%(part)s": bad area.') % {"part": part}) from exc
    if area <= 0:
        raise TallyError(
            _('Part "%(part)s": the area must be more than 0 m² (got %(area)s).')
            % {"part": part, "area": text}
        )
    point = text.find(".")
    return area, 0 if point < 0 else len(text) - point - 1


@dataclass(frozen=True, eq=False)
class Electorate:
    """Everyone entitled to vote. Build one with `of_members` or `of_parts`, which refuse an
    empty electorate, duplicates, missing owners and bad areas.

    `areas` maps each owner to the sum of their parts' areas (empty for members);
    `owner_of` maps each part to its owner; `places` is how many decimals areas are shown with.
    """

    kind: ElectorateKind
    voters: frozenset[str]
    areas: dict[str, Decimal]
    owner_of: dict[str, str]
    total_area: Decimal | None
    places: int

    @property
    def size(self) -> int:
        """Members, or owners (however many parts each holds)."""
        return len(self.voters)

    @classmethod
    def of_members(cls, members: Iterable[str]) -> Electorate:
        seen: set[str] = set()
        for position, member in enumerate(members, 1):
            if not _is_id(member):
                raise TallyError(
                    _("Member %(position)d has no id (got %(value)r).")
                    % {"position": position, "value": member}
                )
            if member in seen:
                raise TallyError(_('Member "%(member)s" is listed twice.') % {"member": member})
            seen.add(member)
        if not seen:
            raise TallyError(_("The electorate is empty: list at least one member."))
        return cls(ElectorateKind.MEMBERS, frozenset(seen), {}, {}, None, 0)

    @classmethod
    def of_parts(cls, parts: Iterable[Part]) -> Electorate:
        areas: dict[str, Decimal] = {}
        owner_of: dict[str, str] = {}
        position_of: dict[str, int] = {}
        places = AREA_PLACES
        with localcontext() as context:
            context.prec = AREA_PRECISION
            for position, entry in enumerate(parts, 1):
                part = entry.part
                if not _is_id(part):
                    raise TallyError(
                        _("Part %(position)d has no part id (got %(value)r).")
                        % {"position": position, "value": part}
                    )
                if part in position_of:
                    raise TallyError(
                        _('Part "%(part)s" is listed twice (entries %(first)d and %(again)d).')
                        % {"part": part, "first": position_of[part], "again": position}
                    )
                if not _is_id(entry.owner):
                    raise TallyError(
                        _('Part "%(part)s" (entry %(position)d) has no owner.')
                        % {"part": part, "position": position}
                    )
                area, decimals = _parse_area(entry.area, part)
                places = max(places, decimals)
                areas[entry.owner] = areas.get(entry.owner, ZERO) + area
                owner_of[part] = entry.owner
                position_of[part] = position
            if not areas:
                raise TallyError(_("The electorate is empty: list at least one exclusive part."))
            total = sum(areas.values(), Decimal(0))
        return cls(ElectorateKind.OWNERS, frozenset(areas), areas, owner_of, total, places)

    @classmethod
    def of_owners(cls, areas: Mapping[str, Decimal]) -> Electorate:
        """Owners with the summed areas of their parts, as a vote froze them from a roll
        whose parts were checked on import (`parse_area`): only positivity is checked again.
        Areas are shown with two decimals unless one needs more."""
        if not areas:
            raise TallyError(_("The electorate is empty: list at least one exclusive part."))
        cents = Decimal("0.01")
        places = AREA_PLACES
        with localcontext() as context:
            context.prec = AREA_PRECISION
            for owner, area in areas.items():
                if not (isinstance(area, Decimal) and area.is_finite() and area > 0):
                    raise TallyError(
                        _('The area of owner "%(owner)s" must be more than 0.') % {"owner": owner}
                    )
                if places < 6 and area != area.quantize(cents):
                    places = max(places, -area.normalize().as_tuple().exponent)  # type: ignore[operator]
            total = sum(areas.values(), Decimal(0))
        return cls(ElectorateKind.OWNERS, frozenset(areas), dict(areas), {}, total, places)

    def outsider_error(self, voter: object) -> TallyError:
        """The refusal for a ballot from someone who is not in this electorate."""
        if self.kind == ElectorateKind.OWNERS and voter in self.owner_of:
            return TallyError(
                _(
                    'A ballot names "%(voter)s", which is a part, not an owner: owners vote, '
                    "once each, however many parts they hold."
                )
                % {"voter": voter}
            )
        return TallyError(
            _('A ballot comes from "%(voter)s", who is not in the electorate.') % {"voter": voter}
        )
