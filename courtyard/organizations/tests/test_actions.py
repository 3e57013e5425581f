"""Organizations, coordination committees and dual reporting: what the actions write, what
they refuse (leaving no trace), who sees the registrations, and one membership under a race."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone, translation

from conftest import credit_code, make_user
from courtyard.core.errors import BadInput, Conflict
from courtyard.core.models import AuditEvent
from courtyard.organizations import actions
from courtyard.organizations.models import (
    Committee,
    CommitteeMembership,
    DualReport,
    DualReportKind,
    Organization,
    OrganizationKind,
    Position,
)
from courtyard.places.models import PlaceCount
from courtyard.places.rollups import counts_for, rebuild_place_counts

DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def trace() -> tuple[int, ...]:
    """Row counts that a refused action must leave as they were."""
    return (
        Organization.objects.count(),
        Committee.objects.count(),
        CommitteeMembership.objects.count(),
        DualReport.objects.count(),
        AuditEvent.objects.count(),
        sum(PlaceCount.objects.values_list("count", flat=True)),
    )


def all_counts() -> dict[tuple[int, str], int]:
    return {
        (pk, item): n
        for pk, item, n in PlaceCount.objects.filter(count__gt=0).values_list(
            "place_id", "item", "count"
        )
    }


# --- create_organization ---------------------------------------------------------------


def test_create_organization_stores_the_normalized_code_and_is_audited(city, personas):
    code = credit_code(10)

    org = actions.create_organization(
        by=personas.here,
        name=" 草厂卫生服务站 ",
        name_en=" Caochang Health Station ",
        kind=OrganizationKind.HOSPITAL,
        place=city.courtyard,
        credit_code=f" {code.lower()} ",
        address=" 草厂三条12号 ",
    )

    org.refresh_from_db()
    assert (org.name, org.name_en, org.kind, org.place, org.credit_code, org.address) == (
        "草厂卫生服务站",
        "Caochang Health Station",
        "hospital",
        city.courtyard,
        code,
        "草厂三条12号",
    )
    assert org.is_active
    event = AuditEvent.objects.for_object(org).get()
    assert event.verb == "create_organization"
    assert event.actor == personas.here
    assert event.place_path == city.courtyard.path
    assert event.changes == {
        "name": [None, "草厂卫生服务站"],
        "kind": [None, "hospital"],
        "place": [None, city.courtyard.pk],
    }


def test_create_organization_counts_its_kind_at_the_place_and_every_ancestor(city):
    actions.create_organization(
        by=None, name="站", kind=OrganizationKind.HOSPITAL, place=city.courtyard
    )

    for place in (city.courtyard, city.community, city.street, city.district, city.city):
        assert counts_for(place)["org:hospital"] == 1
    for place in (city.sibling, city.other_district, city.far_community):
        assert "org:hospital" not in counts_for(place)
    assert counts_for(city.street)["org:enterprise"] == 1
    incremental = all_counts()
    rebuild_place_counts()
    assert all_counts() == incremental


def test_organizations_without_a_credit_code_may_be_many(city):
    first = actions.create_organization(
        by=None, name="甲", kind=OrganizationKind.OTHER, place=city.community, credit_code=""
    )
    second = actions.create_organization(
        by=None, name="乙", kind=OrganizationKind.OTHER, place=city.community, credit_code=None
    )

    assert first.credit_code is None
    assert second.credit_code is None
    assert counts_for(city.community)["org:other"] == 2


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "91110101000000001",
            "A unified social credit code has 18 characters; this one has 17.",
        ),
        (
            "91110000802100433C",
            "The check character of this credit code is wrong (the last character should be B): "
            "check for a typing mistake.",
        ),
        (
            "9111000080210O433B",
            "A unified social credit code uses digits and capital letters except I, O, Z, S and "
            "V; found: O.",
        ),
    ],
    ids=["length", "check", "alphabet"],
)
def test_create_organization_refuses_a_bad_credit_code_and_stores_nothing(city, code, message):
    before = trace()

    with pytest.raises(BadInput) as exc:
        actions.create_organization(
            by=None,
            name="坏码公司",
            kind=OrganizationKind.ENTERPRISE,
            place=city.community,
            credit_code=code,
        )

    assert (exc.value.message, exc.value.field) == (message, "credit_code")
    assert trace() == before
    assert not Organization.objects.filter(name="坏码公司").exists()


@pytest.mark.parametrize("variant", ["same", "lowercase", "spaced"])
def test_create_organization_refuses_a_duplicate_credit_code(city, variant):
    code = credit_code(1)  # the fixture's member unit
    given = {"same": code, "lowercase": code.lower(), "spaced": f"  {code}  "}[variant]
    before = trace()

    with pytest.raises(Conflict) as exc:
        actions.create_organization(
            by=None,
            name="冒名公司",
            kind=OrganizationKind.ENTERPRISE,
            place=city.sibling,
            credit_code=given,
        )

    assert exc.value.message == (
        f"An organization with the credit code {code} is already registered."
    )
    assert exc.value.field == "credit_code"
    assert trace() == before


@pytest.mark.parametrize(
    ("fields", "message", "field"),
    [
        ({"name": "x", "kind": "bank"}, "Unknown kind of organization: bank.", "kind"),
        ({"name": "   ", "kind": OrganizationKind.OTHER}, "An organization needs a name.", "name"),
    ],
)
def test_create_organization_refuses_bad_input(city, fields, message, field):
    before = trace()

    with pytest.raises(BadInput) as exc:
        actions.create_organization(by=None, place=city.community, **fields)

    assert (exc.value.message, exc.value.field) == (message, field)
    assert trace() == before


# --- committees ------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["district", "community", "far_community"])
def test_a_committee_may_be_founded_at_a_district_street_or_community(city, personas, level):
    place = getattr(city, level)

    committee = actions.create_committee(by=personas.above, place=place, name=" 协调委员会 ")

    committee.refresh_from_db()
    assert (committee.place, committee.name, committee.founded_on) == (
        place,
        "协调委员会",
        timezone.localdate(),
    )
    event = AuditEvent.objects.for_object(committee).get()
    assert event.verb == "create_committee"
    assert event.place_path == place.path
    assert event.changes == {"name": [None, "协调委员会"]}


@pytest.mark.parametrize("level", ["city", "courtyard"])
def test_a_committee_elsewhere_is_refused(city, level):
    before = trace()

    with pytest.raises(BadInput) as exc:
        actions.create_committee(by=None, place=getattr(city, level), name="委员会")

    assert exc.value.message == (
        "Coordination committees sit at a district, a street or township, or a community or "
        "village."
    )
    assert exc.value.field == "place"
    assert trace() == before


def test_a_second_committee_at_a_place_is_refused(city):
    before = trace()

    with pytest.raises(Conflict) as exc:
        actions.create_committee(by=None, place=city.street, name="第二个委员会")

    assert exc.value.message == "Qianmen Subdistrict already has a coordination committee."
    assert trace() == before
    assert Committee.objects.get(place=city.street) == city.committee


# --- committee membership --------------------------------------------------------------


def test_add_committee_member_from_within_the_place_is_audited(city, personas):
    membership = actions.add_committee_member(
        city.committee, by=personas.above, organization=city.sibling_unit
    )

    membership.refresh_from_db()
    assert (membership.committee, membership.organization, membership.position) == (
        city.committee,
        city.sibling_unit,
        "member",
    )
    assert (membership.joined_on, membership.left_on) == (timezone.localdate(), None)
    event = AuditEvent.objects.for_object(membership).get()
    assert event.verb == "add_committee_member"
    assert event.actor == personas.above
    assert event.place_path == city.street.path
    assert event.changes == {
        "organization": [None, city.sibling_unit.pk],
        "position": [None, "member"],
    }


def test_a_unit_seated_outside_the_committees_place_is_refused(city):
    far_unit = actions.create_organization(
        by=None, name="学院路公司", kind=OrganizationKind.ENTERPRISE, place=city.far_community
    )
    before = trace()

    with pytest.raises(BadInput) as exc:
        actions.add_committee_member(city.committee, by=None, organization=far_unit)

    assert exc.value.message == "学院路公司 is not seated within Qianmen Subdistrict."
    assert exc.value.field == "organization"
    assert trace() == before


def test_an_unknown_position_is_refused(city):
    before = trace()

    with pytest.raises(BadInput) as exc:
        actions.add_committee_member(
            city.committee, by=None, organization=city.sibling_unit, position="secretary"
        )

    assert (exc.value.message, exc.value.field) == ("Unknown position: secretary.", "position")
    assert trace() == before


def test_a_second_current_membership_is_a_conflict_and_adds_no_row(city):
    before = trace()

    with pytest.raises(Conflict) as exc:
        actions.add_committee_member(
            city.committee, by=None, organization=city.unit, position=Position.MEMBER
        )

    assert exc.value.message == "Qianmen Culture Co. is already a member of this committee."
    assert trace() == before
    assert CommitteeMembership.objects.get(organization=city.unit).position == "chair"


def test_a_unit_may_rejoin_after_leaving(city):
    first = CommitteeMembership.objects.get(organization=city.unit)
    actions.end_committee_membership(first, by=None)

    again = actions.add_committee_member(
        city.committee, by=None, organization=city.unit, position=Position.DEPUTY
    )

    assert CommitteeMembership.objects.filter(organization=city.unit).count() == 2
    assert list(CommitteeMembership.objects.current().filter(organization=city.unit)) == [again]
    assert again.position == "deputy"


def test_end_committee_membership_sets_the_day_and_is_audited(city, personas):
    membership = CommitteeMembership.objects.get(organization=city.unit)
    today = timezone.localdate()

    ended = actions.end_committee_membership(membership, by=personas.above)

    assert ended.left_on == today
    membership.refresh_from_db()
    assert membership.left_on == today
    assert not CommitteeMembership.objects.current().filter(organization=city.unit).exists()
    event = AuditEvent.objects.for_object(membership).first()
    assert event is not None
    assert event.verb == "end_committee_membership"
    assert event.changes == {"left_on": [None, str(today)]}


def test_ending_a_membership_twice_is_a_conflict(city):
    membership = CommitteeMembership.objects.get(organization=city.unit)
    actions.end_committee_membership(membership, by=None)
    before = trace()

    with pytest.raises(Conflict) as exc:
        actions.end_committee_membership(membership, by=None)

    assert exc.value.message == "This unit has already left the committee."
    assert trace() == before


def test_leaving_before_joining_is_refused(city):
    membership = CommitteeMembership.objects.get(organization=city.unit)
    before = trace()

    with pytest.raises(BadInput) as exc:
        actions.end_committee_membership(membership, by=None, left_on=membership.joined_on - DAY)

    assert (exc.value.message, exc.value.field) == (
        "A unit cannot leave before it joined.",
        "left_on",
    )
    membership.refresh_from_db()
    assert membership.left_on is None
    assert trace() == before


def test_change_committee_position_records_old_and_new(city):
    membership = CommitteeMembership.objects.get(organization=city.unit)

    actions.change_committee_position(membership, by=None, position=Position.DEPUTY)

    membership.refresh_from_db()
    assert membership.position == "deputy"
    event = AuditEvent.objects.for_object(membership).first()
    assert event is not None
    assert event.changes == {"position": ["chair", "deputy"]}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_admissions_of_a_unit_give_one_membership(city):
    barrier = threading.Barrier(2)
    outcomes: list[object] = []
    lock = threading.Lock()

    def admit() -> None:
        try:
            barrier.wait(timeout=10)
            with translation.override("en"):  # the active language is per thread
                membership = actions.add_committee_member(
                    city.committee, by=None, organization=city.sibling_unit
                )
            result: object = membership.pk
        except Exception as exc:  # recorded and asserted below
            result = exc
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=admit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(outcomes) == 2
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    created = [o for o in outcomes if isinstance(o, int)]
    assert len(conflicts) == 1, outcomes
    assert len(created) == 1, outcomes
    assert conflicts[0].message == "Dashilar Primary School is already a member of this committee."
    assert (
        list(
            CommitteeMembership.objects.filter(organization=city.sibling_unit).values_list(
                "pk", flat=True
            )
        )
        == created
    )
    assert (
        AuditEvent.objects.filter(verb="add_committee_member", target_id=str(created[0])).count()
        == 1
    )


def race_past_the_duplicate_check(model, call):  # type: ignore[no-untyped-def]
    """Run `call` in two threads so that the second makes its duplicate check while the
    first has inserted its row but not yet committed (the window of a check-then-insert).

    The first thread holds its transaction open in `record_event` until the second is
    about to insert. Returns {thread name: the row's pk or the exception raised}."""
    inserted, checked = threading.Event(), threading.Event()
    original_save, original_record = model.save, actions.record_event

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if threading.current_thread().name == "second":
            checked.set()
        return original_save(self, *args, **kwargs)

    def record_event(*args, **kwargs):  # type: ignore[no-untyped-def]
        if threading.current_thread().name == "first":
            inserted.set()
            checked.wait(timeout=5)
        return original_record(*args, **kwargs)

    outcomes: dict[str, object] = {}

    def run() -> None:
        name = threading.current_thread().name
        try:
            if name == "second":
                inserted.wait(timeout=5)
            with translation.override("en"):
                outcomes[name] = call().pk
        except Exception as exc:  # recorded and asserted by the caller
            outcomes[name] = exc
        finally:
            connection.close()

    model.save, actions.record_event = save, record_event
    try:
        threads = [threading.Thread(target=run, name=n) for n in ("first", "second")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        model.save, actions.record_event = original_save, original_record
    return outcomes


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_registrations_of_one_credit_code_give_one_row_and_a_conflict(city):
    code = credit_code(77)

    outcomes = race_past_the_duplicate_check(
        Organization,
        lambda: actions.create_organization(
            by=None,
            name="同码公司",
            kind=OrganizationKind.ENTERPRISE,
            place=city.community,
            credit_code=code,
        ),
    )

    assert Organization.objects.filter(credit_code=code).count() == 1
    assert outcomes["first"] == Organization.objects.get(credit_code=code).pk
    assert isinstance(outcomes["second"], Conflict), outcomes


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_committees_at_one_place_give_one_row_and_a_conflict(city):
    outcomes = race_past_the_duplicate_check(
        Committee,
        lambda: actions.create_committee(by=None, place=city.community, name="草厂社区协调委员会"),
    )

    assert Committee.objects.filter(place=city.community).count() == 1
    assert outcomes["first"] == Committee.objects.get(place=city.community).pk
    assert isinstance(outcomes["second"], Conflict), outcomes


# --- dual reporting --------------------------------------------------------------------


def test_a_unit_registers_with_a_community(city, personas):
    report = actions.register_dual_report(
        by=personas.handler,
        community=city.community,
        organization=city.unit,
        commitments=" 每月一次义诊 ",
    )

    report.refresh_from_db()
    assert (report.kind, report.organization, report.member, report.community) == (
        "unit",
        city.unit,
        None,
        city.community,
    )
    assert (report.commitments, report.registered_by, report.registered_on) == (
        "每月一次义诊",
        personas.handler,
        timezone.localdate(),
    )
    assert report.withdrawn_on is None
    event = AuditEvent.objects.for_object(report).get()
    assert event.verb == "register_dual_report"
    assert event.actor == personas.handler
    assert event.place_path == city.community.path
    assert event.changes == {"kind": [None, "unit"], "community": [None, city.community.pk]}


def test_a_party_member_registers_with_a_community(city, personas):
    report = actions.register_dual_report(
        by=personas.stranger,
        community=city.community,
        member=personas.stranger,
        commitments="周末值守",
    )

    assert (report.kind, report.member, report.organization) == (
        DualReportKind.PARTY_MEMBER,
        personas.stranger,
        None,
    )


@pytest.mark.parametrize("level", ["street", "courtyard", "district"])
def test_dual_reporting_is_refused_at_a_non_community(city, personas, level):
    before = trace()

    with pytest.raises(BadInput) as exc:
        actions.register_dual_report(
            by=personas.handler,
            community=getattr(city, level),
            organization=city.unit,
            commitments="义诊",
        )

    assert (exc.value.message, exc.value.field) == (
        "Dual reporting is done at a community or a village.",
        "community",
    )
    assert trace() == before


@pytest.mark.parametrize("commitments", ["", "   \n "])
def test_dual_reporting_without_commitments_is_refused(city, personas, commitments):
    before = trace()

    with pytest.raises(BadInput) as exc:
        actions.register_dual_report(
            by=personas.handler,
            community=city.community,
            organization=city.unit,
            commitments=commitments,
        )

    assert (exc.value.message, exc.value.field) == (
        "Say what you commit to do for the community.",
        "commitments",
    )
    assert trace() == before


def test_dual_reporting_without_a_unit_or_member_is_refused(city, personas):
    before = trace()

    with pytest.raises(BadInput) as exc:
        actions.register_dual_report(by=personas.handler, community=city.community, commitments="x")

    assert (exc.value.message, exc.value.field) == (
        "Choose the unit that registers.",
        "organization",
    )
    assert trace() == before


ALREADY = "Already registered: withdraw the current registration before registering again."


def test_a_second_current_registration_of_a_unit_is_refused(city, personas):
    actions.register_dual_report(
        by=personas.handler, community=city.community, organization=city.unit, commitments="义诊"
    )
    before = trace()

    with pytest.raises(Conflict) as exc:
        actions.register_dual_report(
            by=personas.handler,
            community=city.community,
            organization=city.unit,
            commitments="再来",
        )

    assert exc.value.message == ALREADY
    assert trace() == before


def test_a_second_current_registration_of_a_member_is_refused(city, personas):
    actions.register_dual_report(
        by=personas.stranger, community=city.community, member=personas.stranger, commitments="值守"
    )
    before = trace()

    with pytest.raises(Conflict) as exc:
        actions.register_dual_report(
            by=personas.stranger,
            community=city.far_community,
            member=personas.stranger,
            commitments="值守",
        )

    assert exc.value.message == ALREADY
    assert trace() == before


def test_after_withdrawing_a_new_registration_is_allowed(city, personas):
    first = actions.register_dual_report(
        by=personas.handler, community=city.community, organization=city.unit, commitments="义诊"
    )
    actions.withdraw_dual_report(first, by=personas.handler)

    second = actions.register_dual_report(
        by=personas.handler, community=city.community, organization=city.unit, commitments="讲座"
    )

    first.refresh_from_db()
    assert first.withdrawn_on == timezone.localdate()
    assert list(DualReport.objects.current().filter(organization=city.unit)) == [second]


def test_withdrawing_twice_is_a_conflict(city, personas):
    report = actions.register_dual_report(
        by=personas.handler, community=city.community, organization=city.unit, commitments="义诊"
    )
    actions.withdraw_dual_report(report, by=personas.handler)
    before = trace()

    with pytest.raises(Conflict) as exc:
        actions.withdraw_dual_report(report, by=personas.handler)

    assert exc.value.message == "This registration was already withdrawn."
    assert trace() == before


@pytest.fixture
def reports(city, personas):  # type: ignore[no-untyped-def]
    """A unit's and a party member's registration with 草厂, one with the sibling community."""
    member = make_user("party-member")
    sibling_handler = make_user("sibling-handler")
    from courtyard.people.actions import assign_role
    from courtyard.people.models import RoleKind

    assign_role(
        sibling_handler, by=None, kind=RoleKind.UNIT_HANDLER, organization=city.sibling_unit
    )
    return member, {
        "unit": actions.register_dual_report(
            by=personas.handler,
            community=city.community,
            organization=city.unit,
            commitments="义诊",
        ),
        "member": actions.register_dual_report(
            by=member, community=city.community, member=member, commitments="值守"
        ),
        "sibling": actions.register_dual_report(
            by=sibling_handler,
            community=city.sibling,
            organization=city.sibling_unit,
            commitments="讲座",
        ),
    }


def visible(user, reports) -> set[str]:  # type: ignore[no-untyped-def]
    shown = set(DualReport.objects.visible_to(user).values_list("pk", flat=True))
    return {name for name, report in reports[1].items() if report.pk in shown}


def test_the_community_worker_sees_the_registrations_with_the_community(personas, reports):
    assert visible(personas.here, reports) == {"unit", "member"}


def test_the_street_officer_sees_every_registration_in_the_street(personas, reports):
    assert visible(personas.above, reports) == {"unit", "member", "sibling"}


def test_the_sibling_worker_sees_only_their_own_communitys(personas, reports):
    assert visible(personas.sibling, reports) == {"sibling"}


def test_the_registering_member_sees_their_own_registration(reports):
    member, _reports = reports

    assert visible(member, reports) == {"member"}


def test_the_unit_handler_sees_their_units_registration(personas, reports):
    assert visible(personas.handler, reports) == {"unit"}


def test_a_resident_and_a_stranger_see_none(personas, reports):
    assert visible(personas.resident, reports) == set()
    assert visible(personas.stranger, reports) == set()


def test_anonymous_sees_none(reports):
    assert not DualReport.objects.visible_to(AnonymousUser()).exists()


def test_a_handler_whose_role_ended_no_longer_sees_the_units_registration(personas, reports):
    from courtyard.people.actions import end_role

    role = personas.handler.roles.get()
    role.starts_on = timezone.localdate() - 10 * DAY
    role.save(update_fields=["starts_on"])
    end_role(role, by=None, ends_on=timezone.localdate() - DAY)

    assert visible(personas.handler, reports) == set()


def test_a_unit_reports_only_to_the_community_where_it_sits(city, personas):
    before = trace()
    with pytest.raises(BadInput) as exc:
        actions.register_dual_report(
            by=personas.handler, community=city.sibling, organization=city.unit, commitments="义诊"
        )
    assert exc.value.field == "community"
    assert trace() == before


def test_deactivating_an_organization_takes_it_out_of_the_counts_and_back(city, personas):
    from courtyard.places.rollups import counts_for, rebuild_place_counts

    item = f"org:{city.unit.kind}"
    before = counts_for(city.district)[item]
    actions.deactivate_organization(city.unit, by=personas.above)
    assert counts_for(city.district).get(item, 0) == before - 1
    incremental = {p: counts_for(p) for p in (city.city, city.district, city.community)}
    rebuild_place_counts()
    assert incremental == {p: counts_for(p) for p in (city.city, city.district, city.community)}
    with pytest.raises(Conflict):
        actions.deactivate_organization(city.unit, by=personas.above)
    actions.reactivate_organization(city.unit, by=personas.above)
    assert counts_for(city.district)[item] == before
