"""Roles (who holds what, where, from when until when), the staff scope they grant, and the
profile actions."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone, translation

from conftest import make_user
from courtyard.core.errors import BadInput, Conflict
from courtyard.core.models import AuditEvent
from courtyard.people.actions import assign_role, end_role, set_home, update_profile
from courtyard.people.models import Role, RoleKind, User
from courtyard.people.scopes import administers, staff_scope_paths, staff_scope_q
from courtyard.places.models import Place

DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def reloaded(user: User) -> User:
    """The user read again: the staff scope is cached on the object for one request."""
    return User.objects.get(pk=user.pk)


def trace() -> tuple[int, int]:
    return Role.objects.count(), AuditEvent.objects.count()


# --- assign_role / end_role ------------------------------------------------------------


def test_assign_role_at_a_place_starts_today_and_is_audited(city, personas):
    worker = make_user("new-worker")

    role = assign_role(
        worker, by=personas.above, kind=RoleKind.COMMUNITY_WORKER, place=city.sibling
    )

    role.refresh_from_db()
    assert (role.user, role.kind, role.place, role.organization) == (
        worker,
        "community_worker",
        city.sibling,
        None,
    )
    assert role.starts_on == timezone.localdate()
    assert role.ends_on is None
    event = AuditEvent.objects.for_object(role).get()
    assert event.verb == "assign_role"
    assert event.actor == personas.above
    assert event.place_path == city.sibling.path
    assert event.changes == {"user": [None, worker.pk], "kind": [None, "community_worker"]}


def test_assign_role_in_an_organization_is_audited_at_its_seat(city):
    handler = make_user("handler-2")

    role = assign_role(
        handler,
        by=None,
        kind=RoleKind.UNIT_HANDLER,
        organization=city.sibling_unit,
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2025, 12, 31),
    )

    assert (role.starts_on, role.ends_on) == (
        datetime.date(2025, 1, 1),
        datetime.date(2025, 12, 31),
    )
    assert role.scope_path == city.sibling.path
    assert AuditEvent.objects.for_object(role).get().place_path == city.sibling.path


@pytest.mark.parametrize(
    ("fields", "message", "field"),
    [
        ({"kind": "mayor", "place": "community"}, "Unknown role: mayor.", "kind"),
        (
            {"kind": RoleKind.COMMUNITY_WORKER},
            "A role is held either at a place or in an organization.",
            None,
        ),
        (
            {"kind": RoleKind.UNIT_HANDLER, "place": "community", "organization": "unit"},
            "A role is held either at a place or in an organization.",
            None,
        ),
        (
            {"kind": RoleKind.UNIT_HANDLER, "place": "community"},
            "This role is held in an organization.",
            "organization",
        ),
        (
            {
                "kind": RoleKind.RESIDENT,
                "place": "courtyard",
                "starts_on": datetime.date(2025, 5, 2),
                "ends_on": datetime.date(2025, 5, 1),
            },
            "A role cannot end before it starts.",
            "ends_on",
        ),
    ],
    ids=["unknown-kind", "nowhere", "both", "org-role-at-place", "ends-before-start"],
)
def test_assign_role_refuses_bad_combinations_and_leaves_no_trace(
    city, personas, fields, message, field
):
    user = personas.stranger
    before = trace()
    kwargs = dict(fields)
    for key in ("place", "organization"):
        if key in kwargs:
            kwargs[key] = getattr(city, kwargs[key])

    with pytest.raises(BadInput) as exc:
        assign_role(user, by=None, **kwargs)

    assert (exc.value.message, exc.value.field) == (message, field)
    assert trace() == before
    assert not Role.objects.filter(user=user).exists()


def test_assign_role_refuses_a_staff_role_held_in_an_organization(city, personas):
    before = trace()

    with pytest.raises(BadInput):
        assign_role(
            personas.stranger, by=None, kind=RoleKind.COMMUNITY_WORKER, organization=city.unit
        )

    assert trace() == before


def test_end_role_today_by_default_and_audits_the_date(city, personas):
    role = Role.objects.get(user=personas.here)
    today = timezone.localdate()

    end_role(role, by=personas.above)

    role.refresh_from_db()
    assert role.ends_on == today
    event = AuditEvent.objects.for_object(role).first()
    assert event is not None
    assert event.verb == "end_role"
    assert event.actor == personas.above
    assert event.place_path == city.community.path
    assert event.changes == {"ends_on": [None, str(today)]}


def test_end_role_on_a_given_day(personas):
    role = Role.objects.get(user=personas.here)
    day = role.starts_on + 30 * DAY

    end_role(role, by=None, ends_on=day)

    role.refresh_from_db()
    assert role.ends_on == day


def test_end_role_before_it_started_is_refused_and_changes_nothing(personas):
    role = Role.objects.get(user=personas.here)
    events = AuditEvent.objects.count()

    with pytest.raises(BadInput) as exc:
        end_role(role, by=None, ends_on=role.starts_on - DAY)

    assert (exc.value.message, exc.value.field) == (
        "A role cannot end before it starts.",
        "ends_on",
    )
    role.refresh_from_db()
    assert role.ends_on is None
    assert AuditEvent.objects.count() == events


# --- Role.objects.active ---------------------------------------------------------------


@pytest.fixture
def dated_roles(city):  # type: ignore[no-untyped-def]
    """Roles around today; returns {name: role} and today."""
    user = make_user("dated")
    today = timezone.localdate()

    def role(starts_on: datetime.date, ends_on: datetime.date | None) -> Role:
        return assign_role(
            user,
            by=None,
            kind=RoleKind.VOLUNTEER,
            place=city.community,
            starts_on=starts_on,
            ends_on=ends_on,
        )

    return today, {
        "starts today": role(today, None),
        "ended yesterday": role(today - 10 * DAY, today - DAY),
        "ends today": role(today - 10 * DAY, today),
        "starts tomorrow": role(today + DAY, None),
        "ends tomorrow": role(today - DAY, today + DAY),
        "open since last year": role(today - 365 * DAY, None),
    }


def active_names(roles: dict[str, Role], on: datetime.date | None = None) -> set[str]:
    active = set(Role.objects.active(on).values_list("pk", flat=True))
    return {name for name, role in roles.items() if role.pk in active}


def test_active_roles_today_include_both_boundary_days(dated_roles):
    _today, roles = dated_roles

    assert active_names(roles) == {
        "starts today",
        "ends today",
        "ends tomorrow",
        "open since last year",
    }


def test_active_on_a_given_day(dated_roles):
    today, roles = dated_roles

    assert active_names(roles, today - DAY) == {
        "ended yesterday",
        "ends today",
        "ends tomorrow",
        "open since last year",
    }
    assert active_names(roles, today + DAY) == {
        "starts today",
        "starts tomorrow",
        "ends tomorrow",
        "open since last year",
    }
    assert active_names(roles, today - 400 * DAY) == set()


# --- staff scope -----------------------------------------------------------------------


def test_community_worker_administers_the_community_and_its_courtyard_not_the_sibling(
    city, personas
):
    here = personas.here

    assert staff_scope_paths(here) == [city.community.path]
    assert administers(here, city.community.path)
    assert administers(here, city.courtyard.path)
    assert not administers(here, city.sibling.path)
    assert not administers(here, city.street.path)
    assert not administers(here, city.far_community.path)


def test_street_officer_administers_both_communities_and_not_the_other_street(city, personas):
    above = personas.above

    assert staff_scope_paths(above) == [city.street.path]
    assert administers(above, city.street.path)
    assert administers(above, city.community.path)
    assert administers(above, city.sibling.path)
    assert administers(above, city.courtyard.path)
    assert not administers(above, city.district.path)
    assert not administers(above, city.far_community.path)


def test_the_scope_is_the_minimal_set_of_paths(city, personas):
    assign_role(personas.here, by=None, kind=RoleKind.STREET_OFFICER, place=city.street)
    assign_role(personas.here, by=None, kind=RoleKind.COMMUNITY_WORKER, place=city.far_community)

    assert staff_scope_paths(reloaded(personas.here)) == sorted(
        [city.street.path, city.far_community.path]
    )


def test_an_ended_role_grants_nothing(city, personas):
    today = timezone.localdate()
    Role.objects.filter(user=personas.here).update(starts_on=today - 10 * DAY)
    end_role(Role.objects.get(user=personas.here), by=None, ends_on=today - DAY)

    here = reloaded(personas.here)
    assert staff_scope_paths(here) == []
    assert not administers(here, city.community.path)
    assert not administers(here, city.courtyard.path)


def test_a_role_ending_today_still_grants_its_scope_today(city, personas):
    end_role(Role.objects.get(user=personas.here), by=None)

    assert administers(reloaded(personas.here), city.courtyard.path)


def test_ending_an_ended_role_is_a_conflict_and_does_not_revive_it(city, personas):
    today = timezone.localdate()
    Role.objects.filter(user=personas.here).update(starts_on=today - 10 * DAY)
    role = Role.objects.get(user=personas.here)
    end_role(role, by=None, ends_on=today - DAY)
    events = AuditEvent.objects.count()

    with pytest.raises(Conflict):
        end_role(role, by=None)

    role.refresh_from_db()
    assert role.ends_on == today - DAY
    assert AuditEvent.objects.count() == events
    assert not administers(reloaded(personas.here), city.community.path)


def test_a_role_that_starts_tomorrow_grants_nothing_yet(city, personas):
    newcomer = make_user("newcomer")
    assign_role(
        newcomer,
        by=None,
        kind=RoleKind.COMMUNITY_WORKER,
        place=city.community,
        starts_on=timezone.localdate() + DAY,
    )

    assert staff_scope_paths(newcomer) == []
    assert not administers(newcomer, city.community.path)


@pytest.mark.parametrize("persona", ["resident", "handler", "stranger"])
def test_non_staff_roles_grant_no_staff_scope(city, personas, persona):
    user = getattr(personas, persona)

    assert staff_scope_paths(user) == []
    assert not administers(user, city.courtyard.path)
    assert not administers(user, city.community.path)
    assert list(Place.objects.filter(staff_scope_q(user, "path"))) == []


def test_anonymous_administers_nothing(city):
    anonymous = AnonymousUser()

    assert staff_scope_paths(anonymous) == []
    assert not administers(anonymous, city.city.path)


def test_superuser_administers_everything(city):
    root = make_user("root", is_superuser=True, is_staff=True)

    assert administers(root, city.city.path)
    assert administers(root, city.far_community.path)
    assert Place.objects.filter(staff_scope_q(root, "path")).count() == Place.objects.count()


def test_staff_scope_q_selects_exactly_the_places_administered(city, personas):
    assert set(Place.objects.filter(staff_scope_q(personas.above, "path"))) == {
        city.street,
        city.community,
        city.sibling,
        city.courtyard,
    }
    assert set(Place.objects.filter(staff_scope_q(personas.sibling, "path"))) == {city.sibling}


def place_role_holders(user: object) -> set[str]:
    return set(
        Role.objects.visible_to(user)
        .filter(place__isnull=False)
        .values_list("user__username", flat=True)
    )


def test_staff_see_the_place_roles_held_within_their_places(personas):
    assert place_role_holders(personas.here) == {"worker-here", "resident"}
    assert place_role_holders(personas.above) == {
        "worker-here",
        "street-officer",
        "worker-sibling",
        "resident",
    }
    assert place_role_holders(personas.sibling) == {"worker-sibling"}


def test_a_person_sees_their_own_roles_and_anonymous_none(personas):
    assert list(
        Role.objects.visible_to(personas.resident).values_list("user__username", flat=True)
    ) == ["resident"]
    assert list(
        Role.objects.visible_to(personas.handler).values_list("user__username", flat=True)
    ) == ["unit-handler"]
    assert not Role.objects.visible_to(AnonymousUser()).exists()


def test_staff_see_the_organization_roles_of_units_seated_in_their_places(personas):
    assert "unit-handler" in set(
        Role.objects.visible_to(personas.here).values_list("user__username", flat=True)
    )
    assert "unit-handler" not in set(
        Role.objects.visible_to(personas.sibling).values_list("user__username", flat=True)
    )


# --- update_profile / set_home ---------------------------------------------------------


def test_update_profile_saves_and_audits_that_the_phone_changed_not_its_value(personas):
    resident = personas.resident

    update_profile(
        resident,
        by=resident,
        display_name=" 王秀兰阿姨 ",
        phone=" 139-1234 5678 ",
        preferred_language="en",
    )

    resident = reloaded(resident)
    assert (resident.display_name, resident.phone, resident.preferred_language) == (
        "王秀兰阿姨",
        "13912345678",
        "en",
    )
    event = AuditEvent.objects.for_object(resident).first()
    assert event is not None
    assert event.verb == "update_profile"
    assert event.place_path == resident.home.path
    assert event.changes == {
        "display_name": ["王秀兰", "王秀兰阿姨"],
        "phone": ["…", "…"],
        "preferred_language": ["zh-hans", "en"],
    }
    assert "13912345678" not in str(event.changes)
    assert "13800138000" not in str(event.changes)


def test_update_profile_without_a_phone_change_does_not_mention_the_phone(personas):
    update_profile(
        personas.resident,
        by=personas.resident,
        display_name="王秀兰",
        phone="13800138000",
        preferred_language="zh-hans",
    )

    event = AuditEvent.objects.for_object(personas.resident).first()
    assert event is not None
    assert event.changes == {}


@pytest.mark.parametrize(
    "phone", ["call me", "1380013800a", "1234", "+" + "1" * 20, "13800138000x"]
)
def test_update_profile_refuses_a_bad_phone_and_changes_nothing(personas, phone):
    resident = personas.resident
    events = AuditEvent.objects.count()

    with pytest.raises(BadInput) as exc:
        update_profile(
            resident, by=resident, display_name="新名字", phone=phone, preferred_language="en"
        )

    assert (exc.value.message, exc.value.field) == (
        "Enter a phone number of digits only, such as 13800138000.",
        "phone",
    )
    stored = reloaded(resident)
    assert (stored.display_name, stored.phone, stored.preferred_language) == (
        "王秀兰",
        "13800138000",
        "zh-hans",
    )
    assert AuditEvent.objects.count() == events


def test_update_profile_refuses_an_unknown_language(personas):
    events = AuditEvent.objects.count()

    with pytest.raises(BadInput) as exc:
        update_profile(
            personas.resident,
            by=personas.resident,
            display_name="王秀兰",
            phone="",
            preferred_language="fr",
        )

    assert (exc.value.message, exc.value.field) == ("Unknown language.", "preferred_language")
    assert reloaded(personas.resident).phone == "13800138000"
    assert AuditEvent.objects.count() == events


def test_update_profile_may_clear_the_phone(personas):
    update_profile(
        personas.resident,
        by=personas.resident,
        display_name="王秀兰",
        phone="",
        preferred_language="zh-hans",
    )

    assert reloaded(personas.resident).phone == ""


def test_masked_phone_shows_only_the_ends(personas):
    assert personas.resident.masked_phone == "138****8000"
    assert personas.stranger.masked_phone == ""


def test_set_home_to_a_building_is_audited(city, personas):
    grid_building = city.courtyard
    stranger = personas.stranger

    set_home(stranger, by=stranger, home=grid_building)

    assert reloaded(stranger).home == grid_building
    event = AuditEvent.objects.for_object(stranger).first()
    assert event is not None
    assert event.verb == "set_home"
    assert event.changes == {"home": ["…", "…"]}  # personal data: that it changed, not where
    assert event.place_path == grid_building.path


@pytest.mark.parametrize("place", ["community", "street", "city"])
def test_set_home_refuses_a_place_that_is_not_a_building(city, personas, place):
    resident = personas.resident
    events = AuditEvent.objects.count()

    with pytest.raises(BadInput) as exc:
        set_home(resident, by=resident, home=getattr(city, place))

    assert (exc.value.message, exc.value.field) == (
        "A home is a building, courtyard or stairwell unit.",
        "home",
    )
    assert reloaded(resident).home == city.courtyard
    assert AuditEvent.objects.count() == events


def test_set_home_to_none_clears_it(city, personas):
    set_home(personas.resident, by=personas.resident, home=None)

    assert reloaded(personas.resident).home is None
    event = AuditEvent.objects.for_object(personas.resident).first()
    assert event is not None
    assert event.changes == {"home": ["…", "…"]}
