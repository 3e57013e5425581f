"""`courtyard import_demands`: hotline orders with their history, replayed through the
actions; bad rows reported with their line and reason and leaving nothing behind."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook

from courtyard.core.models import AuditEvent
from courtyard.demands.importer import COLUMNS, import_demands
from courtyard.demands.models import Demand, DemandTally, Dispatch, ServiceCategory, Status

BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    """The reasons are asserted in English, whatever the translations say."""
    with translation.override("en"):
        yield


NOW = datetime(2024, 7, 1, 12, 0, tzinfo=BEIJING)


def at(day: int, hour: int, minute: int = 0, month: int = 5) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=BEIJING)


def order(**cells: str) -> dict[str, str]:
    """A complete, good order: a street light at the 草厂 courtyard, rated satisfied."""
    row = {
        "external_id": "GD20240506001",
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
    row.update(cells)
    return row


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def snapshot() -> tuple[int, int, int, list[tuple[int, ...]]]:
    tallies = sorted(
        DemandTally.objects.values_list(
            "dispatched", "responded_in_time", "evaluated", "resolved", "satisfied", "pk"
        )
    )
    return Demand.objects.count(), Dispatch.objects.count(), AuditEvent.objects.count(), tallies


def test_a_full_history_is_replayed_with_its_recorded_times(tmp_path, city, catalogue):
    path = write_csv(tmp_path / "orders.csv", [order()])
    result = import_demands(path, now=NOW)
    assert (result.created, result.existing, result.errors) == (1, 0, [])
    demand = Demand.objects.get(external_id="GD20240506001")
    assert demand.status == Status.CLOSED
    assert demand.channel == "hotline"
    assert demand.place == city.courtyard and demand.category == catalogue.streetlight
    assert (demand.requester_name, demand.requester_phone) == ("刘女士", "13912345678")
    assert demand.address == "草厂三条12号院门口"
    assert demand.assignee == catalogue.department
    assert demand.submitted_at == at(6, 8, 30)
    assert demand.accepted_at == demand.dispatched_at == at(6, 9)
    assert demand.signed_at == at(6, 9, 30)
    assert demand.contacted_at == at(6, 10)
    assert demand.replied_at == at(8, 15)
    assert demand.evaluated_at == demand.closed_at == at(9, 10)
    # The clocks of the dispatch: sign in 2 h, first contact in 24 h, reply in 7 days.
    assert demand.sign_due_at == at(6, 11)
    assert demand.response_due_at == at(7, 9)
    assert demand.feedback_due_at == at(13, 9)
    assert demand.return_until == at(7, 9)
    assert (demand.resolved, demand.satisfaction, demand.reply) == (
        True,
        "satisfied",
        "已更换灯泡，路灯恢复照明",
    )
    dispatch = Dispatch.objects.get(demand=demand)
    assert (dispatch.dispatched_at, dispatch.contacted_at, dispatch.response_due_at) == (
        at(6, 9),
        at(6, 10),
        at(7, 9),
    )
    unit = DemandTally.objects.get(organization=catalogue.department)
    assert unit.month == date(2024, 5, 1)
    assert (
        unit.dispatched,
        unit.responded_in_time,
        unit.evaluated,
        unit.resolved,
        unit.satisfied,
        unit.basically_satisfied,
        unit.unsatisfied,
    ) == (1, 1, 1, 1, 1, 0, 0)
    verbs = list(
        AuditEvent.objects.for_object(demand).order_by("pk").values_list("verb", flat=True)
    )
    assert verbs == [
        "submit_demand",
        "dispatch_demand",
        "sign_demand",
        "contact_requester",
        "reply_demand",
        "evaluate_demand",
    ]


def test_rates_count_late_contacts_and_evaluations_in_their_own_month(tmp_path, city, catalogue):
    rows = [
        order(),
        # Routed by the table (no unit given); first contact 25 h after dispatch: late.
        # Evaluated in June: the evaluation counts in June, the dispatch in May.
        order(
            external_id="GD20240530007",
            received_at="2024-05-30 20:00",
            unit="",
            dispatched_at="2024-05-30 21:00",
            signed_at="2024-05-30 22:00",
            contacted_at="2024-05-31 22:00",
            replied_at="2024-06-02 09:00",
            evaluated_at="2024-06-03 09:00",
            resolved="否",
            satisfaction="基本满意",
        ),
    ]
    result = import_demands(write_csv(tmp_path / "o.csv", rows), now=NOW)
    assert (result.created, result.errors) == (2, [])
    late = Demand.objects.get(external_id="GD20240530007")
    assert late.assignee == catalogue.department
    assert late.response_due_at == datetime(2024, 5, 31, 21, 0, tzinfo=BEIJING)
    tallies = {
        t.month: (
            t.dispatched,
            t.responded_in_time,
            t.evaluated,
            t.resolved,
            t.satisfied,
            t.basically_satisfied,
        )
        for t in DemandTally.objects.filter(organization=catalogue.department)
    }
    assert tallies == {
        date(2024, 5, 1): (2, 1, 1, 1, 1, 0),
        date(2024, 6, 1): (0, 0, 1, 0, 0, 1),
    }
    community = DemandTally.objects.get(place=city.community, month=date(2024, 5, 1))
    assert (community.dispatched, community.responded_in_time) == (2, 1)


def test_a_second_import_creates_nothing_and_reports_the_rows_as_existing(
    tmp_path, city, catalogue
):
    path = write_csv(tmp_path / "o.csv", [order(), order(external_id="GD2", unit="")])
    assert import_demands(path, now=NOW).created == 2
    before = snapshot()
    again = import_demands(path, now=NOW)
    assert (again.created, again.existing, again.errors) == (0, 2, [])
    assert snapshot() == before


def test_xlsx_with_date_cells_and_a_phone_typed_as_a_number(tmp_path, city, catalogue):
    book = Workbook()
    sheet = book.active
    # Chinese export headers, in another order.
    sheet.append(
        ["工单编号", "诉求类别编码", "地点编码", "诉求内容", "受理时间", "联系电话", "状态"]
    )
    sheet.append(
        ["X-1", "water-outage", "110101011010", "整栋楼停水", datetime(2024, 5, 6, 7, 15),
         13800001111, "待受理"]
    )  # fmt: skip
    sheet.append([None] * 7)  # an empty row is skipped
    sheet.append(["X-2", "nope", "110101011010", "整栋楼停水", "2024-05-06 07:20", "", ""])
    path = tmp_path / "orders.xlsx"
    book.save(path)
    result = import_demands(path, now=NOW)
    assert result.created == 1
    assert result.errors == [(4, "unknown service code nope")]
    demand = Demand.objects.get(external_id="X-1")
    assert demand.submitted_at == datetime(2024, 5, 6, 7, 15, tzinfo=BEIJING)
    assert demand.requester_phone == "13800001111"
    assert demand.status == Status.SUBMITTED and demand.feedback_class == "utilities"


def test_a_gb18030_csv_is_read(tmp_path, city, catalogue):
    path = write_csv(tmp_path / "o.csv", [order()], encoding="gb18030")
    assert import_demands(path, now=NOW).created == 1
    assert Demand.objects.get().description == "草厂三条路灯不亮三天了"


def test_answered_declined_accepted_and_closed_without_evaluation(tmp_path, city, catalogue):
    quiet = {
        "dispatched_at": "",
        "unit": "",
        "signed_at": "",
        "contacted_at": "",
        "evaluated_at": "",
        "resolved": "",
        "satisfaction": "",
    }
    rows = [
        order(external_id="A", status="直接答复", reply="可到社区服务站办理", **quiet),
        order(external_id="D", status="declined", reply="属法院审理范围", **quiet),
        order(external_id="C", status="accepted", replied_at="", reply="", **quiet),
        order(
            external_id="K",
            evaluated_at="",
            resolved="",
            satisfaction="",
            closed_at="2024-05-12 18:00",
        ),
    ]
    result = import_demands(write_csv(tmp_path / "o.csv", rows), now=NOW)
    assert (result.created, result.errors) == (4, [])
    states = {d.external_id: d for d in Demand.objects.all()}
    assert states["A"].status == Status.ANSWERED and states["A"].answer == "可到社区服务站办理"
    assert states["A"].closed_at == at(8, 15)
    assert states["D"].status == Status.DECLINED and states["D"].decline_reason == "属法院审理范围"
    assert states["C"].status == Status.ACCEPTED and states["C"].accepted_at == at(6, 8, 30)
    assert states["K"].status == Status.CLOSED and states["K"].closed_at == at(12, 18)
    assert states["K"].evaluated_at is None
    assert not Dispatch.objects.exclude(demand=states["K"]).exists()


BAD_ROWS = [
    (order(external_id="B1", service_code="no-such"), "unknown service code no-such"),
    (order(external_id="B2", place_code="999"), "unknown place 999"),
    (
        order(external_id="B3", received_at="06/05/2024"),
        "received_at is not a date and time (YYYY-MM-DD HH:MM, or ISO 8601): 06/05/2024",
    ),
    (
        order(external_id="B4", description="长" * 5001),
        "description is 5001 characters long (at most 5000)",
    ),
    (
        order(external_id="B5", signed_at="2024-05-06 08:59"),
        "signed_at (2024-05-06 08:59) is before dispatched_at (2024-05-06 09:00)",
    ),
    (order(external_id="B6", signed_at=""), "contacted_at is given without signed_at"),
    (order(external_id="B7", evaluated_at="2024-07-02 10:00"), "evaluated_at is in the future"),
    (order(external_id="B8", unit="不存在的单位"), "unknown unit 不存在的单位"),
    (order(external_id="B9", satisfaction=""), "an evaluation needs both resolved and satisfaction"),
    (order(external_id="B10", status="signed"), "the status is signed but the history ends at closed"),
    (order(external_id="B11", channel="carrier pigeon"), "unknown channel carrier pigeon"),
    (order(external_id="B12", description=""), "description is empty"),
    (order(external_id="B13", resolved="maybe"), "resolved must be 是/否 or yes/no, not maybe"),
    # Refused by an action after the demand was created: the savepoint takes it all back.
    # 海淀区 has no responsibility row, not even a fallback.
    (
        order(external_id="B14", unit="", place_code="110108016001"),
        "organization: No unit answers for this category here, and the district has no "
        "fallback: choose the unit by hand.",
    ),
    (order(external_id="B15", replied_at="2024-05-08 15:00", reply=""), "replied_at is given without the reply"),
    (order(external_id="", requester_name="x"), "external_id is empty"),
]  # fmt: skip


def test_every_bad_row_is_reported_with_its_line_and_reason_and_leaves_nothing(
    tmp_path, city, catalogue
):
    rows = [order()] + [row for row, _ in BAD_ROWS] + [order(), order(external_id="OK2")]
    path = write_csv(tmp_path / "o.csv", rows)
    result = import_demands(path, now=NOW)
    expected = [(line, reason) for line, (_, reason) in enumerate(BAD_ROWS, start=3)]
    duplicate = len(BAD_ROWS) + 3
    expected.append((duplicate, "the order number GD20240506001 appears again (first on line 2)"))
    assert result.errors == expected
    assert result.created == 2
    assert sorted(Demand.objects.values_list("external_id", flat=True)) == [
        "GD20240506001",
        "OK2",
    ]
    # The refused dispatch left no demand, dispatch, audit row or count behind.
    assert Dispatch.objects.count() == 2
    assert AuditEvent.objects.filter(verb="submit_demand").count() == 2
    unit = DemandTally.objects.get(organization=catalogue.department)
    assert (unit.dispatched, unit.evaluated) == (2, 2)
    assert not DemandTally.objects.filter(place=city.far_community).exists()


def test_a_header_without_the_required_columns_imports_nothing(tmp_path, city, catalogue):
    path = tmp_path / "o.csv"
    path.write_text("order,when\nA,2024-05-06 08:30\n", encoding="utf-8")
    result = import_demands(path, now=NOW)
    assert result.errors == [
        (
            1,
            "The header lacks the column(s): external_id, received_at, service_code, "
            "place_code, description.",
        )
    ]
    assert not Demand.objects.exists()


def test_the_command_reports_bad_rows_on_stderr_and_fails(tmp_path, city, catalogue):
    path = write_csv(tmp_path / "o.csv", [order(), order(external_id="B", place_code="nowhere")])
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 bad row"):
        call_command("import_demands", str(path), stdout=out, stderr=err)
    assert "Created 1, already there 0, bad 1." in out.getvalue()
    assert f"{path}:3: unknown place nowhere" in err.getvalue()
    out = StringIO()
    call_command(
        "import_demands",
        str(write_csv(tmp_path / "good.csv", [order()])),
        "--no-progress",
        stdout=out,
        stderr=StringIO(),
    )
    assert "Created 0, already there 1, bad 0." in out.getvalue()


def test_the_command_refuses_other_files(tmp_path, db):
    path = tmp_path / "orders.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(CommandError, match=r"Give a \.csv or an \.xlsx file"):
        call_command("import_demands", str(path), stdout=StringIO(), stderr=StringIO())
    fake = tmp_path / "orders.xlsx"
    fake.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(CommandError, match="not an XLSX workbook"):
        call_command("import_demands", str(fake), stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="No such file"):
        call_command(
            "import_demands", str(tmp_path / "missing.csv"), stdout=StringIO(), stderr=StringIO()
        )


def test_help_documents_the_columns():
    from courtyard.demands.management.commands.import_demands import Command

    text = Command().create_parser("courtyard", "import_demands").format_help()
    for column in COLUMNS:
        assert column in text, column


def test_import_time_is_not_the_clock_for_open_orders(tmp_path, city, catalogue):
    """An order still with the unit keeps the deadlines of its recorded dispatch."""
    row = order(
        external_id="OPEN",
        signed_at="",
        contacted_at="",
        replied_at="",
        reply="",
        evaluated_at="",
        resolved="",
        satisfaction="",
    )
    assert import_demands(write_csv(tmp_path / "o.csv", [row]), now=NOW).created == 1
    demand = Demand.objects.get()
    assert demand.status == Status.DISPATCHED
    assert demand.due_at == demand.sign_due_at == at(6, 9) + timedelta(hours=2)
    assert Demand.objects.overdue(now=NOW).get() == demand


def test_answers_to_extra_questions_come_from_attribute_columns(tmp_path, city, catalogue):
    ServiceCategory.objects.create(
        service_code="lift",
        name="电梯故障",
        attributes=[
            {"code": "Building", "datatype": "string", "required": True, "description": "楼号"},
            {"code": "floor", "datatype": "number", "required": False, "description": "楼层"},
        ],
    )
    bare = dict.fromkeys(("dispatched_at", "unit", "signed_at", "contacted_at"), "")
    bare |= {"replied_at": "", "reply": "", "evaluated_at": "", "resolved": "", "satisfaction": ""}
    rows = [
        order(external_id="L1", service_code="lift", **bare) | {"attribute[Building]": "3号楼"},
        order(external_id="L2", service_code="lift", **bare) | {"attribute[Building]": ""},
    ]
    path = tmp_path / "o.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[*COLUMNS, "attribute[Building]"])
        writer.writeheader()
        writer.writerows(rows)
    result = import_demands(path, now=NOW)
    assert result.errors == [(3, "attribute[Building]: Please answer: 楼号")]
    assert Demand.objects.get(external_id="L1").attributes == {"Building": "3号楼"}
