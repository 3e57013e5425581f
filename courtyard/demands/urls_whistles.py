"""Whistle-and-report routes (views_whistles): the street's board, blowing a whistle, one
whistle's page, and the POST routes of its steps, all named `demands:whistle-*`."""

from django.urls import URLPattern, path

from courtyard.demands import views_whistles as views

urlpatterns: list[URLPattern] = [
    path("whistles/", views.whistle_list, name="whistle-list"),
    path("whistles/new/", views.whistle_create, name="whistle-create"),
    path("whistles/<int:pk>/", views.whistle_detail, name="whistle-detail"),
    path("whistles/<int:pk>/report/", views.whistle_report, name="whistle-report"),
    path("whistles/<int:pk>/close/", views.whistle_close, name="whistle-close"),
    path("whistles/<int:pk>/score/", views.whistle_score, name="whistle-score"),
]
