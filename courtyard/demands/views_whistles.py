"""The whistle board (吹哨报到) of a street: the list, blowing a whistle, one whistle's page
with its summonses, and the POST routes to report on site, close and score.

Every page reads through `whistles.visible_whistles(user)` (missing and forbidden both
answer 404) and checks the rules permission of its step (404 when refused); the forms parse,
one action in `demands.whistles` decides, and a refused step renders the page again with its
message (400/403/409) and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courtyard.core.errors import BadInput, DomainError
from courtyard.core.http import AuthedRequest
from courtyard.core.pagination import keyset_page
from courtyard.demands import whistles
from courtyard.demands.actions import DESCRIPTION_MAX, TEXT_MAX
from courtyard.demands.models import Demand, Whistle, WhistleKind, WhistleStatus, WhistleSummons
from courtyard.organizations.models import Organization, handled_organizations
from courtyard.people.scopes import staff_scope_paths
from courtyard.places.models import SEGMENT, Place, path_range, prefix_range

SEARCH_MAX = 50
ORGANIZATIONS_SHOWN = 100
# Open whistles first ("open" sorts after "closed"), then the newest.
ORDER = ("-status", "-pk")


def search_term(value: Any) -> str:
    return str(value or "").strip()[:SEARCH_MAX]


# ── Forms ─────────────────────────────────────────────────────────────────────────────────


class WhistleForm(forms.Form):
    """Blow a whistle. The place is given by its code (or taken from the demand); the
    parties are chosen among the active organizations of the user's districts, of which the
    page lists ORGANIZATIONS_SHOWN by name (narrowed by a name search) and accepts any."""

    kind = forms.ChoiceField(label=_("Kind of whistle"), choices=WhistleKind.choices)
    title = forms.CharField(label=_("Title"), max_length=whistles.TITLE_MAX)
    description = forms.CharField(
        label=_("What the street cannot solve alone"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    place = forms.CharField(
        label=_("Place code"),
        max_length=32,
        required=False,
        help_text=_(
            "The code of the street or of a place within it. Leave it empty to use the "
            "demand's place."
        ),
    )
    demand = forms.IntegerField(
        label=_("Demand number (optional)"), required=False, min_value=1, max_value=2**62
    )
    organizations = forms.ModelMultipleChoiceField(
        label=_("Departments and units summoned"),
        queryset=Organization.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Summon at least one department or unit."),
            "invalid_choice": _("Summon only active departments and units of your district."),
            "invalid_pk_value": _("Summon only active departments and units of your district."),
        },
    )

    def __init__(self, *args: Any, user: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        field = self.fields["organizations"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = candidates
        field.widget.choices = []

    def list_organizations(self, listed: list[Organization]) -> None:
        """The checkboxes the page shows (the form is being shown)."""
        self.fields["organizations"].widget.choices = [(org.pk, org.display_name) for org in listed]

    def clean_place(self) -> Place | None:
        code = self.cleaned_data["place"].strip()
        if not code:
            return None
        place = Place.objects.filter(code=code).first()
        if place is None or not whistles.may_blow_at(self.user, place):
            raise forms.ValidationError(_("No place with this code lies within your street."))
        return place

    def clean_demand(self) -> Demand | None:
        pk = self.cleaned_data["demand"]
        if pk is None:
            return None
        demand = Demand.objects.visible_to(self.user).select_related("place").filter(pk=pk).first()
        if demand is None:
            raise forms.ValidationError(_("No demand with this number is within your street."))
        return demand

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "place" in data and "demand" in data and data["place"] is None:
            demand = data["demand"]
            if demand is None:
                self.add_error("place", _("Give the place's code, or a demand's number."))
            elif not whistles.may_blow_at(self.user, demand.place):
                self.add_error("demand", _("No demand with this number is within your street."))
            else:
                data["place"] = demand.place
        return data


class CloseForm(forms.Form):
    note = forms.CharField(
        label=_("Closing note"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReportForm(forms.Form):
    organization = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)
    note = forms.CharField(
        label=_("Report (who is on site, what is being done)"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ScoreForm(forms.Form):
    organization = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)
    score = forms.IntegerField(
        label=_("Score (0–100)"), min_value=whistles.SCORE_MIN, max_value=whistles.SCORE_MAX
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# ── The board ─────────────────────────────────────────────────────────────────────────────


def _query_without_cursor(request: AuthedRequest) -> str:
    query = request.GET.copy()
    query.pop("cursor", None)
    return query.urlencode()


@login_required
@require_GET
def whistle_list(request: AuthedRequest) -> HttpResponse:
    """Open whistles first, then the closed ones, newest first: those within the user's
    places, and those summoning a unit the user handles."""
    user = request.user
    if not (user.is_superuser or staff_scope_paths(user) or handled_organizations(user).exists()):
        raise Http404
    reported = Count("summonses", filter=Q(summonses__reported_at__isnull=False))
    qs = (
        whistles.visible_whistles(user)
        .select_related("place")
        .annotate(summoned=Count("summonses"), reported=reported)
    )
    page = keyset_page(qs, cursor=request.GET.get("cursor"), size=settings.PAGE_SIZE, order=ORDER)
    now = timezone.now()
    context = {
        "page": page,
        "rows": [
            (
                w,
                w.status == WhistleStatus.OPEN
                and w.reported < w.summoned
                and w.report_due_at < now,
            )
            for w in page.items
        ],
        "query": _query_without_cursor(request),
        "can_blow": whistles.blows_whistles(user),
    }
    template = "demands/whistle_list_rows.html" if request.htmx else "demands/whistle_list.html"
    return render(request, template, context)


# ── Blowing a whistle ─────────────────────────────────────────────────────────────────────


def _candidates(user: Any) -> Any:
    """Active organizations seated within the districts of the streets `user` runs."""
    if user.is_superuser:
        return Organization.objects.filter(is_active=True)
    q = Q()
    streets = [p for p in staff_scope_paths(user) if len(p) <= whistles.STREET_DEPTH * SEGMENT]
    for path in {whistles.district_path(p) for p in streets}:
        low, high = path_range(path)
        q |= Q(place_path__gte=low, place_path__lt=high)
    return Organization.objects.filter(q, is_active=True)


def _listed(candidates: Any, org_q: str, chosen: list[int]) -> list[Organization]:
    """The first ORGANIZATIONS_SHOWN candidates by name (starting with `org_q`), and the
    ones already ticked on a form sent back with errors."""
    qs = candidates
    if org_q:
        low, high = prefix_range(org_q)
        qs = qs.filter(name__gte=low, name__lt=high)
    listed = list(qs.order_by("name", "pk")[:ORGANIZATIONS_SHOWN])
    missing = set(chosen) - {org.pk for org in listed}
    if missing:
        listed += list(candidates.filter(pk__in=missing).order_by("name", "pk"))
    return listed


@login_required
@require_http_methods(["GET", "POST"])
def whistle_create(request: AuthedRequest) -> HttpResponse:
    """Blow a whistle at a place within the street, optionally on a demand; `?org_q=`
    narrows the list of departments and units, `?demand=` fills in the demand."""
    user = request.user
    if not user.has_perm("demands.blow_whistle"):
        raise Http404
    org_q = search_term(request.GET.get("org_q"))
    candidates = _candidates(user)
    initial = {"kind": WhistleKind.ROUTINE, "demand": search_term(request.GET.get("demand"))}
    form = WhistleForm(request.POST or None, user=user, candidates=candidates, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            whistle = whistles.blow_whistle(
                by=user,
                place=data["place"],
                kind=data["kind"],
                title=data["title"],
                description=data["description"],
                organizations=list(data["organizations"]),
                demand=data["demand"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, gettext("The whistle is blown."))
            return redirect("demands:whistle-detail", pk=whistle.pk)
    chosen = [int(v) for v in request.POST.getlist("organizations") if v.isdigit()]
    form.list_organizations(_listed(candidates, org_q, chosen[: whistles.SUMMONS_MAX + 1]))
    context = {
        "form": form,
        "org_q": org_q,
        "form_query": urlencode({"org_q": org_q}) if org_q else "",
    }
    return render(request, "demands/whistle_form.html", context, status=400 if form.errors else 200)


# ── One whistle ───────────────────────────────────────────────────────────────────────────


@dataclass
class SummonsRow:
    summons: WhistleSummons
    late: bool  # reported after the deadline
    overdue: bool  # not reported, the deadline passed, the whistle still open
    report_form: forms.Form | None  # for the unit's handlers, until it reports
    score_form: forms.Form | None  # for the street, once closed, until scored


def _visible(request: AuthedRequest, pk: int) -> Whistle:
    return get_object_or_404(
        whistles.visible_whistles(request.user).select_related(
            "place", "street", "demand", "blown_by"
        ),
        pk=pk,
    )


def _render_detail(
    request: AuthedRequest,
    whistle: Whistle,
    *,
    bound: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    """The whistle, its summonses and the forms the viewer may use; `bound` is a form sent
    back with its errors, shown in place of the empty one."""
    user = request.user
    summonses = list(whistle.summonses.select_related("organization").order_by("pk"))
    for summons in summonses:
        summons.whistle = whistle
    ids = [s.organization_id for s in summonses]
    handled = set(handled_organizations(user).filter(pk__in=ids).values_list("pk", flat=True))
    runs = whistles.runs_whistle(user, whistle)
    is_open = whistle.status == WhistleStatus.OPEN
    bound_org = bound.data.get("organization") if bound is not None else None
    now = timezone.now()
    rows = []
    for s in summonses:
        report_form: forms.Form | None = None
        score_form: forms.Form | None = None
        mine = str(s.organization_id) == bound_org
        initial = {"organization": s.organization_id}
        if is_open and s.reported_at is None and s.organization_id in handled:
            sent = isinstance(bound, ReportForm) and mine
            report_form = bound if sent and bound is not None else ReportForm(initial=initial)
            report_form.auto_id = f"report-{s.organization_id}-%s"  # ids unique on the page
        if runs and not is_open and s.score is None:
            sent = isinstance(bound, ScoreForm) and mine
            score_form = bound if sent and bound is not None else ScoreForm(initial=initial)
            score_form.auto_id = f"score-{s.organization_id}-%s"
        rows.append(
            SummonsRow(
                summons=s,
                late=s.reported_at is not None and s.reported_at > whistle.report_due_at,
                overdue=is_open and s.reported_at is None and whistle.report_due_at < now,
                report_form=report_form,
                score_form=score_form,
            )
        )
    shown = {id(f) for r in rows for f in (r.report_form, r.score_form) if f is not None}
    close_form: forms.Form | None = None
    if runs and is_open:
        close_form = bound if isinstance(bound, CloseForm) else CloseForm()
        shown.add(id(close_form))
    refused = []
    if bound is not None and id(bound) not in shown:  # a step the page no longer offers
        refused = [error for errors in bound.errors.values() for error in errors]
    demand_linked = (
        whistle.demand_id is not None
        and Demand.objects.visible_to(user).filter(pk=whistle.demand_id).exists()
    )
    context = {
        "whistle": whistle,
        "rows": rows,
        "close_form": close_form,
        "refused": refused,
        "demand_linked": demand_linked,
        "overdue": any(r.overdue for r in rows),
    }
    return render(request, "demands/whistle_detail.html", context, status=status)


@login_required
@require_GET
def whistle_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """One whistle: where, why, the deadline, each summoned party's report and score."""
    return _render_detail(request, _visible(request, pk))


def _run_step(
    request: AuthedRequest, whistle: Whistle, form: forms.Form, step: Any, done: str
) -> HttpResponse:
    """Parse the form, run the step (one action), and go back to the whistle's page; a
    refusal shows the page again with the form's message."""
    if not form.is_valid():
        return _render_detail(request, whistle, bound=form, status=400)
    try:
        step(form.cleaned_data)
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _render_detail(request, whistle, bound=form, status=exc.status)
    messages.success(request, done)
    return redirect("demands:whistle-detail", pk=whistle.pk)


def _organization(pk: int) -> Organization:
    organization = Organization.objects.filter(pk=pk).first()
    if organization is None:
        raise BadInput(gettext("Choose a department or unit this whistle summons."))
    return organization


@login_required
@require_POST
def whistle_report(request: AuthedRequest, pk: int) -> HttpResponse:
    """A summoned party reports on site."""
    whistle = _visible(request, pk)
    if not request.user.has_perm("demands.report_to_whistle", whistle):
        raise Http404
    return _run_step(
        request,
        whistle,
        ReportForm(request.POST),
        lambda data: whistles.report_to_whistle(
            whistle,
            by=request.user,
            organization=_organization(data["organization"]),
            note=data["note"],
        ),
        gettext("Your report on site is recorded."),
    )


@login_required
@require_POST
def whistle_close(request: AuthedRequest, pk: int) -> HttpResponse:
    """The street closes the whistle."""
    whistle = _visible(request, pk)
    if not request.user.has_perm("demands.run_whistle", whistle):
        raise Http404
    return _run_step(
        request,
        whistle,
        CloseForm(request.POST),
        lambda data: whistles.close_whistle(whistle, by=request.user, note=data["note"]),
        gettext("The whistle is closed."),
    )


@login_required
@require_POST
def whistle_score(request: AuthedRequest, pk: int) -> HttpResponse:
    """The street scores one summoned party of a closed whistle."""
    whistle = _visible(request, pk)
    if not request.user.has_perm("demands.run_whistle", whistle):
        raise Http404
    return _run_step(
        request,
        whistle,
        ScoreForm(request.POST),
        lambda data: whistles.score_summons(
            whistle,
            by=request.user,
            organization=_organization(data["organization"]),
            score=data["score"],
            comment=data["comment"],
        ),
        gettext("The score is recorded."),
    )
