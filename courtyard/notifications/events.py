"""The notices other apps' actions send, one function per event, so that each call site is
one line after its audit row. Each names who is told and which page they open; the demand
labels are `str(demand)` — its number and public summary (category · place), never the
requester's name or phone."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from courtyard.notifications.actions import Notice, notify
from courtyard.notifications.recipients import (
    council_members,
    requester,
    staff_at,
    unit_handlers,
    voters,
)
from courtyard.places.models import path_ids

# Depth of the community in the city › district › street › community tree (path_ids index);
# escalation level n goes n levels up from it (demands.sla.escalated_to).
COMMUNITY = 3


def _demand_url(demand: Any) -> str:
    return reverse("demands:demand-detail", args=[demand.pk])


def demand_to_unit(demand: Any, *, verb: str, by: Any) -> None:
    """Tell the handlers of the demand's unit (dispatch, extension decided)."""
    if demand.assignee_id:
        notify(
            [unit_handlers(demand.assignee_id)],
            verb=verb,
            target=demand,
            url=_demand_url(demand),
            by=by,
        )


def demand_to_requester(demand: Any, *, verb: str, by: Any) -> None:
    """Tell the requester, when the demand was raised by an account (reply, answer, decline)."""
    notify(requester(demand), verb=verb, target=demand, url=_demand_url(demand), by=by)


def _place_at(place_path: str, depth: int) -> int:
    """The id of the place at `depth` on the path (the place itself when it lies higher)."""
    ids = path_ids(place_path)
    return ids[min(max(depth, 0), len(ids) - 1)]


def reminder_notice(demand: Any) -> Notice:
    """A deadline is near: the unit's handlers; while the demand waits for triage (no unit
    yet), the staff of its community. Read from the sweep's fields only (no query)."""
    if demand.assignee_id:
        audience = unit_handlers(demand.assignee_id)
    else:
        audience = staff_at(_place_at(demand.place_path, COMMUNITY))
    return Notice([audience], "demand_reminder", demand, _demand_url(demand), None, str(demand))


def escalation_notice(demand: Any, old: int, new: int) -> Notice | None:
    """Escalated from level `old` to `new`: the staff at each level reached — the street
    (level 1), the district (level 2), the city (level 3, when configured)."""
    places = {_place_at(demand.place_path, COMMUNITY - level) for level in range(old + 1, new + 1)}
    audiences = [staff_at(place) for place in sorted(places)]
    if not audiences:
        return None
    return Notice(audiences, "demand_escalated", demand, _demand_url(demand), None, str(demand))


def whistle_blown(whistle: Any, organizations: list[Any], *, by: Any) -> None:
    """Tell the handlers of every summoned party."""
    notify(
        [unit_handlers(org) for org in organizations],
        verb="whistle_blown",
        target=whistle,
        url=reverse("demands:whistle-detail", args=[whistle.pk]),
        by=by,
    )


def meeting_announced(meeting: Any, *, by: Any) -> None:
    notify(
        [council_members(meeting.council_id)],
        verb="meeting_announced",
        target=meeting,
        url=reverse("councils:meeting-detail", args=[meeting.pk]),
        by=by,
    )


def vote_opened(vote: Any, *, by: Any) -> None:
    """Only a vote with an online window: the others are voted by hand or on paper."""
    if vote.online_opens_at is not None and vote.online_closes_at is not None:
        notify(
            [voters(vote)],
            verb="vote_opened",
            target=vote,
            url=reverse("councils:vote-detail", args=[vote.pk]),
            by=by,
        )


def resolution_to_members(resolution: Any, *, verb: str, by: Any) -> None:
    """Published, or returned by objections: the council's members."""
    notify(
        [council_members(resolution.council_id)],
        verb=verb,
        target=resolution,
        url=reverse("councils:resolution-detail", args=[resolution.pk]),
        by=by,
    )


def proposal_to_staff(proposal: Any, *, by: Any) -> None:
    """The support threshold is reached: the staff at the council's place must screen it."""
    notify(
        [staff_at(proposal.council.place_id)],
        verb="proposal_threshold_reached",
        target=proposal,
        url=reverse("councils:proposal-detail", args=[proposal.pk]),
        by=by,
    )


def proposal_to_proposer(proposal: Any, *, verb: str, by: Any) -> None:
    """Screened onto the agenda or declined: the proposer."""
    notify(
        [proposal.proposer_id] if proposal.proposer_id else [],
        verb=verb,
        target=proposal,
        url=reverse("councils:proposal-detail", args=[proposal.pk]),
        by=by,
    )
