"""Council pages: the public side (councils, proposals, resolutions) and the meeting side
(meetings, the secretary's screen, votes and ballots, owners' rolls)."""

from django.urls import include, path

app_name = "councils"

urlpatterns = [
    path("", include("courtyard.councils.urls_public")),
    path("", include("courtyard.councils.urls_meetings")),
]
