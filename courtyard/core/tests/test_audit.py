"""The audit trail: what `record_event`, `snapshot` and `diff` write, and who may read it."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType

from conftest import make_user
from courtyard.core.audit import diff, record_event, snapshot
from courtyard.core.models import AuditEvent
from courtyard.people.models import Role
from courtyard.places.models import Place


def test_record_event_stores_actor_target_place_and_changes(city, personas):
    event = record_event(
        by=personas.here,
        verb="rename_place",
        target=city.courtyard,
        changes={"name": ["旧名", "新名"]},
        place_path=city.courtyard.path,
    )

    event.refresh_from_db()
    assert event.actor == personas.here
    assert event.verb == "rename_place"
    assert event.target_type == ContentType.objects.get_for_model(Place)
    assert event.target_id == str(city.courtyard.pk)
    assert event.target_repr == "草厂三条12号院"
    assert event.place_path == city.courtyard.path
    assert event.changes == {"name": ["旧名", "新名"]}
    assert event.created_at is not None


@pytest.mark.parametrize("by", [None, AnonymousUser()], ids=["system", "anonymous"])
def test_record_event_without_a_logged_in_actor_stores_no_actor(city, by):
    event = record_event(by=by, verb="create_place", target=city.city)

    event.refresh_from_db()
    assert event.actor is None
    assert event.changes == {}
    assert event.place_path == ""


def test_record_event_truncates_a_long_target_repr_to_255(city):
    place = city.community
    place.name, place.name_en = "长" * 300, ""  # longer than any column: only str() matters

    event = record_event(by=None, verb="rename_place", target=place)

    event.refresh_from_db()
    assert event.target_repr == "长" * 255


def test_snapshot_renders_foreign_keys_as_ids_and_dates_as_text(city, personas):
    role = Role.objects.get(user=personas.here)
    role.starts_on = datetime.date(2024, 3, 1)

    assert snapshot(role, ["user", "kind", "place", "starts_on", "ends_on"]) == {
        "user": personas.here.pk,
        "kind": "community_worker",
        "place": city.community.pk,
        "starts_on": "2024-03-01",
        "ends_on": None,
    }


def test_diff_lists_only_the_changed_fields_as_old_new_pairs(city):
    place = city.community
    before = snapshot(place, ["name", "name_en", "parent", "kind"])
    place.name = "草厂社区"
    place.parent = city.sibling  # not saved: diff compares in-memory values

    assert diff(before, place) == {
        "name": ["草厂社区居委会", "草厂社区"],
        "parent": [city.street.pk, city.sibling.pk],
    }


def test_diff_of_an_unchanged_object_is_empty(city):
    before = snapshot(city.street, ["name", "parent"])

    assert diff(before, city.street) == {}


def test_diff_from_none_to_a_value(city, personas):
    role = Role.objects.get(user=personas.here)
    before = snapshot(role, ["ends_on"])
    role.ends_on = datetime.date(2030, 1, 31)

    assert diff(before, role) == {"ends_on": [None, "2030-01-31"]}


def test_for_object_lists_the_events_of_one_object_newest_first(city):
    first = record_event(by=None, verb="one", target=city.sibling)
    second = record_event(by=None, verb="two", target=city.sibling)
    record_event(by=None, verb="other", target=city.community)

    events = list(AuditEvent.objects.for_object(city.sibling))

    assert [e.verb for e in events] == ["two", "one", "create_place"]
    assert events[0] == second
    assert events[1] == first


@pytest.fixture
def events(city, personas):  # type: ignore[no-untyped-def]
    """One event in each corner of the city, plus one the stranger made about themself."""
    return {
        "community": record_event(
            by=None, verb="probe", target=city.courtyard, place_path=city.courtyard.path
        ),
        "sibling": record_event(
            by=None, verb="probe", target=city.sibling, place_path=city.sibling.path
        ),
        "far": record_event(
            by=None, verb="probe", target=city.far_community, place_path=city.far_community.path
        ),
        "own": record_event(by=personas.stranger, verb="probe", target=personas.stranger),
    }


def visible(user, events) -> set[str]:  # type: ignore[no-untyped-def]
    shown = set(
        AuditEvent.objects.visible_to(user).filter(verb="probe").values_list("pk", flat=True)
    )
    return {name for name, event in events.items() if event.pk in shown}


def test_community_worker_sees_the_events_of_their_community_only(personas, events):
    assert visible(personas.here, events) == {"community"}


def test_street_officer_sees_the_events_of_every_community_of_the_street(personas, events):
    assert visible(personas.above, events) == {"community", "sibling"}


def test_sibling_worker_does_not_see_the_events_next_door(personas, events):
    assert visible(personas.sibling, events) == {"sibling"}


def test_an_actor_sees_the_events_of_their_own_changes(personas, events):
    assert visible(personas.stranger, events) == {"own"}


def test_a_resident_sees_nothing_about_their_courtyard(personas, events):
    assert visible(personas.resident, events) == set()


def test_anonymous_sees_no_events(events):
    assert not AuditEvent.objects.visible_to(AnonymousUser()).exists()


def test_superuser_sees_every_event(db, events):
    admin = make_user("root", is_superuser=True, is_staff=True)

    assert visible(admin, events) == {"community", "sibling", "far", "own"}
    assert AuditEvent.objects.visible_to(admin).count() == AuditEvent.objects.count()
