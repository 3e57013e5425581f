"""Staff pages: the community's triage queue (with bulk actions and standard answers),
recording a demand on someone's behalf, the unit and department inbox, and the street's
extension requests. Single actions on one demand live on its detail page.

Each page answers 404 to whoever holds no role for it (forbidden looks like missing) and
reads through `Demand.objects.visible_to(user)`, narrowed to the page's audience.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courtyard.core.errors import BadInput, DomainError
from courtyard.core.http import AuthedRequest, safe_next
from courtyard.core.pagination import keyset_page
from courtyard.core.text import mask_phone
from courtyard.demands import actions
from courtyard.demands.forms_staff import (
    INBOX_TABS,
    TRIAGE_STATUSES,
    BulkActionForm,
    InboxFilterForm,
    RecordDemandForm,
    TriageFilterForm,
    answer_templates,
    category_and_below,
)
from courtyard.demands.models import (
    OPEN_STATUSES,
    WITH_UNIT_STATUSES,
    Demand,
    DemandQuerySet,
    ServiceCategory,
)
from courtyard.organizations.models import handled_organizations
from courtyard.people.scopes import staff_scope_paths, staff_scope_q
from courtyard.places.models import (
    ADMINISTRATIVE_KINDS,
    SEGMENT,
    Place,
    PlaceKind,
    path_ids,
    path_range,
    prefix_range,
)

ORDER = ("-pk",)  # newest first; the indexes end with id


@dataclass
class Row:
    demand: Demand
    masked_phone: str
    overdue: bool


def _rows(demands: Sequence[Demand], now: datetime) -> list[Row]:
    return [
        Row(
            demand=d,
            masked_phone=mask_phone(d.requester_phone),
            overdue=d.status in OPEN_STATUSES and d.due_at is not None and d.due_at < now,
        )
        for d in demands
    ]


def _require_staff(user: Any) -> None:
    if not (user.is_superuser or staff_scope_paths(user)):
        raise Http404


def triageable(user: Any) -> DemandQuerySet:
    """Demands `user` may triage: those within the places they administer."""
    return Demand.objects.visible_to(user).filter(staff_scope_q(user, "place_path"))


def _scope_places(user: Any) -> list[Place]:
    """The places a user administers and the administrative places right under them (the
    communities of a street, the grids of a community): the triage queue's place filter."""
    ids = [path_ids(p)[-1] for p in staff_scope_paths(user)]
    if user.is_superuser and not ids:
        return list(Place.objects.roots().order_by("path")[:200])
    kinds = sorted({*ADMINISTRATIVE_KINDS, PlaceKind.GRID})
    below = Q(parent_id__in=ids, kind__in=kinds)
    return list(Place.objects.filter(Q(pk__in=ids) | below).order_by("path")[:200])


def _query_without_cursor(request: AuthedRequest) -> str:
    query = request.GET.copy()
    query.pop("cursor", None)
    return query.urlencode()


@login_required
@require_GET
def triage(request: AuthedRequest) -> HttpResponse:
    """The triage queue: demands within the user's places, waiting by default."""
    user = request.user
    _require_staff(user)
    categories = list(ServiceCategory.objects.order_by("name", "pk"))
    form = TriageFilterForm(
        request.GET or None, user=user, categories=categories, places=_scope_places(user)
    )
    qs = triageable(user).select_related("place", "category")
    statuses: Sequence[str] = TRIAGE_STATUSES
    filtered = form.is_bound and form.is_valid()
    if filtered:
        data = form.cleaned_data
        if data["status"] == form.OPEN:
            statuses = sorted(OPEN_STATUSES)
        elif data["status"]:
            statuses = [data["status"]]
        if data["category"]:
            qs = qs.filter(category_id__in=category_and_below(categories, data["category"]))
        if data["place"]:
            qs = qs.within(data["place"])
        if data["overdue"]:
            qs = qs.overdue()
    qs = qs.filter(status__in=statuses)
    page = keyset_page(qs, cursor=request.GET.get("cursor"), size=settings.PAGE_SIZE, order=ORDER)
    context = {
        "form": form,
        "page": page,
        "rows": _rows(page.items, timezone.now()),
        "query": _query_without_cursor(request),
        "within": form.cleaned_data["place"] if filtered else None,
        "bulk": BulkActionForm(templates=answer_templates()),
    }
    template = "demands/_staff_triage_rows.html" if request.htmx else "demands/triage_list.html"
    return render(request, template, context)


BULK_ACTIONS: dict[str, Callable[..., Demand]] = {
    BulkActionForm.ACCEPT: actions.accept_demand,
    BulkActionForm.DISPATCH: actions.dispatch_demand,
    BulkActionForm.ANSWER: actions.answer_demand,
}


@dataclass
class BulkResult:
    done: list[int]
    refused: list[tuple[int, str]]
    missing: int


def apply_bulk(user: Any, action: str, ids: list[int], **extra: Any) -> BulkResult:
    """Run one action on each demand, each in its own transaction: a refused one changes
    nothing and stops nothing. Ids the user may not triage count as not found."""
    found = {d.pk: d for d in triageable(user).filter(pk__in=ids).select_related("place")}
    result = BulkResult(done=[], refused=[], missing=0)
    for pk in ids:
        demand = found.get(pk)
        if demand is None or not user.has_perm("demands.triage", demand):
            result.missing += 1
            continue
        try:
            BULK_ACTIONS[action](demand, by=user, **extra)
        except DomainError as exc:
            result.refused.append((pk, exc.message))
        else:
            result.done.append(pk)
    return result


DONE_MESSAGES = {
    BulkActionForm.ACCEPT: lambda n: ngettext(
        "%(n)d demand accepted.", "%(n)d demands accepted.", n
    ),
    BulkActionForm.DISPATCH: lambda n: ngettext(
        "%(n)d demand dispatched.", "%(n)d demands dispatched.", n
    ),
    BulkActionForm.ANSWER: lambda n: ngettext(
        "%(n)d demand answered.", "%(n)d demands answered.", n
    ),
}


@login_required
@require_POST
def triage_bulk(request: AuthedRequest) -> HttpResponse:
    """Accept, dispatch or answer the ticked demands; report each refusal by its number."""
    _require_staff(request.user)
    form = BulkActionForm(request.POST, templates=answer_templates())
    if not form.is_valid():
        raise BadInput(" ".join(str(e) for errors in form.errors.values() for e in errors))
    action = form.cleaned_data["action"]
    extra = {"answer": form.cleaned_data["answer"]} if action == form.ANSWER else {}
    result = apply_bulk(request.user, action, form.cleaned_data["ids"], **extra)
    if result.done:
        messages.success(request, DONE_MESSAGES[action](len(result.done)) % {"n": len(result.done)})
    for pk, message in result.refused:
        messages.error(request, _("#%(id)d: %(message)s") % {"id": pk, "message": message})
    if result.missing:
        messages.error(
            request,
            ngettext("%(n)d demand was not found.", "%(n)d demands were not found.", result.missing)
            % {"n": result.missing},
        )
    return redirect(safe_next(request, reverse("demands:triage")))


def _place_options(user: Any, find: str) -> list[Place]:
    """Places within the user's scope for the record form's list: those whose name starts
    with `find` (or whose code it is), else the user's places and those right under them."""
    if not find:
        return _scope_places(user)
    low, high = prefix_range(find)
    return list(
        Place.objects.filter(staff_scope_q(user, "path"))
        .filter(Q(code=find) | Q(name__gte=low, name__lt=high))
        .select_related("parent")
        .order_by("path")[:50]
    )


def _record_key(user: Any, token: str, data: dict[str, Any]) -> str | None:
    """The idempotency key of a recorded demand: the form's one-time token and what was
    written. The same form sent twice records once; a form taken back with the browser and
    changed records the new demand."""
    if not token:
        return None
    content = "\x1f".join(f"{k}={getattr(v, 'pk', v)}" for k, v in sorted(data.items()))
    digest = hashlib.sha256(f"{token}\x1f{content}".encode()).hexdigest()[:40]
    return f"staff-{user.pk}-{digest}"


@login_required
@require_http_methods(["GET", "POST"])
def record(request: AuthedRequest) -> HttpResponse:
    """Record a phone, walk-in or grid-patrol demand for someone, with the photos handed
    over (checked and stored with the demand in one step, see demands.photos)."""
    user = request.user
    _require_staff(user)
    categories = list(ServiceCategory.objects.order_by("name", "pk"))
    form = RecordDemandForm(
        request.POST or None,
        request.FILES or None,
        user=user,
        categories=categories,
        initial={"key": uuid.uuid4().hex},
    )
    if request.method == "POST" and form.is_valid():
        submission = form.submission()
        key = _record_key(user, form.cleaned_data["key"], submission)
        try:
            demand = actions.submit_demand(
                by=user, idempotency_key=key, photos=form.cleaned_data["photos"], **submission
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Demand #%(id)d is recorded.") % {"id": demand.pk})
            return redirect("demands:triage")
    find = request.GET.get("find", "").strip()[:50]
    context = {"form": form, "find": find, "places": _place_options(user, find)}
    return render(request, "demands/record_form.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def inbox(request: AuthedRequest) -> HttpResponse:
    """A unit's or department's orders, one tab per step: to sign for, to contact the
    requester, to reply. Its handlers see the requester (they call them)."""
    units = list(handled_organizations(request.user).order_by("name", "pk"))
    if not units:
        raise Http404
    form = InboxFilterForm(request.GET or None, units=units)
    tab, chosen = INBOX_TABS[0], [u.pk for u in units]
    if form.is_bound and form.is_valid():
        tab = form.cleaned_data["tab"] or tab
        if form.cleaned_data["unit"] in chosen:
            chosen = [form.cleaned_data["unit"]]
    mine = Demand.objects.visible_to(request.user).filter(assignee__in=chosen)
    counts = dict(
        mine.filter(status__in=INBOX_TABS)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    page = keyset_page(
        mine.filter(status=tab).select_related("place", "category", "assignee"),
        cursor=request.GET.get("cursor"),
        size=settings.PAGE_SIZE,
        order=ORDER,
    )
    query = request.GET.copy()
    query.pop("cursor", None)
    query.pop("tab", None)
    context = {
        "form": form,
        "tab": tab,
        "tabs": [(s, s.label, counts.get(s, 0)) for s in INBOX_TABS],
        "page": page,
        "rows": _rows(page.items, timezone.now()),
        "query": _query_without_cursor(request),
        "tab_query": query.urlencode(),
        "many_units": len(units) > 1,
    }
    template = "demands/_staff_inbox_rows.html" if request.htmx else "demands/inbox_list.html"
    return render(request, template, context)


def _street_scope_q(user: Any) -> Q | None:
    """Places under the streets (or higher levels) the user administers; None if none."""
    if user.is_superuser:
        return Q()
    q = Q()
    paths = [p for p in staff_scope_paths(user) if len(p) <= 3 * SEGMENT]
    for path in paths:
        low, high = path_range(path)
        q |= Q(place_path__gte=low, place_path__lt=high)
    return q if paths else None


@login_required
@require_GET
def extensions(request: AuthedRequest) -> HttpResponse:
    """Extension requests waiting for the street's answer, newest first."""
    scope = _street_scope_q(request.user)
    if scope is None:
        raise Http404
    pending = (
        Demand.objects.visible_to(request.user)
        # Only orders still with a unit can use more time (and the status index serves this).
        .filter(scope, status__in=WITH_UNIT_STATUSES, extension_requested_until__isnull=False)
        .select_related("place", "category", "assignee")
    )
    page = keyset_page(
        pending, cursor=request.GET.get("cursor"), size=settings.PAGE_SIZE, order=ORDER
    )
    rows = [(d, request.user.has_perm("demands.decide_extension", d)) for d in page.items]
    context = {"page": page, "rows": rows, "query": _query_without_cursor(request)}
    template = (
        "demands/_staff_extension_rows.html" if request.htmx else "demands/extension_list.html"
    )
    return render(request, template, context)
