"""Resolutions in the API: /api/v1/resolutions …, their signatures, publication (公示),
objections, follow-up tasks (/api/v1/tasks/{id}/…) and evaluations (民评).

- Published and later resolutions of a visible council are public with their progress
  (tasks done of all) and the number of objections; drafts are for the council's members
  and the staff over the place (404 for anyone else).
- Objectors' identities and reasons, and the names of the people owning tasks, are for the
  staff over the place only (a task's owner also sees their own name); the public reads
  counts and the responsible unit.
- Signing is for members (`councils.sign`), recording a paper signature for those who run
  the meetings, publishing, adding and dispatching tasks for the staff over the place;
  objecting and evaluating need an account (the actions check who is affected, who
  proposed, who sits on the council: 403 otherwise).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status as HttpStatus

from courtyard.core.api import page_response
from courtyard.core.errors import BadInput
from courtyard.councils import actions
from courtyard.councils.api.common import (
    LIST,
    READ,
    STEP,
    PageParams,
    account,
    allow,
    named,
    organization_named,
    utc,
    visible,
)
from courtyard.councils.models import (
    Council,
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
from courtyard.demands.models import ServiceCategory
from courtyard.places.models import Place

router = Router(tags=["councils"])


class ResolutionOut(Schema):
    id: int
    council_id: int
    council_name: str
    vote_id: int | None
    motion_id: int | None
    proposal_id: int | None
    title: str
    text: str
    status: ResolutionStatus
    created_at: datetime
    signature_count: int
    published_at: datetime | None
    publication_ends_at: datetime | None
    objection_ends_at: datetime | None
    objections_open: bool
    objection_threshold: int
    objection_count: int
    took_effect_at: datetime | None
    returned_at: datetime | None
    done_at: datetime | None
    tasks_total: int
    tasks_done: int


class SignatureOut(Schema):
    member_id: int
    name: str
    signed_at: datetime
    on_paper: bool = Field(..., description="Recorded by the secretary from the paper minutes")


class TaskOut(Schema):
    id: int
    title: str
    owner_name: str | None = Field(..., description="Staff over the place and the owner only")
    organization_id: int | None
    organization_name: str | None
    due_at: datetime
    status: TaskStatus
    demand_id: int | None = Field(..., description="The demand it was dispatched as")
    created_at: datetime
    done_at: datetime | None
    note: str


class ObjectionOut(Schema):
    name: str
    reason: str
    created_at: datetime


class ResolutionDetailOut(ResolutionOut):
    signatures_needed: int = Field(..., description="More than half of the members present")
    signatures: list[SignatureOut]
    tasks: list[TaskOut]
    evaluations: dict[Rating, int] = Field(..., description="How many rated it how (民评)")
    objections: list[ObjectionOut] | None = Field(
        ..., description="Who objected and why: the staff over the place only"
    )


class ResolutionPage(Schema):
    items: list[ResolutionOut]
    next_cursor: str | None


class ResolutionFilters(PageParams):
    council: int | None = None
    place: int | None = Field(None, description="Only resolutions within this place id")
    status: ResolutionStatus | None = None


class MemberIn(Schema):
    member: int = Field(..., description="The id of the council member who signed on paper")


class ReasonIn(Schema):
    reason: str


class TaskIn(Schema):
    title: str
    due_at: datetime
    owner: int | None = Field(None, description="The id of the responsible person's account")
    organization: int | None = Field(None, description="The id of the responsible unit")


class NoteIn(Schema):
    note: str = ""


class DispatchIn(Schema):
    category: str = Field(..., max_length=32, description="The demand's service_code")
    organization: int | None = Field(None, description="Empty: the task's unit, or the table")


class EvaluationIn(Schema):
    rating: Rating
    comment: str = ""


def _out(resolution: Resolution, now: datetime) -> dict[str, Any]:
    return {
        "id": resolution.pk,
        "council_id": resolution.council_id,
        "council_name": resolution.council.name,
        "vote_id": resolution.vote_id,
        "motion_id": resolution.motion_id,
        "proposal_id": resolution.proposal_id,
        "title": resolution.title,
        "text": resolution.text,
        "status": resolution.status,
        "created_at": utc(resolution.created_at),
        "signature_count": resolution.signature_count,
        "published_at": utc(resolution.published_at),
        "publication_ends_at": utc(resolution.publication_ends_at),
        "objection_ends_at": utc(resolution.objection_ends_at),
        "objections_open": resolution.objections_open(now),
        "objection_threshold": resolution.objection_threshold,
        "objection_count": resolution.objection_count,
        "took_effect_at": utc(resolution.took_effect_at),
        "returned_at": utc(resolution.returned_at),
        "done_at": utc(resolution.done_at),
        "tasks_total": resolution.tasks_total,  # type: ignore[attr-defined]
        "tasks_done": resolution.tasks_done,  # type: ignore[attr-defined]
    }


def _task_out(task: FollowUpTask, user: Any, staff: bool) -> dict[str, Any]:
    owner = task.owner
    see_owner = owner is not None and (staff or owner.pk == getattr(user, "pk", None))
    org = task.organization
    return {
        "id": task.pk,
        "title": task.title,
        "owner_name": (owner.display_name or owner.get_username()) if see_owner else None,  # type: ignore[union-attr]
        "organization_id": task.organization_id,
        "organization_name": org.display_name if org else None,
        "due_at": utc(task.due_at),
        "status": task.status,
        "demand_id": task.demand_id,
        "created_at": utc(task.created_at),
        "done_at": utc(task.done_at),
        "note": task.note,
    }


def _readable(user: Any) -> Any:
    return (
        Resolution.objects.visible_to(user)
        .select_related("council")
        .annotate(
            tasks_total=Count("tasks", distinct=True),
            tasks_done=Count("tasks", filter=Q(tasks__status=TaskStatus.DONE), distinct=True),
        )
    )


def _detail(request: HttpRequest, resolution_id: int) -> dict[str, Any]:
    """The resolution with signatures, tasks and evaluations: a fixed number of queries."""
    user = request.user
    tasks = FollowUpTask.objects.select_related("owner", "organization").order_by("due_at", "id")
    signatures = Signature.objects.select_related("member__user").order_by("signed_at", "id")
    resolution = visible(
        _readable(user)
        .select_related("motion__meeting")
        .prefetch_related(
            Prefetch("tasks", queryset=tasks), Prefetch("signatures", queryset=signatures)
        ),
        resolution_id,
    )
    staff = user.has_perm("councils.manage", resolution)
    ratings = Counter(
        Evaluation.objects.filter(resolution=resolution).values_list("rating", flat=True)
    )
    objections = None
    if staff:
        rows = Objection.objects.filter(resolution=resolution).select_related("user")
        objections = [
            {
                "name": o.user.display_name or o.user.get_username(),
                "reason": o.reason,
                "created_at": utc(o.created_at),
            }
            for o in rows.order_by("created_at", "id")
        ]
    return {
        **_out(resolution, timezone.now()),
        "signatures_needed": actions.signatures_needed(resolution),
        "signatures": [
            {
                "member_id": s.member_id,
                "name": s.member.display_name,
                "signed_at": utc(s.signed_at),
                "on_paper": s.recorded_by_id is not None,
            }
            for s in resolution.signatures.all()
        ],
        "tasks": [_task_out(t, user, staff) for t in resolution.tasks.all()],
        "evaluations": {rating: ratings.get(rating, 0) for rating in Rating.values},
        "objections": objections,
    }


def _resolution(request: HttpRequest, resolution_id: int, perm: str) -> Resolution:
    resolution = visible(Resolution.objects.visible_to(request.user), resolution_id)
    allow(request, perm, resolution)
    return resolution


def _task(request: HttpRequest, task_id: int) -> FollowUpTask:
    resolutions = Resolution.objects.visible_to(request.user)
    return visible(
        FollowUpTask.objects.filter(resolution__in=resolutions).select_related("resolution"),
        task_id,
    )


@router.get(
    "/resolutions",
    response={200: ResolutionPage, **LIST},
    summary="Resolutions the caller may see, newest first",
)
def list_resolutions(request: HttpRequest, filters: Query[ResolutionFilters]) -> Any:
    qs = _readable(request.user)
    if filters.council is not None:
        qs = qs.filter(
            council=get_object_or_404(Council.objects.visible_to(request.user), pk=filters.council)
        )
    if filters.place is not None:
        place = get_object_or_404(Place, pk=filters.place)
        qs = qs.filter(council__in=Council.objects.within(place))
    if filters.status:
        qs = qs.filter(status=filters.status)
    page = page_response(qs, filters.cursor, filters.limit, ("-id",))
    now = timezone.now()
    page["items"] = [_out(r, now) for r in page["items"]]
    return page


@router.get(
    "/resolutions/{resolution_id}",
    response={200: ResolutionDetailOut, **READ},
    summary="One resolution with its signatures, tasks and evaluations",
)
def get_resolution(request: HttpRequest, resolution_id: int) -> Any:
    return _detail(request, resolution_id)


@router.post(
    "/resolutions/{resolution_id}/sign",
    response={200: ResolutionDetailOut, **STEP},
    summary="Sign the resolution (a member, in person)",
)
def sign_resolution(request: HttpRequest, resolution_id: int) -> Any:
    resolution = _resolution(request, resolution_id, "councils.sign")
    actions.sign_resolution(resolution, by=request.user)
    return _detail(request, resolution_id)


@router.post(
    "/resolutions/{resolution_id}/signatures",
    response={200: ResolutionDetailOut, **STEP},
    summary="Record a signature made on the paper minutes (the secretary)",
)
def record_signature(request: HttpRequest, resolution_id: int, payload: MemberIn) -> Any:
    resolution = _resolution(request, resolution_id, "councils.run_meeting")
    member = named(
        CouncilMember.objects.filter(council_id=resolution.council_id),
        payload.member,
        field="member",
        missing=_("This person is not a member of the council."),
    )
    actions.record_signature(resolution, by=request.user, member=member)
    return _detail(request, resolution_id)


@router.post(
    "/resolutions/{resolution_id}/publish",
    response={200: ResolutionDetailOut, **STEP},
    summary="Publish for objections (公示; the staff over the place)",
)
def publish_resolution(request: HttpRequest, resolution_id: int) -> Any:
    resolution = _resolution(request, resolution_id, "councils.manage")
    actions.publish_resolution(resolution, by=request.user)
    return _detail(request, resolution_id)


@router.post(
    "/resolutions/{resolution_id}/objections",
    response={201: ResolutionDetailOut, **STEP},
    summary="Object within the window (residents of the place and members, once)",
)
def object_to_resolution(request: HttpRequest, resolution_id: int, payload: ReasonIn) -> Any:
    resolution = _resolution(request, resolution_id, "councils.object")
    actions.object_to_resolution(resolution, by=request.user, reason=payload.reason)
    return HttpStatus(201, _detail(request, resolution_id))


@router.post(
    "/resolutions/{resolution_id}/tasks",
    response={201: ResolutionDetailOut, **STEP},
    summary="Add a follow-up task with a person or unit responsible and a deadline",
)
def add_task(request: HttpRequest, resolution_id: int, payload: TaskIn) -> Any:
    resolution = _resolution(request, resolution_id, "councils.manage")
    owner = account(payload.owner, field="owner")
    organization = organization_named(payload.organization)
    actions.add_task(
        resolution,
        by=request.user,
        title=payload.title,
        due_at=payload.due_at,
        owner=owner,
        organization=organization,
    )
    return HttpStatus(201, _detail(request, resolution_id))


@router.post(
    "/tasks/{task_id}/complete",
    response={200: ResolutionDetailOut, **STEP},
    summary="Mark a task done (its owner, or the staff over the place)",
)
def complete_task(request: HttpRequest, task_id: int, payload: NoteIn) -> Any:
    task = _task(request, task_id)
    allow(request, "councils.complete_task", task)
    actions.complete_task(task, by=request.user, note=payload.note)
    return _detail(request, task.resolution_id)


@router.post(
    "/tasks/{task_id}/dispatch",
    response={200: ResolutionDetailOut, **STEP},
    summary="Dispatch a task as a demand (the demands' clocks then apply)",
)
def dispatch_task(request: HttpRequest, task_id: int, payload: DispatchIn) -> Any:
    task = _task(request, task_id)
    allow(request, "councils.manage", task.resolution)
    category = ServiceCategory.objects.active().filter(service_code=payload.category).first()
    if category is None:
        raise BadInput(_("There is no such service category."), field="category")
    organization = organization_named(payload.organization)
    actions.dispatch_task(task, by=request.user, category=category, organization=organization)
    return _detail(request, task.resolution_id)


@router.post(
    "/resolutions/{resolution_id}/evaluations",
    response={201: ResolutionDetailOut, **STEP},
    summary="Evaluate how it was carried out (民评: the proposer and the members, once)",
)
def evaluate_resolution(request: HttpRequest, resolution_id: int, payload: EvaluationIn) -> Any:
    resolution = _resolution(request, resolution_id, "councils.evaluate")
    actions.evaluate_resolution(
        resolution, by=request.user, rating=payload.rating, comment=payload.comment
    )
    return HttpStatus(201, _detail(request, resolution_id))
