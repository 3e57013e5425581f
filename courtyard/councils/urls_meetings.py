"""Meeting-side routes, all named `councils:<name>`: meetings and the meeting screen
(views_meetings), votes and ballots (views_votes), owners' rolls (views_rolls)."""

from django.urls import URLPattern, path

from courtyard.councils import views_meetings as meetings
from courtyard.councils import views_rolls as rolls
from courtyard.councils import views_votes as votes

urlpatterns: list[URLPattern] = [
    # Meetings: the public page and the staff's preparation.
    path("<int:council_pk>/meetings/new/", meetings.meeting_create, name="meeting-create"),
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/motions/", meetings.meeting_add_motion, name="meeting-add-motion"),
    path("meetings/<int:pk>/announce/", meetings.meeting_announce, name="meeting-announce"),
    path("meetings/<int:pk>/cancel/", meetings.meeting_cancel, name="meeting-cancel"),
    # The secretary's meeting screen.
    path("meetings/<int:pk>/run/", meetings.meeting_run, name="meeting-run"),
    path("meetings/<int:pk>/open/", meetings.meeting_open, name="meeting-open"),
    path("meetings/<int:pk>/attendance/", meetings.meeting_attendance, name="meeting-attendance"),
    path("meetings/<int:pk>/close/", meetings.meeting_close, name="meeting-close"),
    path("motions/<int:pk>/debate/", meetings.motion_debate, name="motion-debate"),
    path("motions/<int:pk>/floor/", meetings.motion_floor, name="motion-floor"),
    path("motions/<int:pk>/end-speech/", meetings.motion_end_speech, name="motion-end-speech"),
    path("motions/<int:pk>/defer/", meetings.motion_defer, name="motion-defer"),
    path("motions/<int:pk>/vote/", votes.motion_vote, name="motion-vote"),
    # Votes and ballots.
    path("votes/<int:pk>/", votes.vote_detail, name="vote-detail"),
    path("votes/<int:pk>/open/", votes.vote_open, name="vote-open"),
    path("votes/<int:pk>/hands/", votes.vote_hands, name="vote-hands"),
    path("votes/<int:pk>/close/", votes.vote_close, name="vote-close"),
    path("votes/<int:pk>/cancel/", votes.vote_cancel, name="vote-cancel"),
    path("votes/<int:pk>/ballot/", votes.ballot_cast, name="ballot-cast"),
    path("votes/<int:pk>/paper/", votes.ballot_paper, name="ballot-paper"),
    # Owners' rolls.
    path("<int:council_pk>/rolls/new/", rolls.roll_upload, name="roll-upload"),
    path("rolls/<int:pk>/", rolls.roll_detail, name="roll-detail"),
    path("rolls/<int:pk>/vote/", rolls.roll_vote, name="roll-vote"),
]
