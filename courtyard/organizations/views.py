from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courtyard.core.errors import DomainError
from courtyard.core.http import AuthedRequest, Request, safe_next
from courtyard.core.pagination import keyset_page
from courtyard.organizations import actions
from courtyard.organizations.forms import AddMemberForm, DirectoryFilterForm, DualReportForm
from courtyard.organizations.models import (
    Committee,
    CommitteeMembership,
    DualReport,
    Organization,
    handled_organizations,
)
from courtyard.people.scopes import administers
from courtyard.places.models import COMMUNITY_LEVEL_KINDS, Place


@require_GET
def directory(request: Request) -> HttpResponse:
    """The organization directory: whitelisted filters, keyset pages by name."""
    form = DirectoryFilterForm(request.GET or None)
    qs = Organization.objects.visible_to(request.user).select_related("place")
    within = None
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            qs = qs.filter(name__startswith=data["q"].strip())
        if data["kind"]:
            qs = qs.filter(kind=data["kind"])
        if data["place"]:
            within = get_object_or_404(Place, pk=data["place"])
            qs = qs.within(within)
    # Within a place, units are listed place by place (one index range); otherwise by name.
    order = ("place_path", "name", "pk") if within else ("name", "pk")
    page = keyset_page(qs, cursor=request.GET.get("cursor"), size=settings.PAGE_SIZE, order=order)
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {"form": form, "page": page, "within": within, "query": query.urlencode()}
    template = (
        "organizations/_organization_rows.html"
        if request.htmx
        else "organizations/organization_list.html"
    )
    return render(request, template, context)


@require_GET
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_object_or_404(
        Organization.objects.visible_to(request.user).select_related("place"), pk=pk
    )
    memberships = (
        org.memberships.current()
        .select_related("committee__place")
        .order_by("joined_on", "pk")[:50]
    )
    reports = (
        DualReport.objects.visible_to(request.user)
        .filter(organization=org)
        .select_related("community")
        .order_by("-registered_on", "-pk")[:20]
    )
    context = {
        "org": org,
        "memberships": memberships,
        "reports": reports,
        "is_staff_here": administers(request.user, org.place.path),
    }
    return render(request, "organizations/organization_detail.html", context)


@require_http_methods(["GET", "POST"])
def committee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A committee's members (keyset pages); its administrators add and retire members."""
    committee = get_object_or_404(
        Committee.objects.visible_to(request.user).select_related("place"), pk=pk
    )
    can_manage = request.user.has_perm("organizations.manage_committee", committee)
    form = None
    if can_manage:
        candidates = (
            Organization.objects.within(committee.place)
            .filter(is_active=True)
            .exclude(pk__in=committee.memberships.current().values("organization"))
        )
        find = request.GET.get("find", "").strip()[:50]
        listed = candidates.filter(name__startswith=find) if find else candidates
        form = AddMemberForm(
            request.POST or None,
            candidates=candidates,
            listed=listed.order_by("place_path", "name", "pk"),
        )
        if request.method == "POST" and form.is_valid():
            try:
                actions.add_committee_member(committee, by=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The unit has joined the committee."))
                return redirect("organizations:committee-detail", pk=committee.pk)
    elif request.method == "POST":
        raise Http404
    shown = committee.memberships.filter(
        organization__in=Organization.objects.visible_to(request.user)
    ).select_related("organization")
    members = keyset_page(
        shown.current(),
        cursor=request.GET.get("cursor"),
        size=settings.PAGE_SIZE,
        order=("position", "joined_on", "pk"),
    )
    past = shown.filter(left_on__isnull=False).order_by("-left_on", "-pk")[:20]
    context = {
        "committee": committee,
        "members": members,
        "past": past,
        "form": form,
        "can_manage": can_manage,
        "find": request.GET.get("find", "")[:50],
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "organizations/committee_detail.html", context, status=status)


@require_POST
def membership_end(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_object_or_404(
        CommitteeMembership.objects.select_related("committee__place"), pk=pk
    )
    if not request.user.has_perm("organizations.manage_committee", membership.committee):
        raise Http404
    try:
        actions.end_committee_membership(membership, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The unit has left the committee."))
    return redirect("organizations:committee-detail", pk=membership.committee_id)


def _community(pk: int) -> Place:
    return get_object_or_404(Place.objects.filter(kind__in=COMMUNITY_LEVEL_KINDS), pk=pk)


@login_required
@require_GET
def dual_report_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The community's dual-reporting list (双报到): private to those who administer it."""
    community = _community(pk)
    if not request.user.has_perm("organizations.view_dual_reports", community):
        raise Http404
    page = keyset_page(
        DualReport.objects.visible_to(request.user)
        .filter(community=community)
        .select_related("organization", "member"),
        cursor=request.GET.get("cursor"),
        size=settings.PAGE_SIZE,
        order=("-registered_on", "-pk"),
    )
    return render(
        request, "organizations/dualreport_list.html", {"community": community, "page": page}
    )


@login_required
@require_http_methods(["GET", "POST"])
def dual_report_create(request: AuthedRequest, pk: int) -> HttpResponse:
    """Register with a community, as a unit one handles or as an in-service party member."""
    community = _community(pk)
    handled = list(handled_organizations(request.user).order_by("name"))
    form = DualReportForm(request.POST or None, handled=handled)
    if request.method == "POST" and form.is_valid():
        choice = form.cleaned_data["organization"]
        organization = next((o for o in handled if str(o.pk) == choice), None)
        try:
            actions.register_dual_report(
                by=request.user,
                community=community,
                commitments=form.cleaned_data["commitments"],
                organization=organization,
                member=request.user if organization is None else None,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("You are registered with %(c)s.") % {"c": community})
            return redirect("people:account")
    status = 400 if form.errors else 200
    return render(
        request,
        "organizations/dualreport_form.html",
        {"community": community, "form": form},
        status=status,
    )


@login_required
@require_POST
def dual_report_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(
        DualReport.objects.visible_to(request.user).select_related("community"), pk=pk
    )
    if not request.user.has_perm("organizations.withdraw_dual_report", report):
        raise Http404
    try:
        actions.withdraw_dual_report(report, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The registration is withdrawn."))
    return HttpResponseRedirect(safe_next(request, reverse("people:account")))
