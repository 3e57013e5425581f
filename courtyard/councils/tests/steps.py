"""Steps shared by the action tests: a fixed clock, the path to each state through the
actions, and `unchanged` — the proof that a refused action left no trace."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import models

from courtyard.core.models import AuditEvent
from courtyard.councils import actions
from courtyard.councils import models as council_models
from courtyard.councils.models import Meeting, Motion, Proposal, Resolution, Vote
from courtyard.demands.models import Demand

BEIJING = ZoneInfo("Asia/Shanghai")
# Monday 3 March 2025, 09:00 in Beijing: every test runs on this frozen clock.
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=BEIJING)
START = T0 + timedelta(days=4)  # the meeting of `meeting_in_progress` (Friday 09:00)
SECOND = timedelta(seconds=1)

COUNTED: list[type[models.Model]] = [
    *(getattr(council_models, name) for name in council_models.__all__),
    AuditEvent,
    Demand,
]
COUNTED = [m for m in COUNTED if isinstance(m, type) and issubclass(m, models.Model)]


def row_counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in COUNTED}


def state(obj: models.Model) -> dict[str, Any]:
    fresh = type(obj)._default_manager.get(pk=obj.pk)
    return {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields}


@contextmanager
def unchanged(*objs: models.Model) -> Iterator[None]:
    """Assert that the block writes no row anywhere (no audit row either) and leaves `objs`
    as they were. Put it outside `pytest.raises`."""
    before = (row_counts(), [state(o) for o in objs])
    yield
    assert (row_counts(), [state(o) for o in objs]) == before


def events(obj: models.Model, verb: str | None = None) -> list[AuditEvent]:
    """The object's audit rows, oldest first."""
    rows = AuditEvent.objects.for_object(obj).order_by("pk")
    return list(rows.filter(verb=verb) if verb else rows)


def on_agenda(board: Any, personas: Any, *, now: datetime = T0) -> Proposal:
    """A resident's proposal, screened onto the agenda."""
    proposal = actions.raise_proposal(
        board.council, by=personas.resident, title="院内加装晾衣架", body="楼前空地加装。", now=now
    )
    return actions.screen_proposal(proposal, by=personas.here, now=now)


@dataclass
class Sitting:
    meeting: Meeting
    motion: Motion
    proposal: Proposal


def meeting_in_progress(board: Any, personas: Any, *, present: int = 4) -> Sitting:
    """A meeting announced at T0, opened at START with `present` members (the first ones)
    recorded present, its one motion (the screened proposal) in debate."""
    proposal = on_agenda(board, personas)
    meeting = actions.schedule_meeting(
        board.council, by=personas.here, title="议事会", location="草厂四条44号院",
        starts_at=START, now=T0,
    )  # fmt: skip
    motion = actions.add_motion(meeting, by=personas.here, proposal=proposal, now=T0)
    actions.announce_meeting(meeting, by=personas.here, now=T0)
    actions.open_meeting(meeting, by=board.secretary.user, now=START)
    if present:
        actions.record_attendance(
            meeting, by=board.secretary.user, members=board.members[:present], now=START
        )
    actions.start_debate(motion, by=board.chair.user, now=START)
    return Sitting(meeting, motion, proposal)


def open_motion_vote(board: Any, sitting: Sitting) -> Vote:
    vote = actions.create_vote(
        board.council, by=board.secretary.user, motion=sitting.motion, now=START
    )
    return actions.open_vote(vote, by=board.secretary.user, now=START)


def voter_of(vote: Vote, member: Any) -> Any:
    return vote.voters.get(key=f"member:{member.pk}")


def passed_resolution(board: Any, personas: Any) -> Resolution:
    """A draft resolution: 4 present, hands 3 yes 1 no, closed at START."""
    sitting = meeting_in_progress(board, personas)
    vote = open_motion_vote(board, sitting)
    marks = ["yes", "yes", "yes", "no"]
    choices = {voter_of(vote, m): c for m, c in zip(board.members[:4], marks, strict=True)}
    actions.record_hands(vote, by=board.secretary.user, choices=choices, now=START)
    actions.close_vote(vote, by=board.secretary.user, now=START)
    return Resolution.objects.get(vote=vote)


def published_resolution(board: Any, personas: Any, *, at: datetime = START) -> Resolution:
    """Signed by the first three members and published at `at`."""
    resolution = passed_resolution(board, personas)
    for member in board.members[:3]:
        actions.record_signature(resolution, by=board.secretary.user, member=member, now=at)
    return actions.publish_resolution(resolution, by=personas.here, now=at)


def in_effect_resolution(board: Any, personas: Any) -> Resolution:
    resolution = published_resolution(board, personas)
    later = max(resolution.publication_ends_at, resolution.objection_ends_at)  # type: ignore[type-var]
    assert actions.check_council_clocks(now=later).in_effect == 1
    resolution.refresh_from_db()
    return resolution
