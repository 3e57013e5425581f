"""notify and mark_read: after the commit only, deduplicated, without the actor; the
recipients of each audience, exactly; a rolled-back action tells nobody."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import transaction

from conftest import City, Personas, make_user
from courtyard.notifications.actions import mark_read, notify
from courtyard.notifications.models import Notification
from courtyard.notifications.recipients import resolve, staff_at, unit_handlers
from courtyard.notifications.tests.conftest import told
from courtyard.organizations.models import Organization
from courtyard.people import actions as people_actions
from courtyard.people.models import Role, RoleKind


def test_nothing_is_written_before_the_commit(city: City, personas: Personas) -> None:
    notify([personas.resident], verb="demand_answered", target=city.community, url="/x/")
    assert Notification.objects.count() == 0  # the test's transaction never commits


def test_recipients_are_deduplicated_and_the_actor_left_out(
    city: City, personas: Personas, committed: Any
) -> None:
    with committed():
        notify(
            [personas.resident, personas.resident.pk, personas.handler, unit_handlers(city.unit)],
            verb="demand_answered",
            target=city.community,
            url="/places/1/",
            by=personas.handler,
        )
    assert told() == [("resident", "demand_answered")]
    row = Notification.objects.get()
    assert (row.target_id, row.target_repr, row.url, row.read_at) == (
        str(city.community.pk),
        str(city.community),
        "/places/1/",
        None,
    )


def test_a_rolled_back_action_notifies_nobody(
    city: City, personas: Personas, committed: Any
) -> None:
    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        notify([personas.resident], verb="demand_answered", target=city.community, url="/")
        raise RuntimeError("the action failed after notifying")
    assert Notification.objects.count() == 0


def test_unit_handlers_are_the_active_handler_roles_of_an_active_unit(
    city: City, personas: Personas
) -> None:
    second = make_user("second-handler")
    people_actions.assign_role(
        second, by=None, kind=RoleKind.SOCIALORG_STAFF, organization=city.unit
    )
    former = make_user("former-handler")
    people_actions.assign_role(former, by=None, kind=RoleKind.UNIT_HANDLER, organization=city.unit)
    Role.objects.filter(user=former).update(starts_on=date(2020, 1, 1), ends_on=date(2021, 1, 1))
    resident = make_user("resident-of-the-unit")  # a role not acting for the unit
    Role.objects.create(user=resident, kind=RoleKind.VOLUNTEER, organization=city.unit)
    sibling = make_user("sibling-handler")
    people_actions.assign_role(
        sibling, by=None, kind=RoleKind.UNIT_HANDLER, organization=city.sibling_unit
    )
    found = resolve([unit_handlers(city.unit), unit_handlers(city.sibling_unit)])
    assert found[unit_handlers(city.unit)] == {personas.handler.pk, second.pk}
    assert found[unit_handlers(city.sibling_unit)] == {sibling.pk}

    Organization.objects.filter(pk=city.unit.pk).update(is_active=False)
    assert unit_handlers(city.unit) not in resolve([unit_handlers(city.unit)])


def test_staff_at_a_place_is_exactly_that_place(
    city: City, personas: Personas, django_assert_num_queries: Any
) -> None:
    wanted = [staff_at(city.community), staff_at(city.street), staff_at(city.district)]
    with django_assert_num_queries(1):  # every place, one query
        found = resolve(wanted)
    assert found[staff_at(city.community)] == {personas.here.pk}  # not the sibling's worker
    assert found[staff_at(city.street)] == {personas.above.pk}  # not the worker below
    assert staff_at(city.district) not in found


def test_mark_read_touches_only_the_callers_own(
    city: City, personas: Personas, committed: Any
) -> None:
    with committed():
        for user in (personas.resident, personas.resident, personas.here):
            notify([user], verb="demand_answered", target=city.community, url="/")
    mine = list(Notification.objects.filter(recipient=personas.resident).order_by("pk"))
    theirs = Notification.objects.get(recipient=personas.here)

    assert mark_read(by=personas.resident, ids=[mine[0].pk, theirs.pk]) == 1
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert mark_read(by=personas.resident) == 1  # the other one
    assert mark_read(by=personas.resident) == 0
    assert Notification.objects.filter(recipient=personas.resident, read_at=None).count() == 0
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_the_message_is_built_from_the_verb_and_the_label(
    city: City, personas: Personas, committed: Any
) -> None:
    with committed():
        notify(
            [personas.resident],
            verb="demand_answered",
            target=city.community,
            url="/",
            target_repr="#7 路灯不亮",
        )
    row = Notification.objects.get()
    assert row.message == "Your demand #7 路灯不亮 was answered."
    row.verb = "no_such_verb"
    assert row.message == "#7 路灯不亮: something happened (no_such_verb)."
    row.verb, row.target_repr = "demand_answered", "100%(x)s"  # a label is never a format
    assert row.message == "Your demand 100%(x)s was answered."
