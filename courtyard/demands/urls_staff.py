"""Staff pages: the triage queue, recording on someone's behalf, the unit inbox and the
street's extension requests (views_staff)."""

from django.urls import path

from courtyard.demands import views_staff

urlpatterns = [
    path("triage/", views_staff.triage, name="triage"),
    path("triage/bulk/", views_staff.triage_bulk, name="triage-bulk"),
    path("record/", views_staff.record, name="record"),
    path("inbox/", views_staff.inbox, name="inbox"),
    path("extensions/", views_staff.extensions, name="extensions"),
]
