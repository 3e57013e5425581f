"""Who may do what in a council. Pages and the API check these before calling an action;
a refusal answers 404 where the person may not even see the object.

Every council object (council, proposal, meeting, vote, resolution) carries `place_path`;
`council_of` finds the council id of any of them."""

from __future__ import annotations

from typing import Any

import rules

from courtyard.councils.models import CouncilMember, MemberRole
from courtyard.organizations.models import handled_organizations
from courtyard.people.scopes import administers

OFFICERS = (MemberRole.CHAIR, MemberRole.SECRETARY)


def council_of(obj: Any) -> int:
    """The council id of a council or of anything that belongs to one."""
    return obj.pk if obj._meta.model_name == "council" else obj.council_id


def _seat(user: Any, obj: Any) -> CouncilMember | None:
    if not getattr(user, "is_authenticated", False):
        return None
    cache = user.__dict__.setdefault("_council_seats", {})
    council_id = council_of(obj)
    if council_id not in cache:
        cache[council_id] = (
            CouncilMember.objects.current().held_by(user).filter(council_id=council_id).first()
        )
    return cache[council_id]


@rules.predicate
def manages_council(user: Any, obj: Any) -> bool:
    """A community worker, street, district or city officer over the council's place."""
    return obj is not None and administers(user, obj.place_path)


@rules.predicate
def is_member(user: Any, obj: Any) -> bool:
    return obj is not None and _seat(user, obj) is not None


@rules.predicate
def is_officer(user: Any, obj: Any) -> bool:
    """The council's chair or secretary: they run its meetings."""
    seat = _seat(user, obj) if obj is not None else None
    return seat is not None and seat.role in OFFICERS


@rules.predicate
def is_proposer(user: Any, proposal: Any) -> bool:
    return proposal is not None and proposal.proposer_id == getattr(user, "pk", None)


@rules.predicate
def owns_task(user: Any, task: Any) -> bool:
    if task is None or not getattr(user, "is_authenticated", False):
        return False
    if task.owner_id == user.pk:
        return True
    return bool(task.organization_id) and (
        handled_organizations(user).filter(pk=task.organization_id).exists()
    )


@rules.predicate
def manages_task_council(user: Any, task: Any) -> bool:
    return task is not None and administers(user, task.resolution.place_path)


@rules.predicate
def is_authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


# Councils, charters, members, rolls, screening, meetings' preparation, publication, tasks.
rules.add_perm("councils.manage", manages_council)
# The meeting screen: attendance, the floor, votes, paper ballots, hands, minutes, signatures.
rules.add_perm("councils.run_meeting", manages_council | is_officer)
rules.add_perm("councils.raise_proposal", is_authenticated)
rules.add_perm("councils.support_proposal", is_authenticated)
rules.add_perm("councils.withdraw_proposal", is_proposer)
rules.add_perm("councils.see_proposer", manages_council | is_proposer)
rules.add_perm("councils.see_owners", manages_council)  # the roll's names and areas
rules.add_perm("councils.sign", is_member)
rules.add_perm("councils.cast_ballot", is_authenticated)  # the action checks the electorate
rules.add_perm("councils.object", is_authenticated)  # the action checks who is affected
rules.add_perm("councils.evaluate", is_authenticated)  # the action checks proposer/member
rules.add_perm("councils.complete_task", manages_task_council | owns_task)
