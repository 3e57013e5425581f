"""Whistle and report (吹哨报到): a street blows the whistle on a problem it cannot solve
alone, summoning departments and units; each summoned party reports on site (报到) before
`report_due_at`; the street closes the whistle and then scores each of them (一哨一考核).

Who may do what:
- blow, close, score: officers of the whistle's street or above (`people.scopes.administers`
  on the street's path — a community worker may not);
- report: the handlers of a summoned party (`organizations.models.handled_organizations`);
- read: staff administering the whistle's place (the street's, and the community worker of
  the community it was blown in) and the handlers of the summoned parties
  (`visible_whistles`).

The pages check the permissions below (404 when refused: forbidden looks like missing);
the actions check them again (NotAllowed), so that an API or a command cannot skip them.
Each action is atomic, locks the rows it changes, writes an audit event with the whistle's
place path, and raises a DomainError that changes nothing when it refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import rules
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core.audit import record_event
from courtyard.core.errors import BadInput, Conflict, NotAllowed
from courtyard.demands.actions import DESCRIPTION_MAX, TEXT_MAX, _text
from courtyard.demands.conf import DEFAULTS, demand_settings
from courtyard.demands.models import (
    OPEN_STATUSES,
    Demand,
    Whistle,
    WhistleKind,
    WhistleStatus,
    WhistleSummons,
)
from courtyard.demands.scores import add_months
from courtyard.notifications import events as notices
from courtyard.organizations.models import Organization, handled_organizations
from courtyard.people.scopes import administers, staff_scope_paths
from courtyard.places.models import SEGMENT, STREET_LEVEL_KINDS, Place, path_ids, path_range

TITLE_MAX = 200
SUMMONS_MAX = 30  # parties one whistle may summon
SCORE_MIN, SCORE_MAX = 0, 100
# The same whistle sent twice (a double click, a resent form) within this time is blown once.
REPEAT_WINDOW = timedelta(minutes=2)
STREET_DEPTH = 3  # city › district › street/township
DISTRICT_DEPTH = 2


# ── Where a whistle belongs ───────────────────────────────────────────────────────────────


def street_path(path: str) -> str:
    """The path of the street (or township) a place lies in; "" above street level. Every
    street sits at the third level of the tree (places.models.ALLOWED_PARENTS)."""
    return path[: STREET_DEPTH * SEGMENT] if len(path) >= STREET_DEPTH * SEGMENT else ""


def district_path(path: str) -> str:
    return path[: DISTRICT_DEPTH * SEGMENT]


# ── Who may do what ───────────────────────────────────────────────────────────────────────


def blows_whistles(user: Any) -> bool:
    """Does `user` administer at least one street (as a street, district or city officer)?
    Read from the user's cached staff scope: no query after the first."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return any(len(p) <= STREET_DEPTH * SEGMENT for p in staff_scope_paths(user))


def may_blow_at(user: Any, place: Place) -> bool:
    """May `user` blow a whistle at `place` (within a street they administer)?"""
    street = street_path(place.path)
    return bool(street) and administers(user, street)


@rules.predicate
def runs_whistle(user: Any, whistle: Whistle) -> bool:
    """An officer of the whistle's street or above: closes and scores it."""
    return administers(user, street_path(whistle.place_path))


@rules.predicate
def answers_whistle(user: Any, whistle: Whistle) -> bool:
    """A handler of one of the summoned parties: reports on site."""
    return WhistleSummons.objects.filter(
        whistle_id=whistle.pk, organization__in=handled_organizations(user).values("pk")
    ).exists()


rules.add_perm("demands.blow_whistle", rules.predicate(blows_whistles))
rules.add_perm("demands.run_whistle", runs_whistle)  # close, score
rules.add_perm("demands.report_to_whistle", answers_whistle)


def visible_whistles(user: Any) -> Any:
    """Whistles `user` may read (see WhistleQuerySet.visible_to)."""
    return Whistle.objects.visible_to(user)


def summonable(place_path: str) -> Any:
    """The organizations a whistle at a place may summon: the active ones seated within
    its district (its departments, and the units of its streets)."""
    low, high = path_range(district_path(place_path))
    return Organization.objects.filter(is_active=True, place_path__gte=low, place_path__lt=high)


# ── Actions ───────────────────────────────────────────────────────────────────────────────


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _street_of(place: Place) -> Place:
    """The street the place lies in, locked: blowing is serialized per street, so that a
    form sent twice at once is blown once."""
    path = street_path(place.path)
    if not path:
        raise BadInput(
            _("Blow the whistle at a street or at a place within one, not higher."),
            field="place",
        )
    street = Place.objects.select_for_update().get(pk=path_ids(path)[-1])
    if street.kind not in STREET_LEVEL_KINDS:  # a tree the table forbids
        raise BadInput(_("This place does not lie within a street."), field="place")
    return street


def _summoned(organizations: list[Organization], place: Place) -> list[Organization]:
    """The parties to summon, re-read: one or more, distinct, active, of the district."""
    ids = sorted({org.pk for org in organizations})
    if not ids:
        raise BadInput(_("Summon at least one department or unit."), field="organizations")
    if len(ids) > SUMMONS_MAX:
        raise BadInput(
            _("Summon at most %(n)d departments and units with one whistle.") % {"n": SUMMONS_MAX},
            field="organizations",
        )
    found = list(summonable(place.path).filter(pk__in=ids).order_by("pk"))
    if len(found) != len(ids):
        raise BadInput(
            _("Summon only active departments and units of this district."),
            field="organizations",
        )
    return found


def _whistle_demand(demand: Demand | None, street: Place) -> Demand | None:
    if demand is None:
        return None
    demand = Demand.objects.select_for_update().get(pk=demand.pk)
    if not demand.place_path.startswith(street.path):
        raise BadInput(_("This demand does not lie within the street."), field="demand")
    if demand.status not in OPEN_STATUSES:
        raise Conflict(_("Blow the whistle on an open demand; this one is %(status)s.")
                       % {"status": demand.get_status_display()})  # fmt: skip
    return demand


@transaction.atomic
def blow_whistle(
    *,
    by: Any,
    place: Place,
    kind: str,
    title: str,
    description: str,
    organizations: list[Organization],
    demand: Demand | None = None,
    now: datetime | None = None,
) -> Whistle:
    """Blow the whistle at `place`, summoning `organizations`; each must report on site
    within the minutes configured for the kind (conf WHISTLE_REPORT_MINUTES). The same
    whistle sent again by the same officer within REPEAT_WINDOW returns the first one."""
    if kind not in WhistleKind.values:
        raise BadInput(_("Choose the kind of whistle."), field="kind")
    title = _text(title, "title", limit=TITLE_MAX)
    description = _text(description, "description", limit=DESCRIPTION_MAX)
    street = _street_of(place)
    if not administers(by, street.path):
        raise NotAllowed(_("Only the officers of this street may blow its whistle."))
    summoned = _summoned(organizations, place)
    demand = _whistle_demand(demand, street)
    at = _now(now)
    repeated = Whistle.objects.filter(
        street=street, place=place, kind=kind, title=title, description=description,
        demand=demand, blown_by=by, status=WhistleStatus.OPEN, blown_at__gte=at - REPEAT_WINDOW,
    ).first()  # fmt: skip
    if repeated is not None:
        return repeated
    # A city that configures only some kinds keeps the default for the others.
    minutes = demand_settings().whistle_report_minutes.get(
        kind, DEFAULTS["WHISTLE_REPORT_MINUTES"][kind]
    )
    whistle = Whistle.objects.create(
        street=street,
        place=place,
        place_path=place.path,
        demand=demand,
        kind=kind,
        title=title,
        description=description,
        blown_by=by,
        blown_at=at,
        report_due_at=at + timedelta(minutes=minutes),
    )
    WhistleSummons.objects.bulk_create(
        WhistleSummons(whistle=whistle, organization=org) for org in summoned
    )
    changes: dict[str, list[Any]] = {
        "status": [None, WhistleStatus.OPEN],
        "kind": [None, kind],
        "summoned": [None, [org.pk for org in summoned]],
        "report_due_at": [None, whistle.report_due_at.isoformat()],
    }
    if demand is not None:
        changes["demand"] = [None, demand.pk]
        record_event(
            by=by,
            verb="blow_whistle",
            target=demand,
            changes={"whistle": [None, whistle.pk]},
            place_path=demand.place_path,
        )
    record_event(
        by=by, verb="blow_whistle", target=whistle, changes=changes, place_path=whistle.place_path
    )
    notices.whistle_blown(whistle, summoned, by=by)
    return whistle


def _locked(whistle: Whistle) -> Whistle:
    return Whistle.objects.select_for_update().get(pk=whistle.pk)


def _summons(whistle: Whistle, organization: Organization) -> WhistleSummons:
    summons = (
        WhistleSummons.objects.select_for_update()
        .filter(whistle=whistle, organization=organization)
        .first()
    )
    if summons is None:
        raise NotAllowed(
            _("%(unit)s is not summoned by this whistle.") % {"unit": organization.display_name}
        )
    summons.whistle = whistle
    return summons


@transaction.atomic
def report_to_whistle(
    whistle: Whistle,
    *,
    by: Any,
    organization: Organization,
    note: str = "",
    now: datetime | None = None,
) -> WhistleSummons:
    """A summoned party reports on site (报到), once, while the whistle is open. A report
    after `report_due_at` is recorded all the same, and counts as late."""
    whistle = _locked(whistle)
    if not handled_organizations(by).filter(pk=organization.pk).exists():
        raise NotAllowed(_("You do not act for %(unit)s.") % {"unit": organization.display_name})
    summons = _summons(whistle, organization)
    note = _text(note, "note", required=False, limit=TEXT_MAX)
    if whistle.status != WhistleStatus.OPEN:
        raise Conflict(_("This whistle is closed: there is nothing to report to."))
    if summons.reported_at is not None:
        raise Conflict(
            _("%(unit)s reported on site at %(at)s already.")
            % {
                "unit": organization.display_name,
                "at": timezone.localtime(summons.reported_at).strftime("%Y-%m-%d %H:%M"),
            }
        )
    at = _now(now)
    summons.reported_at, summons.report_note = at, note
    summons.save(update_fields=["reported_at", "report_note"])
    record_event(
        by=by,
        verb="report_to_whistle",
        target=whistle,
        changes={
            "organization": [None, organization.pk],
            "reported_at": [None, at.isoformat()],
            "late": [None, at > whistle.report_due_at],
            **({"note": [None, note]} if note else {}),
        },
        place_path=whistle.place_path,
    )
    return summons


@transaction.atomic
def close_whistle(
    whistle: Whistle, *, by: Any, note: str = "", now: datetime | None = None
) -> Whistle:
    """The street closes an open whistle: the summoned parties may leave (事不完、人不撤
    until now), and the street may score them."""
    whistle = _locked(whistle)
    if not runs_whistle(by, whistle):
        raise NotAllowed(_("Only the officers of this street may close its whistle."))
    note = _text(note, "note", required=False, limit=TEXT_MAX)
    if whistle.status != WhistleStatus.OPEN:
        raise Conflict(_("This whistle is closed already."))
    whistle.status, whistle.closed_at, whistle.closing_note = (
        WhistleStatus.CLOSED,
        _now(now),
        note,
    )
    whistle.save(update_fields=["status", "closed_at", "closing_note"])
    record_event(
        by=by,
        verb="close_whistle",
        target=whistle,
        changes={
            "status": [WhistleStatus.OPEN, WhistleStatus.CLOSED],
            **({"note": [None, note]} if note else {}),
        },
        place_path=whistle.place_path,
    )
    return whistle


def _score(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(_("Give the score as a whole number."), field="score")
    if not SCORE_MIN <= value <= SCORE_MAX:
        raise BadInput(
            _("Give a score from %(low)d to %(high)d.") % {"low": SCORE_MIN, "high": SCORE_MAX},
            field="score",
        )
    return value


@transaction.atomic
def score_summons(
    whistle: Whistle,
    *,
    by: Any,
    organization: Organization,
    score: int,
    comment: str = "",
    now: datetime | None = None,
) -> WhistleSummons:
    """The street scores one summoned party of a closed whistle, 0–100, once (一哨一考核);
    the score counts on the party's scorecard."""
    whistle = _locked(whistle)
    if not runs_whistle(by, whistle):
        raise NotAllowed(_("Only the officers of this street may score its whistle."))
    summons = _summons(whistle, organization)
    score = _score(score)
    comment = _text(comment, "comment", required=False, limit=TEXT_MAX)
    if whistle.status != WhistleStatus.CLOSED:
        raise Conflict(_("Close the whistle before scoring the parties it summoned."))
    if summons.score is not None:
        raise Conflict(
            _("%(unit)s is scored already: %(score)d.")
            % {"unit": organization.display_name, "score": summons.score}
        )
    summons.score, summons.score_comment, summons.scored_at = score, comment, _now(now)
    try:
        with transaction.atomic():
            summons.save(update_fields=["score", "score_comment", "scored_at"])
    except IntegrityError as exc:  # the database's own range check
        raise BadInput(_("Give a score from 0 to 100."), field="score") from exc
    record_event(
        by=by,
        verb="score_summons",
        target=whistle,
        changes={
            "organization": [None, organization.pk],
            "score": [None, score],
            **({"note": [None, comment]} if comment else {}),
        },
        place_path=whistle.place_path,
    )
    return summons


# ── For the scorecard ─────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class WhistleRecord:
    """How a unit answered the whistles of one month (by the month they were blown)."""

    summoned: int
    reported_in_time: int
    reported_late: int
    scored: int
    average_score: Decimal | None  # of the scored summonses, to 0.1; None if none

    @property
    def not_reported(self) -> int:
        return self.summoned - self.reported_in_time - self.reported_late


def _month_bounds(month: date) -> tuple[datetime, datetime]:
    following = add_months(month, 1)
    tz = timezone.get_current_timezone()
    start = datetime(month.year, month.month, 1, tzinfo=tz)
    return start, datetime(following.year, following.month, 1, tzinfo=tz)


def unit_whistle_record(organization: Organization, month: date) -> WhistleRecord:
    """The unit's summonses by whistles blown in `month` (local time): reported in time,
    late, not at all, and the average score (one query)."""
    start, end = _month_bounds(month)
    row = WhistleSummons.objects.filter(
        organization=organization, whistle__blown_at__gte=start, whistle__blown_at__lt=end
    ).aggregate(
        summoned=Count("pk"),
        in_time=Count("pk", filter=Q(reported_at__lte=F("whistle__report_due_at"))),
        late=Count("pk", filter=Q(reported_at__gt=F("whistle__report_due_at"))),
        scored=Count("score"),
        average=Avg("score"),
    )
    average = row["average"]
    return WhistleRecord(
        summoned=row["summoned"],
        reported_in_time=row["in_time"],
        reported_late=row["late"],
        scored=row["scored"],
        average_score=None
        if average is None
        else Decimal(str(average)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
    )
