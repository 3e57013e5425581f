"""Proposal pages: a council's proposals, the form to raise one (also from a demand), and a
proposal's page with its clock (supporters of the threshold, "to be screened by", overdue)
and the steps the viewer may take: support, withdraw (the proposer), put on the agenda or
decline with a reason (staff). The proposer's identity is shown only to the proposer and to
the staff over the council's place (`councils.see_proposer`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_stubs_ext import StrOrPromise

from courtyard.core.errors import DomainError
from courtyard.core.http import AuthedRequest, Request, id_param
from courtyard.core.pagination import keyset_page
from courtyard.councils import actions
from courtyard.councils.forms_public import ActionForm, NoFieldsForm, ProposalForm, ReasonForm
from courtyard.councils.models import (
    Council,
    Proposal,
    ProposalStatus,
    ProposalSupport,
    Resolution,
)
from courtyard.councils.views_public import panel_form, perform, refused_elsewhere
from courtyard.demands.models import Demand
from courtyard.organizations.models import handled_organizations

OPEN = {ProposalStatus.RAISED, ProposalStatus.ON_AGENDA}


@dataclass(frozen=True)
class Step:
    slug: str  # URL part and name: councils:proposal-<slug>
    perm: str  # the rules permission checked on the proposal
    statuses: frozenset[str]  # the page offers the step in these statuses
    form: type[ActionForm]
    title: StrOrPromise
    button: StrOrPromise
    done: StrOrPromise
    run: Callable[[Proposal, Any, Any], Any]  # (proposal, user, form) → one action


STEPS: dict[str, Step] = {
    step.slug: step
    for step in [
        Step(
            "support", "councils.support_proposal", frozenset({ProposalStatus.RAISED}),
            NoFieldsForm, _("Support this proposal"), _("I support it"),
            _("Your support is counted."),
            lambda p, u, f: actions.support_proposal(p, by=u),
        ),
        Step(
            "withdraw", "councils.withdraw_proposal", frozenset(OPEN), NoFieldsForm,
            _("Withdraw your proposal"), _("Withdraw"), _("Your proposal is withdrawn."),
            lambda p, u, f: actions.withdraw_proposal(p, by=u),
        ),
        Step(
            "screen", "councils.manage", frozenset({ProposalStatus.RAISED}), NoFieldsForm,
            _("Put it on the agenda"), _("Put on the agenda"),
            _("The proposal is on the agenda."),
            lambda p, u, f: actions.screen_proposal(p, by=u),
        ),
        Step(
            "decline", "councils.manage", frozenset(OPEN), ReasonForm,
            _("Decline, with a reason"), _("Decline"), _("The proposal is declined."),
            lambda p, u, f: actions.decline_proposal(p, by=u, reason=f.cleaned_data["reason"]),
        ),
    ]
}  # fmt: skip


def _visible_proposal(request: Request, pk: int) -> Proposal:
    return get_object_or_404(
        Proposal.objects.visible_to(request.user).select_related(
            "council__place", "organization", "proposer"
        ),
        pk=pk,
    )


# ── A council's proposals ────────────────────────────────────────────────────────────────


@require_GET
def proposal_list(request: Request, pk: int) -> HttpResponse:
    """All proposals of a council, newest first, in keyset pages; `?status=` narrows."""
    council = get_object_or_404(
        Council.objects.visible_to(request.user).select_related("place"), pk=pk
    )
    proposals = Proposal.objects.filter(council=council).select_related("organization")
    status = request.GET.get("status", "")
    if status and status not in ProposalStatus.values:
        status = ""
    if status:
        proposals = proposals.filter(status=status)
    page = keyset_page(
        proposals,
        cursor=request.GET.get("cursor"),
        size=settings.PAGE_SIZE,
        order=("-raised_at", "-pk"),
    )
    context = {
        "council": council,
        "now": timezone.now(),
        "page": page,
        "status": status,
        "statuses": ProposalStatus.choices,
        "query": f"status={status}" if status else "",
    }
    template = "councils/proposal_list_rows.html" if request.htmx else "councils/proposal_list.html"
    return render(request, template, context)


# ── Raising a proposal ───────────────────────────────────────────────────────────────────


def _demand_for(request: AuthedRequest, council: Council) -> Demand | None:
    """The demand a proposal is made from (`demand=`): one the person sees in full (its
    requester, the staff over it, the unit handling it) at a place within the council's."""
    raw = request.POST.get("demand") or request.GET.get("demand") or ""
    if not raw:
        return None
    demand_id = id_param(raw)
    if demand_id is None:
        raise Http404
    demand = (
        Demand.objects.visible_to(request.user)
        .select_related("category")
        .filter(pk=demand_id)
        .first()
    )
    if demand is None or not demand.place_path.startswith(council.place_path):
        raise Http404
    user = request.user
    if demand.requester_id != user.pk and not user.has_perm("demands.see_requester", demand):
        raise Http404
    return demand


@login_required
@require_http_methods(["GET", "POST"])
def proposal_create(request: AuthedRequest, pk: int) -> HttpResponse:
    """Raise a proposal to a council, for oneself or for a unit one handles; `?demand=`
    starts it from a demand (its public summary filled in, the link kept)."""
    council = get_object_or_404(
        Council.objects.visible_to(request.user).select_related("place"), pk=pk
    )
    user = request.user
    if not user.has_perm("councils.raise_proposal", council) or not council.is_active:
        raise Http404
    demand = _demand_for(request, council)
    initial = {}
    if demand is not None:
        initial = {
            "demand": demand.pk,
            "title": demand.category.display_name,
            # The public summary, never the resident's own words (they may name people).
            "body": demand.public_summary,
        }
    form = ProposalForm(request.POST or None, handled=handled_organizations(user), initial=initial)
    refused = 0  # the status of a refusal by the action
    if request.method == "POST" and form.is_valid():
        try:
            proposal = actions.raise_proposal(
                council,
                by=user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                organization=form.cleaned_data["organization"],
                demand=demand,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            refused = exc.status
        else:
            messages.success(request, str(_("Your proposal is raised.")))
            return redirect("councils:proposal-detail", pk=proposal.pk)
    context = {"council": council, "form": form, "demand": demand}
    status = refused or (400 if form.is_bound and form.errors else 200)
    return render(request, "councils/proposal_form.html", context, status=status)


# ── A proposal's page ────────────────────────────────────────────────────────────────────


def _render_proposal(
    request: Request, proposal: Proposal, *, bound: ActionForm | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    council = proposal.council
    is_proposer = proposal.proposer_id == user.pk
    supporting = bool(user.is_authenticated) and (
        ProposalSupport.objects.filter(proposal=proposal, user_id=user.pk or 0).exists()
    )
    allowed: dict[str, bool] = {}
    panels: list[dict[str, Any]] = []
    for step in STEPS.values():
        if proposal.status not in step.statuses:
            continue
        if step.slug == "support" and (is_proposer or supporting):
            continue
        if step.perm not in allowed:
            allowed[step.perm] = user.has_perm(step.perm, proposal)
        if not allowed[step.perm]:
            continue
        panels.append(
            {
                "step": step,
                "form": panel_form(bound, step.slug, step.form),
                "url": reverse(f"councils:proposal-{step.slug}", args=[proposal.pk]),
            }
        )
    now = timezone.now()
    context = {
        "proposal": proposal,
        "council": council,
        "can_see_proposer": user.has_perm("councils.see_proposer", proposal),
        "is_proposer": is_proposer,
        "supporting": supporting,
        "overdue": proposal.status == ProposalStatus.RAISED
        and (
            proposal.screening_overdue_at is not None
            or (proposal.screen_due_at is not None and proposal.screen_due_at < now)
        ),
        "resolutions": list(
            Resolution.objects.visible_to(user)
            .filter(proposal=proposal)
            .order_by("-created_at", "-pk")[:10]
        ),
        "panels": panels,
        "refused": refused_elsewhere(bound, {p["step"].slug for p in panels}),
        "login_url": f"{reverse('people:login')}?next={request.get_full_path()}",
    }
    return render(request, "councils/proposal_detail.html", context, status=status)


@require_GET
def proposal_detail(request: Request, pk: int) -> HttpResponse:
    return _render_proposal(request, _visible_proposal(request, pk))


@login_required
@require_POST
def proposal_action(request: AuthedRequest, pk: int, slug: str) -> HttpResponse:
    """One step on a proposal (see STEPS): authorize, parse, one action, back to the page."""
    step = STEPS[slug]
    proposal = _visible_proposal(request, pk)
    if not request.user.has_perm(step.perm, proposal):
        raise Http404
    return perform(
        request,
        step.form(request.POST, slug=step.slug),
        run=lambda f: step.run(proposal, request.user, f),
        done=step.done,
        back=reverse("councils:proposal-detail", args=[proposal.pk]),
        again=lambda f, status: _render_proposal(request, proposal, bound=f, status=status),
    )
