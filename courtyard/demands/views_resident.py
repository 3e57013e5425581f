"""The resident's pages — raise a demand, my demands — and the page of one demand that
everyone who may see it uses, with the action forms the viewer may use.

Every action form posts to its own URL (`demands:demand-<slug>`): the view fetches the
demand through `visible_to`, checks the rules permission (404 when either refuses: forbidden
looks like missing), parses the form, calls one action and redirects back to the page.
A refused step (DomainError) or bad input renders the page again with the message, 400/409.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_stubs_ext import StrOrPromise

from courtyard.core.errors import Conflict, DomainError
from courtyard.core.http import AuthedRequest
from courtyard.core.models import AuditEvent
from courtyard.core.pagination import keyset_page
from courtyard.core.text import localized_name
from courtyard.demands import actions
from courtyard.demands.forms_resident import (
    CATEGORIES_SHOWN,
    UNITS_SHOWN,
    ActionForm,
    AnswerForm,
    ContactForm,
    DecideExtensionForm,
    DemandForm,
    DispatchForm,
    EvaluateForm,
    ExtensionForm,
    MergeForm,
    NoFieldsForm,
    ReasonForm,
    ReplyForm,
    leaf_categories,
    new_idempotency_key,
    search_places,
    search_term,
)
from courtyard.demands.models import (
    TRANSITIONS,
    Channel,
    Demand,
    DemandPhoto,
    ServiceCategory,
    Status,
)
from courtyard.demands.routing import dispatch_candidates
from courtyard.demands.similar import similar_for
from courtyard.organizations.models import Organization

# ── The steps a viewer may take on a demand's page ───────────────────────────────────────


@dataclass(frozen=True)
class Step:
    slug: str  # URL part and name: demands:demand-<slug>
    perm: str  # the rules permission checked on the demand
    form: type[ActionForm]
    title: StrOrPromise
    button: StrOrPromise
    done: StrOrPromise  # the message after it worked
    run: Callable[[Demand, Any, Any], Demand]  # (demand, user, form) → one action
    transition: str | None = None  # the form shows when TRANSITIONS allows this move


def _has_status(step: Step, demand: Demand) -> bool:
    if step.transition is not None:
        return demand.status in TRANSITIONS[step.transition][0]
    if step.slug == "request-extension":
        return (
            demand.status in (Status.SIGNED, Status.CONTACTED)
            and demand.extension_requested_until is None
        )
    return demand.extension_requested_until is not None  # decide-extension


def is_offered(step: Step, demand: Demand) -> bool:
    """Whether the page offers the step's form now (the action decides in the end)."""
    if step.slug == "return" and (
        demand.return_until is None or timezone.now() > demand.return_until
    ):
        return False
    return _has_status(step, demand)


STEPS: dict[str, Step] = {
    step.slug: step
    for step in [
        # The requester
        Step(
            "evaluate", "demands.evaluate", EvaluateForm,
            _("Rate the result"), _("Send my rating"), _("Thank you: your rating is recorded."),
            lambda d, u, f: actions.evaluate_demand(
                d, by=u, resolved=f.cleaned_data["resolved"],
                satisfaction=f.cleaned_data["satisfaction"], comment=f.cleaned_data["comment"],
            ),
            "evaluate_demand",
        ),
        Step(
            "reopen", "demands.reopen", ReasonForm,
            _("Not solved? Reopen it"), _("Reopen"), _("The demand is reopened."),
            lambda d, u, f: actions.reopen_demand(d, by=u, reason=f.cleaned_data["reason"]),
            "reopen_demand",
        ),
        # Staff administering the place
        Step(
            "accept", "demands.triage", NoFieldsForm,
            _("Accept"), _("Accept"), _("The demand is accepted."),
            lambda d, u, f: actions.accept_demand(d, by=u),
            "accept_demand",
        ),
        Step(
            "dispatch", "demands.triage", DispatchForm,
            _("Dispatch to a unit"), _("Dispatch"), _("The demand is dispatched."),
            lambda d, u, f: actions.dispatch_demand(
                d, by=u, organization=f.cleaned_data["organization"]
            ),
            "dispatch_demand",
        ),
        Step(
            "answer", "demands.triage", AnswerForm,
            _("Answer directly (a consultation)"), _("Answer"), _("The answer is sent."),
            lambda d, u, f: actions.answer_demand(d, by=u, answer=f.cleaned_data["answer"]),
            "answer_demand",
        ),
        Step(
            "merge", "demands.triage", MergeForm,
            _("Merge into the demand it duplicates"), _("Merge"), _("The demand is merged."),
            lambda d, u, f: actions.merge_demand(d, by=u, primary=f.cleaned_data["primary"]),
            "merge_demand",
        ),
        Step(
            "decline", "demands.triage", ReasonForm,
            _("Decline"), _("Decline"), _("The demand is declined."),
            lambda d, u, f: actions.decline_demand(d, by=u, reason=f.cleaned_data["reason"]),
            "decline_demand",
        ),
        Step(
            "close", "demands.close", NoFieldsForm,
            _("Close without a rating"), _("Close"), _("The demand is closed."),
            lambda d, u, f: actions.close_demand(d, by=u),
            "close_demand",
        ),
        # The handlers of the unit it is dispatched to
        Step(
            "sign", "demands.handle", NoFieldsForm,
            _("Sign for the order"), _("Sign for it"), _("You have signed for the order."),
            lambda d, u, f: actions.sign_demand(d, by=u),
            "sign_demand",
        ),
        Step(
            "contact", "demands.handle", ContactForm,
            _("Requester contacted"), _("Record the contact"), _("The contact is recorded."),
            lambda d, u, f: actions.contact_requester(d, by=u, note=f.cleaned_data["note"]),
            "contact_requester",
        ),
        Step(
            "reply", "demands.handle", ReplyForm,
            _("Reply"), _("Send the reply"), _("The reply is sent."),
            lambda d, u, f: actions.reply_demand(d, by=u, reply=f.cleaned_data["reply"]),
            "reply_demand",
        ),
        Step(
            "request-extension", "demands.handle", ExtensionForm,
            _("Ask for more time"), _("Ask the street"), _("The request for more time is sent."),
            lambda d, u, f: actions.request_extension(
                d, by=u, until=f.until_datetime(), reason=f.cleaned_data["reason"]
            ),
        ),
        Step(
            "return", "demands.handle", ReasonForm,
            _("Return a misrouted order"), _("Return it"), _("The order is returned."),
            lambda d, u, f: actions.return_demand(d, by=u, reason=f.cleaned_data["reason"]),
            "return_demand",
        ),
        # The street
        Step(
            "decide-extension", "demands.decide_extension", DecideExtensionForm,
            _("More time asked"), _("Decide"), _("The decision on more time is recorded."),
            lambda d, u, f: actions.decide_extension(
                d, by=u, approve=f.cleaned_data["decision"] == DecideExtensionForm.APPROVE
            ),
        ),
    ]
}  # fmt: skip


def _visible_demand(request: AuthedRequest, pk: int) -> Demand:
    # `has_photos` rides on the same query: a page without photos spends none on them.
    return get_object_or_404(
        Demand.objects.visible_to(request.user)
        .select_related("place", "category", "assignee", "primary")
        .annotate(has_photos=Exists(DemandPhoto.objects.filter(demand=OuterRef("pk")))),
        pk=pk,
    )


def _form_kwargs(step: Step, request: AuthedRequest, demand: Demand) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"slug": step.slug}
    if step.form is MergeForm:
        # Only demands this person administers: merging makes the duplicate's requester
        # follow the primary.
        kwargs["candidates"] = Demand.objects.administered_by(request.user).exclude(pk=demand.pk)
    elif step.form is DispatchForm:
        kwargs["candidates"] = dispatch_candidates(demand)
    return kwargs


def _listed_units(request: AuthedRequest, demand: Demand) -> list[Organization]:
    qs = dispatch_candidates(demand)
    unit_q = search_term(request.GET.get("unit_q"))
    if unit_q:
        qs = qs.filter(name__startswith=unit_q)
    return list(qs.order_by("name", "pk")[:UNITS_SHOWN])


# ── The page of one demand ────────────────────────────────────────────────────────────────


def _timeline(request: AuthedRequest, demand: Demand, *, with_actor: bool) -> dict[str, Any]:
    """The demand's audit trail, newest first: when, what, the note written with it — never
    the other recorded values (a unit's id, a requester's details)."""
    events = AuditEvent.objects.for_object(demand)
    if with_actor:
        events = events.select_related("actor")
    page = keyset_page(
        events, cursor=request.GET.get("cursor"), size=settings.PAGE_SIZE, order=("-pk",)
    )
    rows = []
    for event in page.items:
        note = event.changes.get("note")
        rows.append(
            {
                "at": event.created_at,
                "label": event.verb_label,
                "note": note[1] if isinstance(note, list) and len(note) == 2 else "",
                "actor": (event.actor or _("system")) if with_actor else None,
            }
        )
    return {"rows": rows, "next_cursor": page.next_cursor}


def _answers(demand: Demand) -> list[tuple[str, Any]]:
    """The answers to the category's questions, each with its question (a list's name for
    the key chosen)."""
    questions = {q.get("code"): q for q in demand.category.attributes}
    shown = []
    for code, value in demand.attributes.items():
        question = questions.get(code, {})
        label = localized_name(
            str(question.get("description") or code), str(question.get("description_en") or "")
        )
        names = {str(v.get("key")): v.get("name") for v in question.get("values", [])}
        shown.append((label, names.get(str(value)) or value))
    return shown


def _render_detail(
    request: AuthedRequest,
    demand: Demand,
    *,
    bound: ActionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    is_requester = bool(demand.requester_id) and demand.requester_id == user.pk
    handles = user.has_perm("demands.see_requester", demand)  # staff over it, its unit
    allowed: dict[str, bool] = {}  # several steps share a permission: ask once
    panels: list[dict[str, Any]] = []
    for step in STEPS.values():
        if not is_offered(step, demand):
            continue
        if step.perm not in allowed:
            allowed[step.perm] = user.has_perm(step.perm, demand)
        if not allowed[step.perm]:
            continue
        if bound is not None and bound.slug == step.slug:
            form = bound  # as sent, with its errors
        else:
            form = step.form(**_form_kwargs(step, request, demand))
        if isinstance(form, DispatchForm):
            form.list_units(_listed_units(request, demand))
        panels.append(
            {
                "step": step,
                "form": form,
                "url": reverse(f"demands:demand-{step.slug}", args=[demand.pk]),
            }
        )
    refused = []
    if bound is not None and bound.slug not in {panel["step"].slug for panel in panels}:
        # A step the page does not offer now (another took it first): say why up top.
        refused = [error for errors in bound.errors.values() for error in errors]
    context = {
        "demand": demand,
        "refused": refused,
        "is_requester": is_requester,
        "can_see_requester": is_requester or handles,
        # Photos: for those who see the demand in full (one query, when there are any).
        "photos": list(demand.photos.order_by("pk"))
        if (is_requester or handles) and getattr(demand, "has_photos", True)
        else [],
        "answers": _answers(demand),
        "timeline": _timeline(request, demand, with_actor=handles),
        "panels": panels,
        "unit_q": search_term(request.GET.get("unit_q")),
        # Likely duplicates, for those who may merge them (a fixed 1–3 queries).
        "similar": similar_for(
            user,
            text=demand.description,
            place=demand.place,
            category=demand.category,
            exclude_id=demand.pk,
        )
        if demand.is_open and allowed.get("demands.triage", user.has_perm("demands.triage", demand))
        else [],
    }
    return render(request, "demands/demand_detail.html", context, status=status)


@login_required
@require_GET
def demand_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """One demand: what, where, where it stands, its timeline, and the viewer's forms."""
    return _render_detail(request, _visible_demand(request, pk))


@login_required
@require_POST
def demand_action(request: AuthedRequest, pk: int, slug: str) -> HttpResponse:
    """One step on a demand (see STEPS): authorize, parse, one action, back to the page."""
    step = STEPS[slug]
    demand = _visible_demand(request, pk)
    if not request.user.has_perm(step.perm, demand):
        raise Http404
    form = step.form(request.POST, **_form_kwargs(step, request, demand))
    if not form.is_valid():
        return _render_detail(request, demand, bound=form, status=400)
    try:
        step.run(demand, request.user, form)
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _render_detail(request, demand, bound=form, status=exc.status)
    messages.success(request, str(step.done))
    return redirect("demands:demand-detail", pk=demand.pk)


# ── Raising a demand ──────────────────────────────────────────────────────────────────────


def _chosen_category(raw: Any, listed: list[ServiceCategory]) -> ServiceCategory | None:
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        return None
    found = next((c for c in listed if c.pk == pk), None)
    return found or ServiceCategory.objects.active().filter(pk=pk).first()


def _form_field(form: DemandForm, field: str | None) -> str | None:
    """The form's field for an action's field name (None: the form as a whole)."""
    name = {"lat": "latitude", "long": "longitude"}.get(field or "", field or "")
    if name.startswith("attribute[") and name.endswith("]"):
        name = f"attr_{name[len('attribute[') : -1]}"
    return name if name in form.fields else None


def _similar_on_form(user: Any, form: DemandForm) -> dict[str, Any]:
    """The similar-demands section of the raise form: open demands at the same place that
    look like the same problem, by their public summaries only (a fixed 1–3 queries)."""
    query = form.similar_query()
    if query is None:
        return {"checked": True, "ready": False, "rows": []}
    text, place, category = query
    rows = similar_for(user, text=text, place=place, category=category)
    return {"checked": True, "ready": True, "rows": rows}


@login_required
@require_http_methods(["GET", "POST"])
def demand_create(request: AuthedRequest) -> HttpResponse:
    """The intake form, phone first and without JavaScript: searching the catalogue
    (`?q=`) or the places (`?place_q=`) re-renders it; "check for similar demands"
    (`check_similar`, sent by htmx as the description is typed, or by its button) shows
    open demands like it and raises nothing; a double submit creates one demand."""
    user = request.user
    if not user.has_perm("demands.raise"):
        raise Http404
    q, place_q = search_term(request.GET.get("q")), search_term(request.GET.get("place_q"))
    home = user.home
    checking = request.method == "POST" and "check_similar" in request.POST
    # The htmx check needs no category list: the chosen category is read by its id.
    listed = [] if checking and request.htmx else list(leaf_categories(q)[:CATEGORIES_SHOWN])
    source = request.POST if request.method == "POST" else request.GET
    form = DemandForm(
        request.POST or None,
        request.FILES or None,
        home=home,
        categories=listed,
        found_places=search_places(home, place_q),
        chosen_category=_chosen_category(source.get("category"), listed),
        initial={
            "idempotency_key": new_idempotency_key(),
            "where": DemandForm.HOME if home and not place_q else DemandForm.OTHER,
            "category": source.get("category"),
        },
    )
    similar: dict[str, Any] = {"checked": False, "ready": False, "rows": []}
    if checking:
        similar = _similar_on_form(user, form)
        if request.htmx:
            return render(request, "demands/_raise_similar_results.html", {"similar": similar})
        form = DemandForm(  # the same values, shown again without the errors of a half-form
            home=home,
            categories=listed,
            found_places=form.found_places,
            chosen_category=form.chosen_category,
            initial=form.values_as_sent(),
        )
    elif request.method == "POST" and form.is_valid():
        key = f"web:{user.pk}:{form.cleaned_data['idempotency_key']}"
        try:
            demand = actions.submit_demand(
                by=user,
                channel=Channel.WEB,
                requester=user,
                idempotency_key=key,
                **form.submission(),
            )
        except Conflict:  # the same form raced in twice: the other request created it
            demand = get_object_or_404(Demand, idempotency_key=key, requester=user)
        except DomainError as exc:
            form.add_error(_form_field(form, exc.field), exc.message)
        else:
            messages.success(request, _("Your demand is raised. You can follow it here."))
        if not form.errors:
            return redirect("demands:demand-detail", pk=demand.pk)
    # The searches stay in the form's address, so that a refused form keeps its lists.
    kept = {"q": q, "place_q": place_q, "category": search_term(request.GET.get("category"))}
    context = {
        "form": form,
        "q": q,
        "place_q": place_q,
        "home": home,
        "form_query": urlencode({k: v for k, v in kept.items() if v}),
        "similar": similar,
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "demands/demand_form.html", context, status=status)


# ── My demands ────────────────────────────────────────────────────────────────────────────


@login_required
@require_GET
def demand_list_mine(request: AuthedRequest) -> HttpResponse:
    """The demands I raised, newest first, in keyset pages."""
    page = keyset_page(
        Demand.objects.filter(requester=request.user).select_related("category", "place"),
        cursor=request.GET.get("cursor"),
        size=settings.PAGE_SIZE,
        order=("-pk",),
    )
    template = "demands/_resident_rows.html" if request.htmx else "demands/demand_list_mine.html"
    return render(request, template, {"page": page})
