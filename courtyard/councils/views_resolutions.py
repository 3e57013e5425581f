"""Resolution pages: a council's resolutions and a resolution's page — its text and status,
the signatures (members sign here), publication (staff), the publication and objection
dates, the objection form for affected residents (the count is public, the objectors' names
only for the staff over the place), the follow-up tasks (add, complete, dispatch as a
demand) and the evaluation (民评) with its summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django_stubs_ext import StrOrPromise

from courtyard.core.http import AuthedRequest, Request
from courtyard.core.pagination import keyset_page
from courtyard.councils import actions
from courtyard.councils.actions.resolutions import CARRIED_OUT
from courtyard.councils.forms_public import (
    ActionForm,
    CompleteTaskForm,
    DispatchTaskForm,
    EvaluationForm,
    NoFieldsForm,
    ObjectionForm,
    RecordSignatureForm,
    TaskForm,
    listed_categories,
    listed_units,
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
from courtyard.councils.views_public import (
    panel_form,
    perform,
    refused_elsewhere,
    with_progress,
)
from courtyard.demands.routing import dispatch_candidates
from courtyard.organizations.models import handled_organizations

SIGNING = {ResolutionStatus.DRAFT, ResolutionStatus.PUBLISHED}


@dataclass(frozen=True)
class Step:
    slug: str  # URL part and name: councils:resolution-<slug>
    perm: str  # the rules permission checked on the resolution
    form: type[ActionForm]
    title: StrOrPromise
    button: StrOrPromise
    done: StrOrPromise
    run: Callable[[Resolution, Any, Any], Any]  # (resolution, user, form) → one action


STEPS: dict[str, Step] = {
    step.slug: step
    for step in [
        Step(
            "sign", "councils.sign", NoFieldsForm,
            _("Sign the resolution"), _("Sign"), _("Your signature is recorded."),
            lambda r, u, f: actions.sign_resolution(r, by=u),
        ),
        Step(
            "record-signature", "councils.run_meeting", RecordSignatureForm,
            _("Record a signature from the paper minutes"), _("Record the signature"),
            _("The signature is recorded."),
            lambda r, u, f: actions.record_signature(r, by=u, member=f.cleaned_data["member"]),
        ),
        Step(
            "publish", "councils.manage", NoFieldsForm,
            _("Publish for objections"), _("Publish"), _("The resolution is published."),
            lambda r, u, f: actions.publish_resolution(r, by=u),
        ),
        Step(
            "object", "councils.object", ObjectionForm,
            _("Object to this resolution"), _("Send my objection"),
            _("Your objection is recorded."),
            lambda r, u, f: actions.object_to_resolution(r, by=u, reason=f.cleaned_data["reason"]),
        ),
        Step(
            "evaluate", "councils.evaluate", EvaluationForm,
            _("How was it carried out?"), _("Send my evaluation"),
            _("Thank you: your evaluation is recorded."),
            lambda r, u, f: actions.evaluate_resolution(
                r, by=u, rating=f.cleaned_data["rating"], comment=f.cleaned_data["comment"]
            ),
        ),
        Step(
            "task-add", "councils.manage", TaskForm,
            _("Add a follow-up task"), _("Add the task"), _("The task is added."),
            lambda r, u, f: actions.add_task(
                r, by=u, title=f.cleaned_data["title"], due_at=f.due_at(),
                owner=f.cleaned_data["owner"], organization=f.cleaned_data["organization"],
            ),
        ),
    ]
}  # fmt: skip


def _visible_resolution(request: Request, pk: int) -> Resolution:
    return get_object_or_404(
        Resolution.objects.visible_to(request.user).select_related(
            "council__place", "proposal", "motion__meeting"
        ),
        pk=pk,
    )


def _task_units(resolution: Resolution) -> Any:
    """Units a task may name: the active organizations of the council's district (the
    action's rule, as for demands dispatched by hand)."""
    return dispatch_candidates(resolution)


# ── A council's resolutions ──────────────────────────────────────────────────────────────


@require_GET
def resolution_list(request: Request, pk: int) -> HttpResponse:
    """The resolutions of a council the viewer may see, newest first, with their progress."""
    council = get_object_or_404(
        Council.objects.visible_to(request.user).select_related("place"), pk=pk
    )
    page = keyset_page(
        with_progress(Resolution.objects.visible_to(request.user).filter(council=council)),
        cursor=request.GET.get("cursor"),
        size=settings.PAGE_SIZE,
        order=("-created_at", "-pk"),
    )
    context = {"council": council, "page": page, "query": ""}
    template = (
        "councils/resolution_list_rows.html" if request.htmx else "councils/resolution_list.html"
    )
    return render(request, template, context)


# ── A resolution's page ──────────────────────────────────────────────────────────────────


def _offered(
    step: Step,
    resolution: Resolution,
    user: Any,
    *,
    signed: bool,
    evaluated: bool,
    objected: bool,
) -> bool:
    """Whether the page offers the step now (the action decides in the end)."""
    status = resolution.status
    if step.slug == "sign":
        return status in SIGNING and not signed
    if step.slug == "record-signature":
        return status in SIGNING
    if step.slug == "publish":
        return status == ResolutionStatus.DRAFT
    if step.slug == "object":  # once per person (a database constraint)
        return (
            resolution.objections_open() and not objected and actions.is_affected(user, resolution)
        )
    if step.slug == "evaluate":
        return status in CARRIED_OUT and not evaluated and actions.may_evaluate(user, resolution)
    return status in CARRIED_OUT  # task-add


def _unsigned_members(resolution: Resolution, signatures: list[Signature]) -> list[CouncilMember]:
    """Current members who have not signed yet (the secretary may record them)."""
    signed = {s.member_id for s in signatures}
    members = (
        CouncilMember.objects.current()
        .filter(council_id=resolution.council_id)
        .select_related("user")
        .order_by("pk")
    )
    return [m for m in members if m.pk not in signed]


def _tasks(
    request: Request, resolution: Resolution, *, can_manage: bool, bound: ActionForm | None
) -> list[dict[str, Any]]:
    """Each task with the forms the viewer may use on it (a fixed number of queries)."""
    user = request.user
    tasks = list(
        FollowUpTask.objects.filter(resolution=resolution)
        .select_related("organization", "owner")
        .order_by("due_at", "pk")
    )
    handled: set[int] = set()
    if user.is_authenticated and not can_manage:
        handled = set(handled_organizations(user).values_list("pk", flat=True))
    units = categories = None
    rows = []
    for task in tasks:
        open_ = task.status in (TaskStatus.OPEN, TaskStatus.DISPATCHED)
        may_complete = open_ and (
            can_manage
            or (user.is_authenticated and task.owner_id == user.pk)
            or task.organization_id in handled
        )
        complete = dispatch = None
        if may_complete:
            complete = panel_form(bound, f"task-{task.pk}-complete", CompleteTaskForm)
        if can_manage and task.status == TaskStatus.OPEN:
            if units is None:
                units = listed_units(dispatch_candidates(resolution))
                categories = listed_categories()
            dispatch = panel_form(
                bound,
                f"task-{task.pk}-dispatch",
                DispatchTaskForm,
                candidates=dispatch_candidates(resolution),
            )
            dispatch.offer(units, categories or [])
        rows.append(
            {
                "task": task,
                "show_owner": can_manage or task.owner_id == user.pk,
                "complete": complete,
                "dispatch": dispatch,
            }
        )
    return rows


def _render_resolution(
    request: Request,
    resolution: Resolution,
    *,
    bound: ActionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    can_manage = user.has_perm("councils.manage", resolution)
    signatures = list(
        Signature.objects.filter(resolution=resolution)
        .select_related("member__user")
        .order_by("signed_at", "pk")
    )
    signed = any(s.member.user_id == user.pk for s in signatures)
    evaluated = bool(user.is_authenticated) and (
        Evaluation.objects.filter(resolution=resolution, user_id=user.pk or 0).exists()
    )
    objected = (
        bool(user.is_authenticated)
        and resolution.status == ResolutionStatus.PUBLISHED
        and Objection.objects.filter(resolution=resolution, user_id=user.pk or 0).exists()
    )
    allowed: dict[str, bool] = {}
    panels: list[dict[str, Any]] = []
    if user.is_authenticated:
        for step in STEPS.values():
            if step.perm not in allowed:
                allowed[step.perm] = user.has_perm(step.perm, resolution)
            if not allowed[step.perm]:
                continue
            if not _offered(
                step, resolution, user, signed=signed, evaluated=evaluated, objected=objected
            ):
                continue
            if step.form is TaskForm:
                candidates = _task_units(resolution)
                form: ActionForm = panel_form(bound, step.slug, TaskForm, candidates=candidates)
                form.offer(listed_units(candidates))  # type: ignore[attr-defined]
            elif step.form is RecordSignatureForm:
                unsigned = _unsigned_members(resolution, signatures)
                if not unsigned:
                    continue
                form = panel_form(bound, step.slug, RecordSignatureForm, members=unsigned)
            else:
                form = panel_form(bound, step.slug, step.form)
            url = reverse(f"councils:resolution-{step.slug}", args=[resolution.pk])
            panels.append({"step": step, "form": form, "url": url})
    tasks = _tasks(request, resolution, can_manage=can_manage, bound=bound)
    counts = dict(
        Evaluation.objects.filter(resolution=resolution)
        .values_list("rating")
        .annotate(n=Count("pk"))
        .values_list("rating", "n")
    )
    shown = {p["step"].slug for p in panels} | {
        f"task-{row['task'].pk}-{kind}"
        for row in tasks
        for kind in ("complete", "dispatch")
        if row[kind] is not None
    }
    context = {
        "resolution": resolution,
        "council": resolution.council,
        "can_manage": can_manage,
        "objected": objected,
        "signatures": signatures,
        "signatures_needed": actions.signatures_needed(resolution)
        if resolution.status == ResolutionStatus.DRAFT
        else None,
        "objections": list(
            Objection.objects.filter(resolution=resolution)
            .select_related("user")
            .order_by("created_at", "pk")
        )
        if can_manage
        else [],
        "tasks": tasks,
        "tasks_done": sum(1 for row in tasks if row["task"].status == TaskStatus.DONE),
        "tasks_total": sum(1 for row in tasks if row["task"].status != TaskStatus.CANCELLED),
        "ratings": [(label, counts.get(value, 0)) for value, label in Rating.choices],
        "evaluation_count": sum(counts.values()),
        "comments": list(
            Evaluation.objects.filter(resolution=resolution)
            .exclude(comment="")
            .order_by("created_at", "pk")[:50]
        )
        if can_manage
        else [],
        "panels": panels,
        "refused": refused_elsewhere(bound, shown),
        "login_url": f"{reverse('people:login')}?next={request.get_full_path()}",
    }
    return render(request, "councils/resolution_detail.html", context, status=status)


@require_GET
def resolution_detail(request: Request, pk: int) -> HttpResponse:
    return _render_resolution(request, _visible_resolution(request, pk))


def _again(request: Request, resolution: Resolution) -> Callable[[Any, int], HttpResponse]:
    def again(form: Any, status: int) -> HttpResponse:
        fresh = _visible_resolution(request, resolution.pk)  # the action may have locked it
        return _render_resolution(request, fresh, bound=form, status=status)

    return again


@login_required
@require_POST
def resolution_action(request: AuthedRequest, pk: int, slug: str) -> HttpResponse:
    """One step on a resolution (see STEPS): authorize, parse, one action, back."""
    step = STEPS[slug]
    resolution = _visible_resolution(request, pk)
    if not request.user.has_perm(step.perm, resolution):
        raise Http404
    kwargs: dict[str, Any] = {}
    if step.form is TaskForm:
        kwargs["candidates"] = _task_units(resolution)
    elif step.form is RecordSignatureForm:
        kwargs["members"] = _unsigned_members(resolution, list(resolution.signatures.all()))
    return perform(
        request,
        step.form(request.POST, slug=step.slug, **kwargs),
        run=lambda f: step.run(resolution, request.user, f),
        done=step.done,
        back=reverse("councils:resolution-detail", args=[resolution.pk]),
        again=_again(request, resolution),
    )


# ── A follow-up task ─────────────────────────────────────────────────────────────────────


def _visible_task(request: Request, pk: int) -> FollowUpTask:
    return get_object_or_404(
        FollowUpTask.objects.filter(
            resolution__in=Resolution.objects.visible_to(request.user)
        ).select_related("resolution__council__place"),
        pk=pk,
    )


@login_required
@require_POST
def task_complete(request: AuthedRequest, pk: int) -> HttpResponse:
    """The task's owner, a handler of its unit or the staff mark it done."""
    task = _visible_task(request, pk)
    if not request.user.has_perm("councils.complete_task", task):
        raise Http404
    resolution = task.resolution
    return perform(
        request,
        CompleteTaskForm(request.POST, slug=f"task-{task.pk}-complete"),
        run=lambda f: actions.complete_task(task, by=request.user, note=f.cleaned_data["note"]),
        done=_("The task is done."),
        back=reverse("councils:resolution-detail", args=[resolution.pk]),
        again=_again(request, resolution),
    )


@login_required
@require_POST
def task_dispatch(request: AuthedRequest, pk: int) -> HttpResponse:
    """Staff turn the task into a demand: the demands' clocks then apply."""
    task = _visible_task(request, pk)
    resolution = task.resolution
    if not request.user.has_perm("councils.manage", resolution):
        raise Http404
    return perform(
        request,
        DispatchTaskForm(
            request.POST,
            slug=f"task-{task.pk}-dispatch",
            candidates=dispatch_candidates(resolution),
        ),
        run=lambda f: actions.dispatch_task(
            task,
            by=request.user,
            category=f.cleaned_data["category"],
            organization=f.cleaned_data["organization"],
        ),
        done=_("The task is dispatched as a demand."),
        back=reverse("councils:resolution-detail", args=[resolution.pk]),
        again=_again(request, resolution),
    )
