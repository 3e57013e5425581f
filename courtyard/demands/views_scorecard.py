"""Scorecards: the three rates and the composite score of a place or a unit for a month,
the 12-month trend, and (for a place) the ranking of its children.

A place's scorecard is for the staff who administer it (`people.scopes.administers`); a
unit's for its handlers and the staff who administer the place where it sits. Everyone
else gets the page a missing id gets (404). A fixed number of queries per page.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from courtyard.core.http import AuthedRequest
from courtyard.demands import scores, whistles
from courtyard.organizations.models import Organization, handled_organizations
from courtyard.people.scopes import administers
from courtyard.places.models import ADMINISTRATIVE_KINDS, STREET_LEVEL_KINDS, Place

TREND_MONTHS = 12
MONTH = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)


class MonthForm(forms.Form):
    """The month picker: a GET form whose `<input type=month>` (scorecard_month.html) sends
    YYYY-MM; browsers without a month input show a text box that takes the same."""

    month = forms.CharField(
        label=_("Month"),
        required=False,
        max_length=7,
        help_text=_("As YYYY-MM, for example 2025-03."),
    )

    def clean_month(self) -> date | None:
        text = self.cleaned_data["month"].strip()
        if not text:
            return None
        match = MONTH.match(text)
        if not match or not 1 <= int(match[2]) <= 12 or not 1900 <= int(match[1]) <= 9998:
            raise forms.ValidationError(_("Give a month as YYYY-MM, for example 2025-03."))
        return date(int(match[1]), int(match[2]), 1)


def _month(request: AuthedRequest) -> tuple[MonthForm, date]:
    """The month asked for (this month when none, or when the input is not a month)."""
    form = MonthForm(request.GET)
    month = form.cleaned_data["month"] if form.is_valid() else None
    return form, month or scores.current_month()


BAR_CELL = '<td><meter min="0" max="100" value="{}" aria-hidden="true"></meter> {}{}</td>'
EMPTY_CELL = '<td><span aria-hidden="true">—</span><span class="visually-hidden">{}</span></td>'


def rate_cells(rates: scores.Rates) -> SafeString:
    """The table cells of the composite score and the three rates: a bar (`<meter>`, hidden
    from screen readers) and the number, or a dash read as "nothing to count". Built here
    rather than in the template: the city's ranking has 343 rows, and the template engine
    spends ~10 µs on every variable it renders."""
    cells = [
        format_html(EMPTY_CELL, gettext("nothing to count"))
        if value is None
        else format_html(BAR_CELL, value, value, unit)
        for value, unit in rates.cells
    ]
    return format_html_join("", "{}", ((cell,) for cell in cells))


def _render(request: AuthedRequest, template: str, form: MonthForm, **context: Any) -> HttpResponse:
    month: date = context["month"]
    trend: list[scores.Rates] = context["trend"]
    this_month = scores.current_month()
    context.update(
        form=form,
        rates=trend[-1],
        trend_rows=[(r, rate_cells(r)) for r in trend],
        is_current_month=month == this_month,
        previous_month=scores.add_months(month, -1),
        next_month=scores.add_months(month, 1) if month < this_month else None,
    )
    return render(request, template, context, status=400 if form.errors else 200)


@login_required
@require_GET
def place_scorecard(request: AuthedRequest, place_id: int) -> HttpResponse:
    """The scorecard of a community, street, district or the city; the ranking of the
    streets (city, district) or communities (street) under it; for a street, the whistles
    it blew month by month."""
    place = get_object_or_404(Place.objects.filter(kind__in=ADMINISTRATIVE_KINDS), pk=place_id)
    if not administers(request.user, place.path):
        raise Http404
    form, month = _month(request)
    ancestors = [a for a in place.ancestors() if administers(request.user, a.path)]
    is_street = place.kind in STREET_LEVEL_KINDS
    whistle_trend = scores.whistle_trend(place, TREND_MONTHS, month) if is_street else []
    return _render(
        request,
        "demands/scorecard_place.html",
        form,
        place=place,
        month=month,
        ancestors=ancestors,
        trend=scores.trend(place, TREND_MONTHS, month),
        ranking=[(row, rate_cells(row.rates)) for row in scores.ranking(place, month)],
        ranks_anything=bool(scores.ranked_kinds(place)),
        ranks_streets=bool(scores.ranked_kinds(place) & STREET_LEVEL_KINDS),
        whistle_trend=whistle_trend,
        whistle_month=whistle_trend[-1] if whistle_trend else None,
    )


@login_required
@require_GET
def unit_scorecard(request: AuthedRequest, org_id: int) -> HttpResponse:
    """The scorecard of a unit or department, for its handlers and the staff over its seat:
    the three rates, and how it answered the streets' whistles in the month."""
    org = get_object_or_404(
        Organization.objects.visible_to(request.user).select_related("place"), pk=org_id
    )
    administers_seat = administers(request.user, org.place_path)
    if not (administers_seat or handled_organizations(request.user).filter(pk=org.pk).exists()):
        raise Http404
    form, month = _month(request)
    return _render(
        request,
        "demands/scorecard_unit.html",
        form,
        org=org,
        month=month,
        administers_seat=administers_seat and org.place.kind in ADMINISTRATIVE_KINDS,
        trend=scores.trend(org, TREND_MONTHS, month),
        whistle_record=whistles.unit_whistle_record(org, month),
    )
