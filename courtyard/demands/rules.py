"""Who may do what with a demand. Pages and the API check these before calling an action;
a refusal answers 404 where the person may not even see the demand."""

from __future__ import annotations

from typing import Any

import rules

from courtyard.organizations.models import handled_organizations
from courtyard.people.scopes import administers
from courtyard.places.models import SEGMENT


@rules.predicate
def is_requester(user: Any, demand: Any) -> bool:
    return bool(demand.requester_id) and demand.requester_id == getattr(user, "pk", None)


@rules.predicate
def administers_place(user: Any, demand: Any) -> bool:
    """Community worker, street, district or city officer over the demand's place."""
    return administers(user, demand.place_path)


@rules.predicate
def administers_street(user: Any, demand: Any) -> bool:
    """A street officer (or above) over the demand's place: grants extensions. A demand
    raised at district level has no street: its district officers decide."""
    street_path = demand.place_path[: 3 * SEGMENT]  # city › district › street (or shorter)
    return administers(user, street_path)


@rules.predicate
def handles_assignee(user: Any, demand: Any) -> bool:
    return bool(demand.assignee_id) and (
        handled_organizations(user).filter(pk=demand.assignee_id).exists()
    )


@rules.predicate
def is_authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


# Seeing the requester's name and phone: those who handle the demand.
rules.add_perm("demands.see_requester", administers_place | handles_assignee)
rules.add_perm("demands.raise", is_authenticated)
rules.add_perm("demands.record_for_others", is_authenticated)  # and staff at the place: views
rules.add_perm("demands.triage", administers_place)  # accept, answer, decline, merge, dispatch
rules.add_perm("demands.handle", handles_assignee)  # sign, contact, reply, return, ask time
rules.add_perm("demands.decide_extension", administers_street)
rules.add_perm("demands.evaluate", is_requester)
rules.add_perm("demands.reopen", is_requester | administers_place)
rules.add_perm("demands.close", administers_place)
