"""The public council pages: the councils within a place and a council's own page (charter,
members, upcoming meetings, open proposals, resolutions with their progress), and the staff's
forms to create a council, change its charter and seat or unseat members. Proposals are in
views_proposals, resolutions and their tasks in views_resolutions.

Every action form posts to its own URL: the view fetches the object through `visible_to`,
checks the rules permission (404 when either refuses: forbidden looks like missing), parses
the form, calls one action and redirects back (POST/redirect/GET). A refused step
(DomainError) or bad input renders the page again with the message on the form, with the
error's status (400/403/409).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_stubs_ext import StrOrPromise

from courtyard.core.errors import DomainError
from courtyard.core.http import AuthedRequest, Request, id_param
from courtyard.core.pagination import keyset_page
from courtyard.councils import actions
from courtyard.councils.forms_public import (
    ActionForm,
    CharterForm,
    CouncilForm,
    MemberForm,
    NoFieldsForm,
    listed_units,
)
from courtyard.councils.models import (
    Council,
    CouncilMember,
    Meeting,
    MemberRole,
    Proposal,
    Resolution,
    TaskStatus,
)
from courtyard.organizations.models import Organization
from courtyard.people.scopes import administers
from courtyard.places.models import Place

# How many of each a council's page shows; the rest are on the lists.
SHOWN = 20
ROLE_ORDER = {role: i for i, role in enumerate(MemberRole.values)}

# ── Shared by the public council views ───────────────────────────────────────────────────


def perform(
    request: AuthedRequest,
    form: ActionForm | Any,
    *,
    run: Callable[[Any], Any],
    done: StrOrPromise,
    back: str,
    again: Callable[[Any, int], HttpResponse],
) -> HttpResponse:
    """Parse, one action, redirect; or the page again with the form's errors."""
    if not form.is_valid():
        return again(form, 400)
    try:
        run(form)
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return again(form, exc.status)
    messages.success(request, str(done))
    return redirect(back)


def panel_form[F: ActionForm](
    bound: ActionForm | None, slug: str, make: type[F], **kwargs: Any
) -> F:
    """The form as sent (with its errors) when it is the one that was refused, else new."""
    if isinstance(bound, make) and bound.slug == slug:
        return bound
    return make(slug=slug, **kwargs)


def refused_elsewhere(bound: ActionForm | None, shown: set[str]) -> list[str]:
    """The errors of a form the page does not show now (another step took it first)."""
    if bound is None or bound.slug in shown:
        return []
    return [str(error) for errors in bound.errors.values() for error in errors]


def meeting_url(meeting: Meeting) -> str | None:
    """The meeting page (the meeting pages live in urls_meetings)."""
    try:
        return reverse("councils:meeting-detail", args=[meeting.pk])
    except NoReverseMatch:
        return None


def with_progress(resolutions: QuerySet[Resolution]) -> QuerySet[Resolution]:
    """Tasks done and the total (cancelled ones do not count), in the same query."""
    return resolutions.annotate(
        tasks_total=Count("tasks", filter=~Q(tasks__status=TaskStatus.CANCELLED)),
        tasks_done=Count("tasks", filter=Q(tasks__status=TaskStatus.DONE)),
    )


def _visible_council(request: Request, pk: int) -> Council:
    return get_object_or_404(
        Council.objects.visible_to(request.user).with_last_meeting().select_related("place"),
        pk=pk,
    )


def _unit_candidates(council: Council) -> QuerySet[Organization]:
    """Units a council may seat or name: the active organizations within its place."""
    return Organization.objects.filter(is_active=True).within(council.place)


# ── The councils within a place ──────────────────────────────────────────────────────────


@require_GET
def council_list(request: Request) -> HttpResponse:
    """Councils, of the whole city or within `?place=`, by place and name, in keyset pages
    (one query for the page, one for the place). With `?demand=`, each council offers to
    raise that demand as a proposal."""
    councils = Council.objects.visible_to(request.user).select_related("place")
    within = None
    place_id = request.GET.get("place", "")
    if place_id:
        within = get_object_or_404(
            Place.objects.visible_to(request.user), pk=id_param(place_id) or 0
        )
        councils = councils.within(within)
    page = keyset_page(
        councils,
        cursor=request.GET.get("cursor"),
        size=settings.PAGE_SIZE,
        order=("place_path", "name", "pk"),
    )
    # "Raise as a proposal" from a demand: the chosen council's form checks the demand.
    demand = request.GET.get("demand", "")
    demand_id = id_param(demand)
    query = "&".join(
        part
        for part in (
            f"place={within.pk}" if within else "",
            f"demand={demand_id}" if demand_id else "",
        )
        if part
    )
    context = {
        "page": page,
        "within": within,
        "demand_id": demand_id,
        "query": query,
        "can_create": within is not None and administers(request.user, within.path),
    }
    template = "councils/council_list_rows.html" if request.htmx else "councils/council_list.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def council_create(request: AuthedRequest) -> HttpResponse:
    """Staff create a council at a place they administer (`?place=`)."""
    place_id = id_param(request.GET.get("place"))
    if place_id is None:
        raise Http404
    place = get_object_or_404(Place.objects.visible_to(request.user), pk=place_id)
    if not administers(request.user, place.path):
        raise Http404
    form = CouncilForm(request.POST or None)
    refused = 0  # the status of a refusal by the action
    if request.method == "POST" and form.is_valid():
        try:
            council = actions.create_council(by=request.user, place=place, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            refused = exc.status
        else:
            messages.success(request, str(_("The council is created.")))
            return redirect("councils:council-detail", pk=council.pk)
    status = refused or (400 if form.is_bound and form.errors else 200)
    return render(
        request, "councils/council_form.html", {"form": form, "place": place}, status=status
    )


# ── A council's page ─────────────────────────────────────────────────────────────────────


def _render_council(
    request: Request, council: Council, *, bound: ActionForm | None = None, status: int = 200
) -> HttpResponse:
    """A fixed number of queries, however many members, meetings, proposals, resolutions."""
    user = request.user
    can_manage = user.has_perm("councils.manage", council)
    members = sorted(
        CouncilMember.objects.current()
        .filter(council=council)
        .select_related("user", "organization"),
        key=lambda m: (ROLE_ORDER.get(m.role, 99), m.joined_at, m.pk),
    )
    meetings = list(
        Meeting.objects.visible_to(user)
        .filter(council=council)
        .upcoming()
        .order_by("starts_at", "pk")[:SHOWN]
    )
    proposals = list(
        Proposal.objects.filter(council=council)
        .open()
        .select_related("organization")
        .order_by("-raised_at", "-pk")[:SHOWN]
    )
    resolutions = list(
        with_progress(Resolution.objects.visible_to(user).filter(council=council)).order_by(
            "-created_at", "-pk"
        )[:SHOWN]
    )
    member_form = None
    if can_manage:
        candidates = _unit_candidates(council)
        member_form = panel_form(bound, "member-add", MemberForm, candidates=candidates)
        member_form.offer(listed_units(candidates))
    now = timezone.now()
    due_by = council.meeting_due_by(getattr(council, "last_met_at", None))
    context = {
        "council": council,
        "now": now,
        "meeting_due_by": due_by,
        "meeting_overdue": due_by < now and not meetings,
        "members": members,
        "meetings": [(meeting, meeting_url(meeting)) for meeting in meetings],
        "proposals": proposals,
        "resolutions": resolutions,
        "can_manage": can_manage,
        "can_raise": user.has_perm("councils.raise_proposal", council) and council.is_active,
        "member_form": member_form,
        "refused": refused_elsewhere(bound, {"member-add"} if can_manage else set()),
    }
    return render(request, "councils/council_detail.html", context, status=status)


@require_GET
def council_detail(request: Request, pk: int) -> HttpResponse:
    return _render_council(request, _visible_council(request, pk))


@login_required
@require_http_methods(["GET", "POST"])
def council_charter(request: AuthedRequest, pk: int) -> HttpResponse:
    """Staff change the charter; votes already open keep theirs."""
    council = _visible_council(request, pk)
    if not request.user.has_perm("councils.manage", council):
        raise Http404
    form = CharterForm(request.POST or None, council=council)
    if request.method == "POST":
        return perform(
            request,
            form,
            run=lambda f: actions.change_charter(council, by=request.user, **f.charter()),
            done=_("The charter is changed."),
            back=reverse("councils:council-detail", args=[council.pk]),
            again=lambda f, status: render(
                request,
                "councils/council_charter.html",
                {"council": council, "form": f},
                status=status,
            ),
        )
    return render(request, "councils/council_charter.html", {"council": council, "form": form})


@login_required
@require_POST
def council_member_add(request: AuthedRequest, pk: int) -> HttpResponse:
    council = _visible_council(request, pk)
    if not request.user.has_perm("councils.manage", council):
        raise Http404
    form = MemberForm(request.POST, slug="member-add", candidates=_unit_candidates(council))
    return perform(
        request,
        form,
        run=lambda f: actions.add_member(
            council,
            by=request.user,
            user=f.cleaned_data["username"],
            role=f.cleaned_data["role"],
            organization=f.cleaned_data["organization"],
        ),
        done=_("The member is seated."),
        back=reverse("councils:council-detail", args=[council.pk]),
        again=lambda f, status: _render_council(request, council, bound=f, status=status),
    )


@login_required
@require_POST
def council_member_remove(request: AuthedRequest, pk: int, member_pk: int) -> HttpResponse:
    council = _visible_council(request, pk)
    if not request.user.has_perm("councils.manage", council):
        raise Http404
    member = get_object_or_404(CouncilMember.objects.filter(council=council), pk=member_pk)
    form = NoFieldsForm(request.POST, slug="member-remove")
    return perform(
        request,
        form,
        run=lambda f: actions.remove_member(member, by=request.user),
        done=_("The member has left the council."),
        back=reverse("councils:council-detail", args=[council.pk]),
        again=lambda f, status: _render_council(request, council, bound=f, status=status),
    )
