"""Every change to a demand: one action per transition (see models.TRANSITIONS).

Each action locks the demand row, checks the transition, stamps `<step>_at`, sets the next
deadline, keeps the rates' rollup and writes an audit row (the demand's timeline). A refused
action raises a DomainError and changes nothing. Who may call which action is decided by
`demands.rules`, checked by the pages and the API before they call.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core.audit import record_event
from courtyard.core.errors import BadInput, Conflict
from courtyard.core.text import checked_text, localized_name
from courtyard.demands import photos as demand_photos
from courtyard.demands import rates
from courtyard.demands.clock import add_time
from courtyard.demands.conf import demand_settings
from courtyard.demands.models import (
    TRANSITIONS,
    Channel,
    Demand,
    Dispatch,
    Satisfaction,
    ServiceCategory,
    Status,
)
from courtyard.demands.routing import responsible_unit
from courtyard.notifications import events as notices
from courtyard.organizations.models import Organization
from courtyard.places.models import Place

DESCRIPTION_MAX = 5000
# A duplicate follows a primary that is still being handled, not a finished one.
MERGE_TARGET_REFUSED = frozenset({Status.MERGED, Status.CLOSED, Status.ANSWERED, Status.DECLINED})
TEXT_MAX = 2000


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _locked(demand: Demand) -> Demand:
    return Demand.objects.select_for_update().select_related("place").get(pk=demand.pk)


def _move(demand: Demand, action: str) -> tuple[str, str]:
    """Check that `action` may start from the demand's status; returns (old, new)."""
    allowed, target = TRANSITIONS[action]
    if demand.status not in allowed:
        raise Conflict(
            _("This demand is %(status)s: that step is not possible now.")
            % {"status": Status(demand.status).label}
        )
    old = demand.status
    demand.status = target
    return old, target


def _text(value: str, field: str, *, required: bool = True, limit: int = TEXT_MAX) -> str:
    return checked_text(value, field, limit=limit, required=required)


def _log(
    demand: Demand, *, by: Any, verb: str, old: str, new: str, at: datetime, **notes: Any
) -> None:
    changes: dict[str, list[Any]] = {"status": [old, new]}
    changes.update({key: [None, value] for key, value in notes.items() if value is not None})
    record_event(
        by=by, verb=verb, target=demand, changes=changes, place_path=demand.place_path, at=at
    )


def _coordinate(value: Any, field: str, limit: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise BadInput(_("Give the position as decimal degrees."), field=field) from exc
    if not number.is_finite() or abs(number) > limit:
        raise BadInput(_("This latitude or longitude is out of range."), field=field)
    return number.quantize(Decimal("0.000001"))


def _check_point(place: Place, latitude: Decimal | None, longitude: Decimal | None) -> None:
    """A map point must lie in the place's bounding box, or in its nearest ancestor's when
    the place has none (one query); a tree without boxes accepts every point."""
    if latitude is None or longitude is None:
        return
    holder = place.box_holder()
    if holder is not None and not holder.box_contains(latitude, longitude):
        raise BadInput(
            _("This point is outside %(place)s.") % {"place": holder.display_name}, field="lat"
        )


def _check_attributes(category: ServiceCategory, answers: dict[str, Any]) -> dict[str, Any]:
    """Keep the answers to the category's extra questions; refuse a missing required one."""
    cleaned = {}
    for question in category.attributes:
        code = question.get("code")
        value = answers.get(code)
        if value in (None, "") and question.get("required"):
            raise BadInput(
                _("Please answer: %(question)s")
                % {
                    "question": localized_name(
                        question.get("description", code), question.get("description_en", "")
                    )
                },
                field=f"attribute[{code}]",
            )
        if value not in (None, ""):
            cleaned[code] = _text(str(value), f"attribute[{code}]", limit=500)
    return cleaned


def submit_demand(*, photos: Sequence[UploadedFile] = (), **fields: Any) -> Demand:
    """Raise a demand (see `_submit_demand`). The photos are decoded and re-encoded here,
    before the transaction: decoding a large photo takes a second or more, and a write
    transaction held that long would stall every other writer (SQLite locks the database).
    """
    checked = demand_photos.check_photos(photos) if photos else []
    return _submit_demand(checked_photos=checked, **fields)


@transaction.atomic
def _submit_demand(
    *,
    by: Any,
    channel: str,
    place: Place,
    category: ServiceCategory,
    description: str,
    requester: Any = None,
    requester_name: str = "",
    requester_phone: str = "",
    address: str = "",
    latitude: Any = None,
    longitude: Any = None,
    attributes: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    external_id: str | None = None,
    submitted_at: datetime | None = None,
    checked_photos: Sequence[demand_photos.CheckedPhoto] = (),
) -> Demand:
    """Raise a demand. A retried submission with the same idempotency key (or hotline order
    number) returns the demand the first one created and creates nothing.

    Everything is checked before anything is written — the text, a map point against the
    place's box, every photo's content — so that a refusal stores nothing: no demand, no
    photo row, no file. The photos are written last (see demands.photos)."""
    for field, value in (("idempotency_key", idempotency_key), ("external_id", external_id)):
        if value:
            existing = Demand.objects.filter(**{field: value}).first()
            if existing is not None:
                return existing
    if channel not in Channel.values:
        raise BadInput(_("Unknown channel: %(c)s.") % {"c": channel}, field="channel")
    if not category.is_active:
        raise BadInput(_("This service category is no longer in use."), field="category")
    description = _text(description, "description", limit=DESCRIPTION_MAX)
    point = _coordinate(latitude, "lat", 90), _coordinate(longitude, "long", 180)
    if (point[0] is None) != (point[1] is None):
        raise BadInput(_("Give both the latitude and the longitude, or neither."), field="lat")
    _check_point(place, *point)
    demand = Demand(
        channel=channel,
        place=place,
        place_path=place.path,
        category=category,
        feedback_class=category.feedback_class,
        description=description,
        public_summary=f"{category.name} · {place.name}"[:200],
        attributes=_check_attributes(category, attributes or {}),
        address=_text(address, "address", required=False, limit=300),
        latitude=point[0],
        longitude=point[1],
        requester=requester,
        requester_name=_text(requester_name, "requester_name", required=False, limit=100)
        or (getattr(requester, "display_name", "") or ""),
        requester_phone=_text(requester_phone, "requester_phone", required=False, limit=20)
        or (getattr(requester, "phone", "") or ""),
        recorded_by=by if getattr(by, "is_authenticated", False) else None,
        submitted_at=_now(submitted_at),
        idempotency_key=idempotency_key or None,
        external_id=external_id or None,
    )
    try:
        with transaction.atomic():
            demand.save()
    except IntegrityError as exc:  # the same key raced in: the other request won
        raise Conflict(
            _("This demand was just submitted; it will not be submitted twice.")
        ) from exc
    changes: dict[str, list[Any]] = {"status": [None, Status.SUBMITTED], "channel": [None, channel]}
    if checked_photos:
        changes["photos"] = [None, len(checked_photos)]
    record_event(
        by=by,
        verb="submit_demand",
        target=demand,
        changes=changes,
        place_path=demand.place_path,
        at=demand.submitted_at,
    )
    demand_photos.store_photos(demand, checked_photos, by=by)
    return demand


@transaction.atomic
def accept_demand(demand: Demand, *, by: Any, now: datetime | None = None) -> Demand:
    demand = _locked(demand)
    old, new = _move(demand, "accept_demand")
    demand.accepted_at = _now(now)
    demand.save()
    _log(demand, by=by, verb="accept_demand", old=old, new=new, at=demand.accepted_at)
    return demand


@transaction.atomic
def answer_demand(demand: Demand, *, by: Any, answer: str, now: datetime | None = None) -> Demand:
    """A consultation answered directly: nothing to dispatch."""
    demand = _locked(demand)
    answer = _text(answer, "answer")
    old, new = _move(demand, "answer_demand")
    demand.answer, demand.closed_at, demand.due_at = answer, _now(now), None
    demand.save()
    _log(demand, by=by, verb="answer_demand", old=old, new=new, at=demand.closed_at, note=answer)
    notices.demand_to_requester(demand, verb="demand_answered", by=by)
    return demand


@transaction.atomic
def decline_demand(demand: Demand, *, by: Any, reason: str, now: datetime | None = None) -> Demand:
    """Not for this system (it belongs to a court, for instance); the reason is shown to the
    requester."""
    demand = _locked(demand)
    reason = _text(reason, "reason")
    old, new = _move(demand, "decline_demand")
    demand.decline_reason, demand.closed_at, demand.due_at = reason, _now(now), None
    demand.save()
    _log(demand, by=by, verb="decline_demand", old=old, new=new, at=demand.closed_at, note=reason)
    notices.demand_to_requester(demand, verb="demand_declined", by=by)
    return demand


@transaction.atomic
def merge_demand(
    demand: Demand, *, by: Any, primary: Demand, now: datetime | None = None
) -> Demand:
    """A duplicate joins its primary: its requester follows the primary from now on."""
    demand = _locked(demand)
    primary = Demand.objects.select_for_update().get(pk=primary.pk)
    if primary.pk == demand.pk or primary.status in MERGE_TARGET_REFUSED:
        raise BadInput(_("Merge into another demand that is still being handled."), field="primary")
    old, new = _move(demand, "merge_demand")
    demand.primary, demand.due_at = primary, None
    demand.save()
    _log(demand, by=by, verb="merge_demand", old=old, new=new, at=_now(now), primary=primary.pk)
    return demand


@transaction.atomic
def dispatch_demand(
    demand: Demand,
    *,
    by: Any,
    organization: Organization | None = None,
    now: datetime | None = None,
) -> Demand:
    """Send the demand to the unit that answers for it (by the responsibility table unless
    one is chosen by hand) and start its clocks: sign for, first contact, reply."""
    demand = _locked(demand)
    old, new = _move(demand, "dispatch_demand")  # the step first: a closed demand is a 409
    if organization is not None:  # as it is now, not as the form read it
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
    else:
        organization = responsible_unit(demand.category, demand.place)
        if organization is None:
            raise BadInput(
                _(
                    "No unit answers for this category here, and the district has no fallback: "
                    "choose the unit by hand."
                ),
                field="organization",
            )
    if not organization.is_active:
        raise BadInput(_("This unit is no longer active."), field="organization")
    config = demand_settings()
    at = _now(now)
    feedback_due = add_time(at, config.feedback_time(demand.feedback_class), config.working_days)
    response_due = min(
        add_time(at, timedelta(hours=config.response_hours), config.working_days), feedback_due
    )
    sign_due = min(
        add_time(at, timedelta(hours=config.sign_hours), config.working_days), response_due
    )
    demand.assignee = organization
    demand.accepted_at = demand.accepted_at or at
    demand.dispatched_at, demand.sign_due_at = at, sign_due
    demand.response_due_at, demand.feedback_due_at = response_due, feedback_due
    demand.return_until = at + timedelta(hours=config.return_hours)
    demand.due_at = sign_due
    demand.signed_at = demand.contacted_at = demand.replied_at = None
    demand.reminded_at = demand.overdue_since = None
    demand.escalation_level = 0
    demand.extension_requested_until, demand.extension_reason = None, ""
    demand.times_dispatched += 1
    demand.save()
    dispatch = Dispatch.objects.create(
        demand=demand, organization=organization, dispatched_at=at, response_due_at=response_due
    )
    rates.record_dispatch(dispatch)
    _log(demand, by=by, verb="dispatch_demand", old=old, new=new, at=at, unit=organization.pk)
    notices.demand_to_unit(demand, verb="demand_dispatched", by=by)
    return demand


def _current_dispatch(demand: Demand) -> Dispatch:
    return (
        Dispatch.objects.select_for_update()
        .filter(demand=demand, returned_at__isnull=True)
        .select_related("demand")
        .latest("dispatched_at", "pk")
    )


@transaction.atomic
def return_demand(demand: Demand, *, by: Any, reason: str, now: datetime | None = None) -> Demand:
    """A unit sends back a misrouted order, within the return window; it leaves the unit's
    counts and waits to be dispatched again."""
    demand = _locked(demand)
    reason = _text(reason, "reason")
    at = _now(now)
    if demand.status in (Status.DISPATCHED, Status.SIGNED) and (
        demand.return_until is None or at > demand.return_until
    ):
        raise Conflict(_("The time to return this order has passed: handle it, or ask the street."))
    old, new = _move(demand, "return_demand")
    dispatch = _current_dispatch(demand)
    rates.record_dispatch(dispatch, sign=-1)
    dispatch.returned_at, dispatch.return_reason = at, reason
    dispatch.save(update_fields=["returned_at", "return_reason"])
    unit = demand.assignee_id
    demand.assignee = None
    demand.due_at = demand.sign_due_at = demand.response_due_at = demand.feedback_due_at = None
    demand.extension_requested_until, demand.extension_reason = None, ""  # it left the unit
    demand.reminded_at = demand.overdue_since = None  # no clock runs until the next dispatch
    demand.escalation_level = 0
    demand.save()
    _log(demand, by=by, verb="return_demand", old=old, new=new, at=at, unit=unit, note=reason)
    return demand


@transaction.atomic
def sign_demand(demand: Demand, *, by: Any, now: datetime | None = None) -> Demand:
    """The unit takes the order. Two handlers signing at once: the first wins, the second is
    told it is already signed for."""
    demand = _locked(demand)
    old, new = _move(demand, "sign_demand")
    demand.signed_at = _now(now)
    demand.due_at = demand.response_due_at
    demand.reminded_at = demand.overdue_since = None
    demand.save()
    _log(demand, by=by, verb="sign_demand", old=old, new=new, at=demand.signed_at)
    return demand


@transaction.atomic
def contact_requester(
    demand: Demand, *, by: Any, note: str = "", now: datetime | None = None
) -> Demand:
    """First contact with the requester: the "response" the response rate counts."""
    demand = _locked(demand)
    note = _text(note, "note", required=False)
    old, new = _move(demand, "contact_requester")
    at = _now(now)
    demand.contacted_at = at
    demand.due_at = demand.feedback_due_at
    demand.reminded_at = demand.overdue_since = None
    demand.save()
    dispatch = _current_dispatch(demand)
    dispatch.contacted_at = at
    dispatch.save(update_fields=["contacted_at"])
    rates.record_response(dispatch)
    _log(demand, by=by, verb="contact_requester", old=old, new=new, at=at, note=note or None)
    return demand


@transaction.atomic
def request_extension(
    demand: Demand, *, by: Any, until: datetime, reason: str, now: datetime | None = None
) -> Demand:
    """The unit asks for more time to reply; the street approves or refuses."""
    demand = _locked(demand)
    reason = _text(reason, "reason")
    if demand.status not in (Status.SIGNED, Status.CONTACTED):
        raise Conflict(_("Only an order signed for and not yet replied to can get more time."))
    if demand.extension_requested_until is not None:
        raise Conflict(_("An extension is already waiting for the street's answer."))
    if demand.feedback_due_at is None or until <= demand.feedback_due_at:
        raise BadInput(_("Ask for a date after the current deadline."), field="until")
    demand.extension_requested_until, demand.extension_reason = until, reason
    demand.save()
    record_event(
        by=by,
        verb="request_extension",
        target=demand,
        changes={"extension_requested_until": [None, until.isoformat()], "note": [None, reason]},
        place_path=demand.place_path,
        at=_now(now),
    )
    return demand


@transaction.atomic
def decide_extension(
    demand: Demand, *, by: Any, approve: bool, now: datetime | None = None
) -> Demand:
    demand = _locked(demand)
    if demand.extension_requested_until is None:
        raise Conflict(_("No extension is waiting for an answer."))
    old_due = demand.feedback_due_at
    if approve:
        demand.feedback_due_at = demand.extension_requested_until
        if demand.status == Status.CONTACTED:
            demand.due_at = demand.feedback_due_at
            demand.overdue_since = demand.reminded_at = None
    demand.extension_requested_until, demand.extension_reason = None, ""
    demand.save()
    record_event(
        by=by,
        verb="approve_extension" if approve else "refuse_extension",
        target=demand,
        at=_now(now),
        changes={
            "feedback_due_at": [
                old_due.isoformat() if old_due else None,
                demand.feedback_due_at.isoformat() if demand.feedback_due_at else None,
            ]
        },
        place_path=demand.place_path,
    )
    verb = "extension_approved" if approve else "extension_refused"
    notices.demand_to_unit(demand, verb=verb, by=by)
    return demand


@transaction.atomic
def reply_demand(demand: Demand, *, by: Any, reply: str, now: datetime | None = None) -> Demand:
    """The unit's written answer on what was done; the requester then evaluates it."""
    demand = _locked(demand)
    reply = _text(reply, "reply")
    old, new = _move(demand, "reply_demand")
    demand.reply, demand.replied_at = reply, _now(now)
    demand.due_at = demand.reminded_at = demand.overdue_since = None
    demand.extension_requested_until, demand.extension_reason = None, ""  # moot once replied
    demand.save()
    _log(demand, by=by, verb="reply_demand", old=old, new=new, at=demand.replied_at, note=reply)
    notices.demand_to_requester(demand, verb="demand_replied", by=by)
    return demand


@transaction.atomic
def evaluate_demand(
    demand: Demand,
    *,
    by: Any,
    resolved: bool,
    satisfaction: str,
    comment: str = "",
    now: datetime | None = None,
) -> Demand:
    """The requester's call-back evaluation: resolved or not; satisfied, basically, not."""
    demand = _locked(demand)
    if satisfaction not in Satisfaction.values:
        raise BadInput(_("Choose how satisfied you are."), field="satisfaction")
    comment = _text(comment, "comment", required=False)
    old, new = _move(demand, "evaluate_demand")
    at = _now(now)
    demand.resolved, demand.satisfaction, demand.evaluation_comment = (
        resolved,
        satisfaction,
        comment,
    )
    demand.evaluated_at = demand.closed_at = at
    demand.save()
    rates.record_evaluation(demand)
    _log(
        demand, by=by, verb="evaluate_demand", old=old, new=new, at=at,
        resolved=resolved, satisfaction=satisfaction,
    )  # fmt: skip
    return demand


@transaction.atomic
def reopen_demand(demand: Demand, *, by: Any, reason: str, now: datetime | None = None) -> Demand:
    """Not solved after all: back to be dispatched again. An earlier evaluation is taken
    back from the rates (the next one will count)."""
    demand = _locked(demand)
    reason = _text(reason, "reason")
    old, new = _move(demand, "reopen_demand")
    if demand.evaluated_at is not None:
        rates.record_evaluation(demand, sign=-1)
    demand.resolved, demand.satisfaction, demand.evaluation_comment = None, "", ""
    demand.evaluated_at = demand.closed_at = None
    demand.assignee = None
    demand.due_at = None
    demand.times_reopened += 1
    demand.save()
    _log(demand, by=by, verb="reopen_demand", old=old, new=new, at=_now(now), note=reason)
    return demand


@transaction.atomic
def close_demand(demand: Demand, *, by: Any, now: datetime | None = None) -> Demand:
    """Close a replied demand that the requester did not evaluate."""
    demand = _locked(demand)
    old, new = _move(demand, "close_demand")
    demand.closed_at, demand.due_at = _now(now), None
    demand.save()
    _log(demand, by=by, verb="close_demand", old=old, new=new, at=demand.closed_at)
    return demand
