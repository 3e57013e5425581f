"""The bulk hotline import against the per-row replay through the actions (the oracle in
`import_oracle`): the same demands, dispatches, timelines, tallies and bad rows; batches
that keep their good rows when one row is bad; idempotence across batches and files; a
fixed number of queries per batch."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from conftest import credit_code
from courtyard.core.models import AuditEvent
from courtyard.demands import actions
from courtyard.demands.importer import COLUMNS, import_rows
from courtyard.demands.models import (
    Demand,
    DemandTally,
    Dispatch,
    Responsibility,
    ServiceCategory,
    Status,
)
from courtyard.demands.rebuild import rebuild_demand_rates
from courtyard.demands.tests.import_oracle import replay_rows
from courtyard.organizations import actions as org_actions
from courtyard.organizations.models import Organization, OrganizationKind

BEIJING = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 7, 1, 12, 0, tzinfo=BEIJING)
HEADER = [*COLUMNS, "attribute[Building]", "attribute[floor]"]
# The history left out: an order with no step after its receipt.
HISTORY = ["dispatched_at", "unit", "signed_at", "contacted_at", "replied_at", "reply"]
QUIET = dict.fromkeys([*HISTORY, "evaluated_at", "resolved", "satisfaction"], "")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def row(number: str, **cells: str) -> dict[str, str]:
    """A good order (a street light at the 草厂 courtyard, closed and rated) with changes."""
    base = {
        "external_id": number,
        "received_at": "2024-05-06 08:30",
        "channel": "12345",
        "service_code": "streetlight",
        "place_code": "110101011010001",
        "description": "草厂三条路灯不亮三天了",
        "address": "草厂三条12号院门口",
        "requester_name": "刘女士",
        "requester_phone": "13912345678",
        "dispatched_at": "2024-05-06 09:00",
        "unit": "东城区城市管理委员会",
        "signed_at": "2024-05-06 09:30",
        "contacted_at": "2024-05-06T10:00:00+08:00",
        "replied_at": "2024-05-08 15:00",
        "reply": "已更换灯泡，路灯恢复照明",
        "evaluated_at": "2024-05-09 10:00",
        "resolved": "是",
        "satisfaction": "满意",
    }
    return base | cells


def lines(rows: list[dict[str, str]]) -> list[tuple[int, list[Any]]]:
    """(line, cells) as the reader gives them: the header is line 1."""
    return [(n, [r.get(c, "") for c in HEADER]) for n, r in enumerate(rows, start=2)]


@pytest.fixture
def extra(city, catalogue) -> dict[str, Any]:
    """A category with extra questions, one no longer in use, an inactive unit."""
    lift = ServiceCategory.objects.create(
        service_code="lift",
        name="电梯故障",
        attributes=[
            {"code": "Building", "datatype": "string", "required": True, "description": "楼号"},
            {"code": "floor", "datatype": "number", "required": False, "description": "楼层"},
        ],
    )
    ServiceCategory.objects.create(service_code="retired", name="旧类别", is_active=False)
    gone = org_actions.create_organization(
        by=None,
        name="已撤销的物业公司",
        kind=OrganizationKind.PROPERTY_COMPANY,
        place=city.community,
        credit_code=credit_code(7),
    )
    Organization.objects.filter(pk=gone.pk).update(is_active=False)
    return {"lift": lift, "gone": gone}


def good_rows(city) -> list[dict[str, str]]:
    unit_code = city.unit.credit_code
    return [
        row("FULL"),
        # Routed by the table; contact late; evaluated just after midnight on 1 June
        # (Beijing time): the dispatch counts in May, the evaluation in June.
        row(
            "LATE",
            received_at="2024-05-30 20:00",
            unit="",
            dispatched_at="2024-05-31 21:00",
            signed_at="2024-05-31 22:00",
            contacted_at="2024-06-01 22:00",
            replied_at="2024-06-01 23:00",
            evaluated_at="2024-06-01 00:30".replace("06-01 00:30", "06-02 00:30"),
            resolved="否",
            satisfaction="基本满意",
        ),
        row(
            "MIDNIGHT",
            received_at="2024-05-31 10:00",
            dispatched_at="2024-05-31 10:30",
            signed_at="2024-05-31 11:00",
            contacted_at="2024-05-31 12:00",
            replied_at="2024-05-31 23:00",
            evaluated_at="2024-06-01 00:30",
            resolved="否",
            satisfaction="不满意",
        ),
        # A unit chosen by hand, by its credit code; signed for, not yet contacted.
        row("SIGNED", unit=unit_code, contacted_at="", replied_at="", reply="")
        | {"evaluated_at": "", "resolved": "", "satisfaction": ""},
        # Water: utilities (24 h), routed to the district's fallback; still to sign for.
        row("OPEN", service_code="water-outage", place_code="110101011010", **QUIET)
        | {"dispatched_at": "2024-06-28 09:00"},
        row("CONTACTED", replied_at="", reply="", evaluated_at="", resolved="", satisfaction=""),
        row("REPLIED", evaluated_at="", resolved="", satisfaction=""),
        row("CLOSED-AT", evaluated_at="", resolved="", satisfaction="", closed_at="2024-05-12 18:00"),
        row("CLOSED", evaluated_at="", resolved="", satisfaction="", status="已办结"),
        row("ANSWERED", status="直接答复", **QUIET) | {"replied_at": "2024-05-06 09:10", "reply": "可到社区服务站办理"},
        row("DECLINED", status="declined", **QUIET) | {"replied_at": "2024-05-07 09:10", "reply": "属法院审理范围"},
        row("ACCEPTED", status="accepted", channel="网站", **QUIET),
        row("SUBMITTED", channel="walk_in", place_code="110101011011", **QUIET),
        row("LIFT", service_code="lift", **QUIET)
        | {"attribute[Building]": "3号楼", "attribute[floor]": "6"},
        row("WEEKEND", received_at="2024-05-10 16:00", dispatched_at="2024-05-10 17:00")
        | {"signed_at": "2024-05-11 09:00", "contacted_at": "2024-05-13 09:00"}
        | {"replied_at": "2024-05-20 10:00", "evaluated_at": "2024-05-21 10:00"},
    ]  # fmt: skip


def bad_rows() -> list[dict[str, str]]:
    nul = "已处理\x00完毕"
    return [
        row("NO-ROUTE", unit="", place_code="110108016001"),  # 海淀区: no row, no fallback
        row("GONE", unit=credit_code(7)),  # named by credit code, inactive
        row("NUL-REPLY", reply=nul),
        row("NO-ROUTE-NUL", unit="", place_code="110108016001", reply=nul),  # dispatch first
        row("NUL-TEXT", description="路灯\x00不亮"),
        row("NUL-ADDRESS", address="\x00", requester_name="\x00"),  # the first one only
        row("NO-ANSWER", service_code="lift", **QUIET),
        row("LONG-ANSWER", service_code="lift", **QUIET)
        | {"attribute[Building]": "1", "attribute[floor]": "9" * 501},
        row("RETIRED", service_code="retired"),
        row("NUL-ANSWER", status="直接答复", **QUIET) | {"replied_at": "2024-05-06 09:10", "reply": nul},
        row("NUL-REASON", status="declined", **QUIET) | {"replied_at": "2024-05-06 09:10", "reply": nul},
        row("FULL"),  # again: refused as a repeat
        row("BAD-CELLS", service_code="nope", satisfaction="meh"),
    ]  # fmt: skip


def state() -> dict[str, Any]:
    """Everything an import writes, without the ids the database chose."""
    demand_type = ContentType.objects.get_for_model(Demand)
    numbers = {pk: str(number) for pk, number in Demand.objects.values_list("pk", "external_id")}
    fields = [f.attname for f in Demand._meta.concrete_fields if f.attname != "id"]
    demands = {d["external_id"]: d for d in Demand.objects.values(*fields)}
    dispatches = sorted(
        (numbers[demand], *rest)
        for demand, *rest in Dispatch.objects.values_list(
            "demand_id", "organization_id", "dispatched_at", "response_due_at", "contacted_at"
        )
    )
    timelines: dict[str, list[tuple[Any, ...]]] = {}
    events = AuditEvent.objects.filter(target_type=demand_type).order_by("pk")
    for event in events:
        number = numbers[int(event.target_id)]
        repr_ = event.target_repr.replace(f"#{event.target_id} ", "#· ")
        timelines.setdefault(number, []).append(
            (event.verb, event.changes, event.created_at, event.actor_id, event.place_path, repr_)
        )
    return {
        "demands": demands,
        "dispatches": dispatches,
        "timelines": timelines,
        "tallies": tallies(),
    }


def tallies() -> list[tuple[Any, ...]]:
    return sorted(
        DemandTally.objects.values_list(
            "month", "place_id", "organization_id", "dispatched", "responded_in_time",
            "evaluated", "resolved", "satisfied", "basically_satisfied", "unsatisfied",
        ),
        key=repr,
    )  # fmt: skip


def forget_imports() -> None:
    demand_type = ContentType.objects.get_for_model(Demand)
    AuditEvent.objects.filter(target_type=demand_type).delete()
    Dispatch.objects.all().delete()
    Demand.objects.all().delete()
    DemandTally.objects.all().delete()


@pytest.mark.parametrize("working_days", [False, True])
@pytest.mark.parametrize("batch_size", [4, 2000])
def test_bulk_import_writes_what_the_replay_through_the_actions_writes(
    city, catalogue, extra, settings, working_days, batch_size
):
    settings.DEMANDS = {"WORKING_DAYS": working_days}
    rows = lines(good_rows(city) + bad_rows())
    replayed = replay_rows(HEADER, rows, now=NOW)
    expected = state()
    assert replayed.created == len(good_rows(city))
    forget_imports()

    bulk = import_rows(HEADER, iter(rows), now=NOW, batch_size=batch_size)
    assert (bulk.created, bulk.existing, bulk.errors) == (
        replayed.created,
        replayed.existing,
        replayed.errors,
    )
    got = state()
    assert got["demands"] == expected["demands"]
    assert got["dispatches"] == expected["dispatches"]
    assert got["timelines"] == expected["timelines"]
    assert got["tallies"] == expected["tallies"]
    # The rollup is what a rebuild from the raw rows gives.
    rebuild_demand_rates()
    assert tallies() == expected["tallies"]


def test_the_reasons_of_bad_rows_are_those_of_the_actions(city, catalogue, extra):
    rows = lines(good_rows(city) + bad_rows())
    result = import_rows(HEADER, iter(rows), now=NOW, batch_size=5)
    first = len(good_rows(city)) + 2
    nul = "This text contains a character that is not allowed."
    assert result.errors == [
        (first, "organization: No unit answers for this category here, and the district has "
                "no fallback: choose the unit by hand."),
        (first + 1, "organization: This unit is no longer active."),
        (first + 2, f"reply: {nul}"),
        (first + 3, "organization: No unit answers for this category here, and the district has "
                    "no fallback: choose the unit by hand."),
        (first + 4, f"description: {nul}"),
        (first + 5, f"address: {nul}"),
        (first + 6, "attribute[Building]: Please answer: 楼号"),
        (first + 7, "attribute[floor]: This is longer than 500 characters."),
        (first + 8, "category: This service category is no longer in use."),
        (first + 9, f"answer: {nul}"),
        (first + 10, f"reason: {nul}"),
        (first + 11, "the order number FULL appears again (first on line 2)"),
        (first + 12, "unknown service code nope; satisfaction must be 满意, 基本满意 or 不满意, "
                     "not meh"),
    ]  # fmt: skip
    assert not Demand.objects.filter(external_id__in=[r["external_id"] for r in bad_rows()[:-2]])


def test_a_batch_with_a_bad_row_keeps_its_good_rows_and_the_bad_one_leaves_nothing(city, catalogue):
    rows = [row(f"R{n}") for n in range(7)]
    rows[4] = row("R4", unit="", place_code="110108016001")  # refused at the dispatch
    before = AuditEvent.objects.count()
    result = import_rows(HEADER, iter(lines(rows)), now=NOW, batch_size=3)
    assert result.created == 6 and result.existing == 0
    assert [line for line, _ in result.errors] == [6]
    assert not Demand.objects.filter(external_id="R4").exists()
    assert Dispatch.objects.count() == 6
    assert AuditEvent.objects.count() - before == 6 * 6
    assert not DemandTally.objects.filter(place=city.far_community).exists()
    unit = DemandTally.objects.get(organization=catalogue.department)
    assert (unit.month, unit.dispatched, unit.responded_in_time, unit.evaluated) == (
        date(2024, 5, 1),
        6,
        6,
        6,
    )


def test_a_repeat_in_a_later_batch_and_a_second_import_create_nothing(city, catalogue):
    rows = [row("A"), row("B"), row("C"), row("A", description="又一次"), row("D")]
    progress: list[int] = []
    result = import_rows(HEADER, iter(lines(rows)), now=NOW, batch_size=2, progress=progress.append)
    assert progress == [2, 2, 1]
    assert (result.created, result.existing) == (4, 0)
    assert result.errors == [(5, "the order number A appears again (first on line 2)")]
    assert Demand.objects.get(external_id="A").description == "草厂三条路灯不亮三天了"
    before = state()
    again = import_rows(HEADER, iter(lines(rows)), now=NOW, batch_size=2)
    # Every number is in the database now, the repeat too: nothing is checked or written.
    assert (again.created, again.existing, again.errors) == (0, 5, [])
    assert state() == before
    more = import_rows(HEADER, iter(lines([*rows, row("E")])), now=NOW, batch_size=4)
    assert (more.created, more.existing, more.errors) == (1, 5, [])


def test_a_number_written_meanwhile_by_another_import_is_counted_as_existing(
    city, catalogue, monkeypatch
):
    """The order numbers are read again in the batch's transaction; when another import
    wrote one between that read and the insert (PostgreSQL), the unique index refuses the
    batch, which is checked and written again."""
    from courtyard.demands.importer import running

    real = running.existing_numbers
    calls = {"n": 0}

    def blind_once(numbers: Any) -> set[str]:
        calls["n"] += 1
        if calls["n"] == 1:  # the rows are checked; then another import writes "B" …
            found = real(numbers)
            actions.submit_demand(
                by=None,
                channel="hotline",
                place=city.courtyard,
                category=catalogue.streetlight,
                description="另一个导入写的",
                external_id="B",
                submitted_at=NOW,
            )
            return found
        if calls["n"] == 2:  # … and the read in the first transaction does not see it
            return set()
        return real(numbers)

    monkeypatch.setattr(running, "existing_numbers", blind_once)
    result = import_rows(HEADER, iter(lines([row("A"), row("B")])), now=NOW)
    assert (result.created, result.existing, result.errors) == (1, 1, [])
    assert calls["n"] == 3
    assert Demand.objects.get(external_id="B").description == "另一个导入写的"
    assert Dispatch.objects.filter(demand__external_id="A").count() == 1
    assert AuditEvent.objects.filter(verb="dispatch_demand").count() == 1


def test_new_ids_never_reuse_a_deleted_demands_number(city, catalogue):
    """Audit rows name their demand by id: a number once given is not given again."""
    first = actions.submit_demand(
        by=None,
        channel="hotline",
        place=city.courtyard,
        category=catalogue.streetlight,
        description="会被删除",
        submitted_at=NOW,
    )
    Demand.objects.filter(pk=first.pk).delete()
    import_rows(HEADER, iter(lines([row("A")])), now=NOW)
    assert Demand.objects.get(external_id="A").pk > first.pk


def test_the_queries_of_a_batch_do_not_grow_with_its_rows(city, catalogue):
    def count(rows: list[dict[str, str]]) -> int:
        with CaptureQueriesContext(connection) as queries:
            result = import_rows(HEADER, iter(lines(rows)), now=NOW)
        assert result.created == len(rows), result.errors
        return len(queries)

    count([row("WARM")])  # the content type of Demand, cached for the process afterwards
    small = count([row(f"S{n}", unit="" if n % 2 else "东城区城市管理委员会") for n in range(3)])
    large = count([row(f"L{n}", unit="" if n % 2 else "东城区城市管理委员会") for n in range(30)])
    assert large == small
    # Before the transaction: categories, order numbers, places, units (4); the savepoint
    # (2); in it: order numbers again, units locked, routing, administrative places (4);
    # per table (demands, dispatches, audit rows) ids and the rows (PostgreSQL: nextval
    # and COPY, 6; SQLite: max(id), sqlite_sequence and the INSERTs, 9); the tallies' two
    # upserts (2); SQLite also sets and restores its page cache (3).
    assert large == (18 if connection.vendor == "postgresql" else 24)


def test_routing_in_bulk_names_the_unit_the_responsibility_table_names(city, catalogue):
    from courtyard.demands.importer.lookups import Lookups
    from courtyard.demands.routing import responsible_unit

    # The community has its own row for street lights, but its unit is inactive: passed over.
    gone = org_actions.create_organization(
        by=None, name="停业的公司", kind=OrganizationKind.ENTERPRISE, place=city.community
    )
    Responsibility.objects.create(
        category=catalogue.streetlight, place=city.community, organization=gone
    )
    Organization.objects.filter(pk=gone.pk).update(is_active=False)
    # The sibling community routes water to its own unit.
    Responsibility.objects.create(
        category=catalogue.water, place=city.sibling, organization=city.sibling_unit
    )
    places = [city.courtyard, city.community, city.sibling, city.far_community, city.district]
    categories = list(ServiceCategory.objects.all())
    lookups = Lookups()
    pairs = [(c.pk, p.path) for c in categories for p in places]
    expected = []
    for c in categories:
        for p in places:
            unit = responsible_unit(c, p)
            expected.append(unit.pk if unit else None)
    assert lookups.route(pairs) == expected
    assert set(expected) == {
        catalogue.department.pk,
        catalogue.fallback.pk,
        city.sibling_unit.pk,
        None,
    }


def test_an_order_still_open_keeps_the_clock_of_its_dispatch(city, catalogue):
    rows = [row("OPEN", **QUIET) | {"dispatched_at": "2024-06-28 09:00", "unit": ""}]
    import_rows(HEADER, iter(lines(rows)), now=NOW)
    demand = Demand.objects.get()
    assert demand.status == Status.DISPATCHED
    assert demand.due_at == demand.sign_due_at == datetime(2024, 6, 28, 11, 0, tzinfo=BEIJING)
    assert demand.return_until == datetime(2024, 6, 29, 9, 0, tzinfo=BEIJING)
    assert Demand.objects.overdue(now=NOW).get() == demand


@pytest.mark.parametrize("working_days", [False, True])
def test_the_pipelined_import_commits_in_a_writer_thread_what_the_replay_writes(
    transactional_db, city, catalogue, extra, settings, working_days
):
    """Outside a transaction (the command), a writer thread with its own connection
    commits each batch while the next is prepared: the same rows, reasons and tallies."""
    settings.DEMANDS = {"WORKING_DAYS": working_days}
    rows = lines(good_rows(city) + bad_rows())
    replayed = replay_rows(HEADER, rows, now=NOW)
    expected = state()
    forget_imports()

    progress: list[int] = []
    bulk = import_rows(
        HEADER, iter(rows), now=NOW, batch_size=4, pipeline=True, progress=progress.append
    )
    assert (bulk.created, bulk.existing, bulk.errors) == (
        replayed.created,
        replayed.existing,
        replayed.errors,
    )
    assert sum(progress) == len(rows) and len(progress) == -(-len(rows) // 4)
    assert state() == expected
    again = import_rows(HEADER, iter(rows), now=NOW, batch_size=4, pipeline=True)
    # Every imported number is there now, and so is the repeat of FULL.
    assert (again.created, again.existing) == (0, replayed.created + 1)
    assert state() == expected


def test_a_unit_deactivated_between_preparing_and_committing_is_refused_or_rerouted(
    city, catalogue, extra, monkeypatch
):
    """The units are read again, locked, in the batch's transaction: a unit named in the
    file and deactivated meanwhile refuses its row; a routed one is routed again."""
    from courtyard.demands.importer import running

    Responsibility.objects.create(
        category=catalogue.streetlight, place=city.community, organization=city.unit
    )
    real = running.Run.commit

    def deactivate_first(self, prepared, **kwargs):
        Organization.objects.filter(pk__in=[city.unit.pk, catalogue.department.pk]).update(
            is_active=False
        )
        return real(self, prepared, **kwargs)

    monkeypatch.setattr(running.Run, "commit", deactivate_first)
    rows = [row("NAMED"), row("ROUTED", unit="")]
    result = import_rows(HEADER, iter(lines(rows)), now=NOW)
    assert result.errors == [(2, "organization: This unit is no longer active.")]
    # The community's own row is passed over now; the district's fallback takes it.
    routed = Demand.objects.get(external_id="ROUTED")
    assert routed.assignee == catalogue.fallback
    assert Dispatch.objects.get().organization == catalogue.fallback
    step = AuditEvent.objects.get(verb="dispatch_demand")
    assert step.changes["unit"] == [None, catalogue.fallback.pk]
    assert DemandTally.objects.filter(organization=catalogue.fallback).exists()
    assert not DemandTally.objects.filter(organization=city.unit).exists()


def test_a_failing_writer_stops_the_import_and_keeps_the_batches_committed_before(
    transactional_db, city, catalogue, monkeypatch
):
    """An error in the writer thread reaches the caller; the batch it was writing leaves
    nothing, the ones committed before stay (run the import again to finish)."""
    from courtyard.demands.importer.writing import BatchWriter

    real = BatchWriter.write
    calls = {"n": 0}

    def fail_second(self, batch):
        calls["n"] += 1
        real(self, batch)
        if calls["n"] == 2:
            raise RuntimeError("disk full")

    monkeypatch.setattr(BatchWriter, "write", fail_second)
    rows = [row(f"W{n}") for n in range(6)]
    with pytest.raises(RuntimeError, match="disk full"):
        import_rows(HEADER, iter(lines(rows)), now=NOW, batch_size=2, pipeline=True)
    assert set(Demand.objects.values_list("external_id", flat=True)) == {"W0", "W1"}
    assert AuditEvent.objects.filter(verb="submit_demand").count() == 2
    assert DemandTally.objects.get(organization=catalogue.department).dispatched == 2
    monkeypatch.undo()
    again = import_rows(HEADER, iter(lines(rows)), now=NOW, batch_size=2, pipeline=True)
    assert (again.created, again.existing, again.errors) == (4, 2, [])


def test_the_import_leaves_the_collector_and_the_page_cache_as_it_found_them(city, catalogue):
    import gc

    def cache_size() -> int:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            return int(cursor.fetchone()[0])

    sqlite = connection.vendor == "sqlite"
    before = cache_size() if sqlite else 0
    assert gc.isenabled()
    import_rows(HEADER, iter(lines([row("A")])), now=NOW)
    assert gc.isenabled()
    if sqlite:
        assert cache_size() == before


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+08:00", "9999-12-31 23:59", "1999-12-31 23:59"]
)
def test_a_time_outside_the_years_an_order_can_have_is_a_bad_row_not_a_failed_import(
    city, catalogue, moment
):
    rows = [row("G1"), row("T1", received_at=moment), row("G2")]
    result = import_rows(HEADER, iter(lines(rows)), now=NOW, batch_size=3)
    assert (result.created, [line for line, _ in result.errors]) == (2, [3])
    assert "received_at is not a date and time" in result.errors[0][1]
    assert not Demand.objects.filter(external_id="T1").exists()
