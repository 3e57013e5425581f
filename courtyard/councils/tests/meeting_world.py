"""A council with meetings and votes in every state the meeting pages show, built through
the actions; shared by the meeting-side page tests and their permission matrix."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.utils import timezone

from conftest import Personas
from courtyard.councils import actions
from courtyard.councils.models import Meeting, Motion, OwnersRoll, Vote
from courtyard.councils.tests.conftest import Board
from courtyard.people.models import User

PERSONAS = ("here", "above", "sibling", "secretary", "member", "resident", "stranger", "anonymous")
STATE_APPS = ("core", "places", "people", "organizations", "demands", "councils")
VOLATILE = {"last_login", "last_used_at"}

ROLL_CSV = (
    "part,area,owner_id,owner_name,username\n"
    "1-101,85.50,O1,王秀兰,resident\n"
    "1-102,90.00,O2,刘建国,\n"
    "1-201,60.25,O3,开发商,\n"
    "1-202,60.25,O3,开发商,\n"
).encode()


def db_state() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the project's tables, to compare before and after a refused request."""
    state = {}
    for label in STATE_APPS:
        for model in apps.get_app_config(label).get_models():
            names = [f.attname for f in model._meta.concrete_fields if f.attname not in VOLATILE]
            state[model._meta.label] = list(
                model._default_manager.order_by("pk").values_list(*names)
            )
    return state


def soon_meeting(board: Board, by: User, title: str, *, motions: int = 1) -> Meeting:
    """An announced meeting starting in half an hour (scheduled and announced days ago)."""
    now = timezone.now()
    past = now - timedelta(days=4)
    meeting = actions.schedule_meeting(
        board.council,
        by=by,
        title=title,
        location="草厂四条44号院",
        starts_at=now + timedelta(minutes=30),
        now=past,
    )
    for i in range(1, motions + 1):
        actions.add_motion(meeting, by=by, title=f"{title}动议{i}", text="说明", now=past)
    return actions.announce_meeting(meeting, by=by, now=past)


def running_meeting(board: Board, by: User, title: str, *, motions: int = 1) -> Meeting:
    """An open meeting with the first four members present."""
    meeting = actions.open_meeting(soon_meeting(board, by, title, motions=motions), by=by)
    actions.record_attendance(meeting, by=by, members=board.members[:4])
    return meeting


@dataclass
class World:
    board: Board
    personas: Personas
    draft: Meeting  # a draft with one motion, in five days
    announced: Meeting  # announced, starting in half an hour
    running: Meeting  # in progress; motions: debating (a speech on), draft vote, open vote
    quiet: Meeting  # in progress, one motion waiting: to be closed
    debating: Motion
    speaking_member: Any
    draft_vote: Vote
    open_vote: Vote  # members' vote, show of hands
    roll: OwnersRoll
    owners_vote: Vote  # open, online window running; the resident owns 1-101

    def user(self, persona: str) -> User | None:
        if persona == "anonymous":
            return None
        if persona == "secretary":
            return self.board.secretary.user
        if persona == "member":
            return self.board.members[2].user
        return getattr(self.personas, persona)


def build_world(board: Board, personas: Personas, now: datetime | None = None) -> World:
    here = personas.here
    now = now or timezone.now()
    draft = actions.schedule_meeting(
        board.council,
        by=here,
        title="草案会议",
        location="社区活动室",
        starts_at=now + timedelta(days=5),
    )
    actions.add_motion(draft, by=here, title="楼道照明", text="更换楼道灯")
    announced = soon_meeting(board, here, "即将开会")
    running = running_meeting(board, here, "进行中会议", motions=3)
    debating, with_draft, with_open = list(running.motions.order_by("position"))
    actions.start_debate(debating, by=here)
    member = board.members[2]
    actions.give_floor(debating, by=here, member=member, stance="for")
    draft_vote = actions.create_vote(board.council, by=here, motion=with_draft)
    open_vote = actions.open_vote(
        actions.create_vote(board.council, by=here, motion=with_open), by=here
    )
    quiet = running_meeting(board, here, "待结束会议")
    roll = actions.import_roll(board.council, by=here, name="草厂三条12号院业主名册", data=ROLL_CSV)
    owners_vote = actions.open_vote(
        actions.create_vote(
            board.council,
            by=here,
            title="续聘物业服务企业",
            roll=roll,
            matter="4",
            online_opens_at=now - timedelta(hours=1),
            online_closes_at=now + timedelta(days=7),
        ),
        by=here,
    )
    return World(
        board, personas, draft, announced, running, quiet, debating, member, draft_vote,
        open_vote, roll, owners_vote,
    )  # fmt: skip
