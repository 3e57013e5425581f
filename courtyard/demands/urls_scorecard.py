"""Scorecard routes: the three rates of a place or a unit (views_scorecard)."""

from django.urls import path

from courtyard.demands import views_scorecard

urlpatterns = [
    path(
        "scorecard/<int:place_id>/",
        views_scorecard.place_scorecard,
        name="scorecard-place",
    ),
    path(
        "scorecard/unit/<int:org_id>/",
        views_scorecard.unit_scorecard,
        name="scorecard-unit",
    ),
]
