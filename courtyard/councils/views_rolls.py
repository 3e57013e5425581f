"""Owners' rolls (业主名册): upload a CSV (every bad row shown with its line number, nothing
stored), the roll page (exclusive parts and owners: personal data, staff over the council's
place only, keyset pages) and an owners' vote on a roll with its Art. 278 matter.

Rolls carry no place of their own: they are reached through a council the user may see,
and every page checks `councils.see_owners` / `councils.manage` on that council (404 when
refused).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from courtyard.core.errors import DomainError
from courtyard.core.http import AuthedRequest
from courtyard.core.pagination import keyset_page
from courtyard.councils import actions
from courtyard.councils.actions.rolls import RollImportError
from courtyard.councils.forms_meetings import OwnersVoteForm, RollForm
from courtyard.councils.models import Council, OwnersRoll
from courtyard.councils.views_meetings import require

ROLLS_SHOWN = 50


def _roll(request: AuthedRequest, pk: int, perm: str) -> OwnersRoll:
    roll = get_object_or_404(
        OwnersRoll.objects.filter(
            council__in=Council.objects.visible_to(request.user)
        ).select_related("council"),
        pk=pk,
    )
    require(request.user, perm, roll.council)
    return roll


@login_required
@require_http_methods(["GET", "POST"])
def roll_upload(request: AuthedRequest, council_pk: int) -> HttpResponse:
    """Import a roll from CSV: all rows or none; each bad row listed with its line."""
    council = get_object_or_404(Council.objects.visible_to(request.user), pk=council_pk)
    require(request.user, "councils.manage", council)
    form = RollForm(request.POST or None, request.FILES or None)
    row_errors: list[str] = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                roll = actions.import_roll(
                    council,
                    by=request.user,
                    name=form.cleaned_data["name"],
                    data=form.cleaned_data["file"],
                )
            except RollImportError as exc:
                form.add_error(
                    "file",
                    _("The roll was not imported: %(count)d rows are wrong.")
                    % {"count": len(exc.errors)},
                )
                row_errors = [str(e) for e in exc.errors]
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = exc.status
            else:
                messages.success(
                    request,
                    _("The roll is imported: %(parts)d exclusive parts, %(owners)d owners.")
                    % {"parts": roll.part_count, "owners": roll.owner_count},
                )
                return redirect("councils:roll-detail", pk=roll.pk)
    rolls = list(council.rolls.order_by("-imported_at", "-pk")[:ROLLS_SHOWN])
    context = {"form": form, "council": council, "row_errors": row_errors, "rolls": rolls}
    return render(request, "councils/roll_upload.html", context, status=status)


@login_required
@require_GET
def roll_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """The roll's totals, its votes and its parts with their owners (keyset pages)."""
    roll = _roll(request, pk, "councils.see_owners")
    page = keyset_page(
        roll.parts.all(),
        cursor=request.GET.get("cursor"),
        size=settings.PAGE_SIZE,
        order=("part", "pk"),
    )
    context = {
        "roll": roll,
        "council": roll.council,
        "page": page,
        "votes": list(roll.votes.order_by("-pk")[:ROLLS_SHOWN]) if not request.htmx else [],
    }
    template = "councils/roll_detail_rows.html" if request.htmx else "councils/roll_detail.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def roll_vote(request: AuthedRequest, pk: int) -> HttpResponse:
    """Prepare an owners' vote on this roll: the question, the matter, the online window."""
    roll = _roll(request, pk, "councils.manage")
    form = OwnersVoteForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                vote = actions.create_vote(
                    roll.council, by=request.user, roll=roll, **form.cleaned_data
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("The owners' vote is prepared: open it to start."))
                return redirect("councils:vote-detail", pk=vote.pk)
    context = {"form": form, "roll": roll, "council": roll.council}
    return render(request, "councils/roll_vote_form.html", context, status=status)
