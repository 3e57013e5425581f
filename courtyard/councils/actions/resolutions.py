"""Resolutions: signatures, publication (公示) with objections, effect, follow-up tasks
(optionally dispatched as demands, so that the demands' clocks apply) and evaluation (民评)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from courtyard.core.errors import BadInput, Conflict, NotAllowed
from courtyard.councils.actions._common import (
    TITLE_MAX,
    check_moment,
    clean_text,
    locked,
    log,
    now_or,
    require_status,
)
from courtyard.councils.models import (
    CouncilMember,
    Evaluation,
    FollowUpTask,
    Objection,
    Rating,
    Resolution,
    ResolutionStatus,
    Signature,
    TaskStatus,
)
from courtyard.demands.clock import add_time
from courtyard.notifications import events as notices
from courtyard.organizations.models import Organization

CARRIED_OUT = frozenset({ResolutionStatus.IN_EFFECT, ResolutionStatus.DONE})


def _lock(resolution: Resolution) -> Resolution:
    return (
        Resolution.objects.select_for_update(of=("self",))
        .select_related("council", "motion__meeting")
        .get(pk=resolution.pk)
    )


def _sign(
    resolution: Resolution, member: CouncilMember, *, by: Any, recorded: bool, at: datetime
) -> Signature:
    resolution = _lock(resolution)
    require_status(
        resolution,
        {ResolutionStatus.DRAFT, ResolutionStatus.PUBLISHED},
        _("This resolution is %(status)s: it takes no more signatures."),
    )
    if member.council_id != resolution.council_id or member.left_at is not None:
        raise NotAllowed(_("Only members of the council sign its resolutions."))
    try:
        with transaction.atomic():
            signature = Signature.objects.create(
                resolution=resolution,
                member=member,
                signed_at=at,
                recorded_by=by if recorded else None,
            )
    except IntegrityError as exc:
        raise Conflict(_("%(name)s has already signed.") % {"name": member.display_name}) from exc
    Resolution.objects.filter(pk=resolution.pk).update(signature_count=F("signature_count") + 1)
    log(
        resolution,
        by=by,
        verb="resolution_signed",
        at=at,
        member=member.pk,
        recorded=recorded or None,
    )
    return signature


@transaction.atomic
def sign_resolution(resolution: Resolution, *, by: Any, now: datetime | None = None) -> Signature:
    """A member confirms the resolution in person."""
    member = (
        CouncilMember.objects.current().held_by(by).filter(council_id=resolution.council_id).first()
    )
    if member is None:
        raise NotAllowed(_("Only members of the council sign its resolutions."))
    return _sign(resolution, member, by=by, recorded=False, at=now_or(now))


@transaction.atomic
def record_signature(
    resolution: Resolution, *, by: Any, member: CouncilMember, now: datetime | None = None
) -> Signature:
    """The secretary records a signature made on the paper minutes."""
    return _sign(resolution, member, by=by, recorded=True, at=now_or(now))


def signatures_needed(resolution: Resolution) -> int:
    """More than half of the members present at the meeting that passed it (or of the
    council's current members, for a vote held without a meeting)."""
    motion = resolution.motion
    if motion is not None and motion.meeting.attendance.exists():
        base = motion.meeting.attendance.count()
    else:
        base = resolution.council.members.current().count()
    return base // 2 + 1


@transaction.atomic
def publish_resolution(
    resolution: Resolution, *, by: Any, now: datetime | None = None
) -> Resolution:
    """Publish (公示) for the charter's publication period; objections are open for the
    objection window. Needs the members' signatures first."""
    resolution = _lock(resolution)
    require_status(
        resolution,
        {ResolutionStatus.DRAFT},
        _("This resolution is %(status)s: it cannot be published."),
    )
    needed = signatures_needed(resolution)
    if resolution.signature_count < needed:
        raise Conflict(
            _("%(needed)d members must sign before publication; %(count)d have.")
            % {"needed": needed, "count": resolution.signature_count}
        )
    at = now_or(now)
    council = resolution.council
    resolution.status = ResolutionStatus.PUBLISHED
    resolution.published_at = at
    resolution.publication_ends_at = add_time(
        at, timedelta(days=council.publication_working_days), working_days=True
    )
    resolution.objection_ends_at = at + timedelta(days=council.objection_days)
    resolution.objection_threshold = council.objection_threshold
    resolution.save()
    log(
        resolution,
        by=by,
        verb="resolution_published",
        at=at,
        status=[ResolutionStatus.DRAFT, resolution.status],
        objections_until=resolution.objection_ends_at.isoformat(),
    )
    notices.resolution_to_members(resolution, verb="resolution_published", by=by)
    return resolution


def is_affected(user: Any, resolution: Resolution) -> bool:
    """Residents whose home lies within the council's place, and its members."""
    home = getattr(user, "home", None)
    if home is not None and home.path.startswith(resolution.place_path):
        return True
    return CouncilMember.objects.is_seated(user, resolution.council_id)


@transaction.atomic
def object_to_resolution(
    resolution: Resolution, *, by: Any, reason: str, now: datetime | None = None
) -> Objection:
    """An affected resident objects, once, within the window. Reaching the charter's
    threshold sends the resolution back to the council at once."""
    reason = clean_text(reason, "reason", limit=2000)
    resolution = _lock(resolution)
    at = now_or(now)
    if not resolution.objections_open(at):
        raise Conflict(_("Objections to this resolution are not open now."))
    if not is_affected(by, resolution):
        raise NotAllowed(
            _("Only residents of %(place)s may object.") % {"place": resolution.council.place}
        )
    try:
        with transaction.atomic():
            objection = Objection.objects.create(
                resolution=resolution, user=by, reason=reason, created_at=at
            )
    except IntegrityError as exc:
        raise Conflict(_("You have already objected to this resolution.")) from exc
    resolution.objection_count += 1
    resolution.save(update_fields=["objection_count"])
    log(resolution, by=by, verb="objection_filed", at=at, objections=resolution.objection_count)
    if resolution.objection_count >= resolution.objection_threshold:
        resolution.status = ResolutionStatus.RETURNED
        resolution.returned_at = at
        resolution.save(update_fields=["status", "returned_at"])
        log(
            resolution,
            by=None,
            verb="resolution_returned",
            at=at,
            status=[ResolutionStatus.PUBLISHED, resolution.status],
        )
        notices.resolution_to_members(resolution, verb="resolution_returned", by=by)
    return objection


def take_effect(resolution: Resolution, *, now: datetime) -> bool:
    """Put a published resolution in effect once both periods are over; a conditional
    update, so that several sweepers never double-apply. True when this call did it."""
    claimed = Resolution.objects.filter(
        pk=resolution.pk,
        status=ResolutionStatus.PUBLISHED,
        publication_ends_at__lte=now,
        objection_ends_at__lte=now,
    ).update(status=ResolutionStatus.IN_EFFECT, took_effect_at=now)
    if claimed:
        log(
            resolution,
            by=None,
            verb="resolution_in_effect",
            at=now,
            status=[ResolutionStatus.PUBLISHED, ResolutionStatus.IN_EFFECT],
        )
    return bool(claimed)


@transaction.atomic
def add_task(
    resolution: Resolution,
    *,
    by: Any,
    title: str,
    due_at: datetime,
    owner: Any = None,
    organization: Organization | None = None,
    now: datetime | None = None,
) -> FollowUpTask:
    """A task that carries out a resolution in effect, with an owner and a deadline."""
    resolution = _lock(resolution)
    require_status(
        resolution,
        CARRIED_OUT,
        _("This resolution is %(status)s: tasks follow once it is in effect."),
    )
    if owner is None and organization is None:
        raise BadInput(_("Name who is responsible: a person or a unit."), field="owner")
    check_moment(due_at, "due_at")
    if organization is not None and not _of_the_district(resolution, organization):
        raise BadInput(_("Choose a unit of this district."), field="organization")
    at = now_or(now)
    if due_at <= at:
        raise BadInput(_("The deadline must be in the future."), field="due_at")
    task = FollowUpTask.objects.create(
        resolution=resolution,
        title=clean_text(title, "title", limit=TITLE_MAX),
        owner=owner,
        organization=organization,
        due_at=due_at,
        created_at=at,
    )
    if resolution.status == ResolutionStatus.DONE:  # more work: not done any more
        resolution.status, resolution.done_at = ResolutionStatus.IN_EFFECT, None
        resolution.save(update_fields=["status", "done_at"])
    log(resolution, by=by, verb="task_added", at=at, task=task.title, due=due_at.isoformat())
    return task


def _of_the_district(resolution: Resolution, unit: Organization) -> bool:
    """A unit a task may name or be dispatched to: an active one of the council's district,
    as for any demand dispatched by hand (`demands.routing.dispatch_candidates`) — a unit
    elsewhere would see work, and requesters, that are not its own."""
    from courtyard.demands.routing import dispatch_candidates

    return dispatch_candidates(resolution).filter(pk=unit.pk).exists()


def _finish_if_all_done(resolution: Resolution, at: datetime) -> None:
    if not resolution.tasks.filter(status__in=[TaskStatus.OPEN, TaskStatus.DISPATCHED]).exists():
        resolution.status, resolution.done_at = ResolutionStatus.DONE, at
        resolution.save(update_fields=["status", "done_at"])
        log(
            resolution,
            by=None,
            verb="resolution_done",
            at=at,
            status=[ResolutionStatus.IN_EFFECT, resolution.status],
        )


@transaction.atomic
def complete_task(
    task: FollowUpTask, *, by: Any, note: str = "", now: datetime | None = None
) -> FollowUpTask:
    task = locked(task)
    require_status(task, {TaskStatus.OPEN, TaskStatus.DISPATCHED}, _("This task is %(status)s."))
    at = now_or(now)
    old = task.status
    task.status, task.done_at = TaskStatus.DONE, at
    task.note = clean_text(note, "note", required=False, limit=2000)
    task.save(update_fields=["status", "done_at", "note"])
    resolution = _lock(task.resolution)
    log(resolution, by=by, verb="task_done", at=at, task=task.title, status=[old, task.status])
    _finish_if_all_done(resolution, at)
    return task


@transaction.atomic
def dispatch_task(
    task: FollowUpTask,
    *,
    by: Any,
    category: Any,
    organization: Organization | None = None,
    now: datetime | None = None,
) -> FollowUpTask:
    """Turn the task into a demand at the council's place, accepted and dispatched (to
    `organization` or by the responsibility table): the demands' clocks then apply."""
    from courtyard.demands import actions as demand_actions
    from courtyard.demands.models import Channel

    task = (
        FollowUpTask.objects.select_for_update(of=("self",))
        .select_related("resolution__council__place")
        .get(pk=task.pk)
    )
    require_status(task, {TaskStatus.OPEN}, _("This task is %(status)s: it cannot be dispatched."))
    at = now_or(now)
    resolution = task.resolution
    unit = organization or task.organization
    if unit is not None and not _of_the_district(resolution, unit):
        raise BadInput(_("Choose a unit of this district."), field="organization")
    demand = demand_actions.submit_demand(
        by=by,
        channel=Channel.COUNCIL,
        place=resolution.council.place,
        category=category,
        description=_("Resolution “%(resolution)s”: %(task)s")
        % {"resolution": resolution.title, "task": task.title},
        requester=by,
        submitted_at=at,
    )
    demand_actions.accept_demand(demand, by=by, now=at)
    demand_actions.dispatch_demand(demand, by=by, organization=unit, now=at)
    task.status, task.demand = TaskStatus.DISPATCHED, demand
    task.save(update_fields=["status", "demand"])
    log(resolution, by=by, verb="task_dispatched", at=at, task=task.title, demand=demand.pk)
    return task


def may_evaluate(user: Any, resolution: Resolution) -> bool:
    """The proposer of the resolution's proposal, and the council's members, evaluate it."""
    proposal = resolution.proposal
    if proposal is not None and proposal.proposer_id == getattr(user, "pk", None):
        return True
    return CouncilMember.objects.is_seated(user, resolution.council_id)


@transaction.atomic
def evaluate_resolution(
    resolution: Resolution, *, by: Any, rating: str, comment: str = "", now: datetime | None = None
) -> Evaluation:
    """The proposer, or a member, rates how the resolution was carried out (民评), once."""
    if rating not in Rating.values:
        raise BadInput(_("Choose satisfied, basically satisfied or not satisfied."), field="rating")
    resolution = _lock(resolution)
    require_status(
        resolution, CARRIED_OUT, _("This resolution is %(status)s: it is evaluated once in effect.")
    )
    if not may_evaluate(by, resolution):
        raise NotAllowed(_("The proposer and the council's members evaluate a resolution."))
    at = now_or(now)
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(
                resolution=resolution,
                user=by,
                rating=rating,
                comment=clean_text(comment, "comment", required=False, limit=2000),
                created_at=at,
            )
    except IntegrityError as exc:
        raise Conflict(_("You have already evaluated this resolution.")) from exc
    log(resolution, by=by, verb="resolution_evaluated", at=at, rating=rating)
    return evaluation
