"""Loading 12345 hotline work orders (工单) with their history: `courtyard import_demands FILE`.

The file is CSV (UTF-8, with or without BOM; GB 18030 is also read, as Chinese office
software writes it) or XLSX (the first sheet), chosen by the file's extension. Row 1 names
the columns; their order does not matter, unknown columns are ignored, and the Chinese
headers of the usual hotline exports (工单编号, 受理时间 …) are understood too.

Columns (required in **bold**):

- **external_id** (工单编号) — the hotline's order number; the import is idempotent on it.
- **received_at** (受理时间) — when the order was received. Every time is ISO 8601 with an
  offset (``2024-05-06T08:30:00+08:00``) or ``YYYY-MM-DD HH:MM[:SS]`` (also with ``/``) in
  the deployment's time zone; XLSX date cells are read in that zone too.
- channel (来源渠道) — web, phone, walk_in, grid_patrol, hotline, api, open311 (or 网站,
  电话, 来访, 网格巡查, 12345 …); empty means hotline.
- **service_code** (诉求类别编码) — a category of the service catalogue.
- **place_code** (地点编码) — the code of a place: a community, grid, building …
- **description** (诉求内容) — at most 5,000 characters.
- address (地址), requester_name (来电人), requester_phone (联系电话).
- The history, each step needing the one before it and none before the previous one:
  dispatched_at (派单时间) and unit (承办单位: a unified social credit code or the exact name
  of an organization; also read from unit_credit_code; empty: the responsibility table
  decides), signed_at (签收时间), contacted_at (首次联系时间), replied_at (回复时间) with
  reply (回复内容), evaluated_at (评价时间) with resolved (是否解决: 是/否/yes/no) and
  satisfaction (满意度: 满意/基本满意/不满意 or satisfied/basic/unsatisfied), closed_at
  (办结时间, for an order closed without an evaluation).
- attribute[CODE] — the answer to the category's extra question CODE (see the catalogue),
  one column per question; a required question must be answered.
- status (状态) — the order's status at export, to check the history against: submitted,
  accepted, dispatched, signed, contacted, replied, closed, answered, declined (or 待受理,
  已受理, 已派单, 已签收, 处理中, 已回复, 已办结, 直接答复, 不予受理). Empty: what the history
  says. An *answered* order (a consultation answered directly) or a *declined* one takes its
  answer or reason from reply and its time from replied_at, and has no dispatch.

Invariants:

- Rows are independent: each is replayed in its own savepoint, so a bad row never leaves
  part of itself behind and never stops the others; every bad row is reported with its
  line number and the reason.
- The history is replayed through `demands.actions` with `now=` the recorded times, so the
  stored stamps, clocks (`due_at` …), dispatches and the three rates (`DemandTally`) are
  exactly those the live system would have produced.
- An order number already in the database is reported as existing and not touched; a
  second import of the same file creates nothing. Rows are committed CHUNK at a time, so
  an import that is stopped half-way keeps what it finished: run it again.

Speed: per-row actions cost about forty queries a row (see bench/demands_bench.py for the
measured rows/s). A bulk path would check every row first as here, compute the stamps and
clocks with the same `clock.add_time`/`conf` functions the actions use, bulk-insert Demand,
Dispatch and AuditEvent rows per thousand, and then rebuild the rates of the months touched
(`rebuild_demand_rates`) — trading the per-row savepoint for a per-batch all-or-nothing.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core.errors import DomainError
from courtyard.demands import actions
from courtyard.demands.actions import DESCRIPTION_MAX, TEXT_MAX
from courtyard.demands.models import Channel, Demand, Satisfaction, ServiceCategory, Status
from courtyard.organizations.models import Organization
from courtyard.places.models import Place

CHUNK = 500  # rows per transaction (each row in a savepoint of its own) and per lookup

# The columns, in the order the help lists them.
COLUMNS = [
    "external_id",
    "received_at",
    "channel",
    "service_code",
    "place_code",
    "description",
    "address",
    "requester_name",
    "requester_phone",
    "dispatched_at",
    "unit",
    "signed_at",
    "contacted_at",
    "replied_at",
    "reply",
    "evaluated_at",
    "resolved",
    "satisfaction",
    "closed_at",
    "status",
]
REQUIRED = ("external_id", "received_at", "service_code", "place_code", "description")
ALIASES = {
    "unit_credit_code": "unit",
    "unit_name": "unit",
    "工单编号": "external_id",
    "工单号": "external_id",
    "受理时间": "received_at",
    "来电时间": "received_at",
    "来源渠道": "channel",
    "渠道": "channel",
    "诉求类别编码": "service_code",
    "类别编码": "service_code",
    "地点编码": "place_code",
    "诉求内容": "description",
    "地址": "address",
    "来电人": "requester_name",
    "诉求人": "requester_name",
    "联系电话": "requester_phone",
    "派单时间": "dispatched_at",
    "承办单位": "unit",
    "统一社会信用代码": "unit",
    "签收时间": "signed_at",
    "首次联系时间": "contacted_at",
    "联系时间": "contacted_at",
    "回复时间": "replied_at",
    "回复内容": "reply",
    "评价时间": "evaluated_at",
    "是否解决": "resolved",
    "满意度": "satisfaction",
    "办结时间": "closed_at",
    "状态": "status",
}
LIMITS = {
    "external_id": Demand._meta.get_field("external_id").max_length or 64,
    "description": DESCRIPTION_MAX,
    "address": 300,
    "requester_name": 100,
    "requester_phone": 20,
    "reply": TEXT_MAX,
}
CHANNELS = {
    **{value: value for value in Channel.values},
    "12345": Channel.HOTLINE,
    "热线": Channel.HOTLINE,
    "12345热线": Channel.HOTLINE,
    "电话": Channel.PHONE,
    "网站": Channel.WEB,
    "网上": Channel.WEB,
    "网络": Channel.WEB,
    "来访": Channel.WALK_IN,
    "walk-in": Channel.WALK_IN,
    "网格巡查": Channel.GRID_PATROL,
    "接口": Channel.API,
}
STATUSES = {
    **{value: value for value in Status.values},
    "待受理": Status.SUBMITTED,
    "已受理": Status.ACCEPTED,
    "已派单": Status.DISPATCHED,
    "已签收": Status.SIGNED,
    "处理中": Status.CONTACTED,
    "已回复": Status.REPLIED,
    "已办结": Status.CLOSED,
    "直接答复": Status.ANSWERED,
    "不予受理": Status.DECLINED,
    "已合并": Status.MERGED,
}
YES = {"是", "yes", "y", "true", "1", "已解决"}
NO = {"否", "no", "n", "false", "0", "未解决"}
SATISFACTIONS = {
    "满意": Satisfaction.SATISFIED,
    "satisfied": Satisfaction.SATISFIED,
    "基本满意": Satisfaction.BASIC,
    "basic": Satisfaction.BASIC,
    "basically satisfied": Satisfaction.BASIC,
    "不满意": Satisfaction.UNSATISFIED,
    "unsatisfied": Satisfaction.UNSATISFIED,
    "not satisfied": Satisfaction.UNSATISFIED,
}
# The steps of a dispatched order, in the order they happen.
STEPS = ["received_at", "dispatched_at", "signed_at", "contacted_at", "replied_at"]
ATTRIBUTE_RE = re.compile(r"^attribute\[(.+)\]$")
CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
SLASH_FORMATS = ("%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S")


@dataclass
class ImportResult:
    created: int = 0
    existing: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Order:
    """One row, checked and resolved to database rows, ready to replay."""

    line: int
    external_id: str
    received_at: datetime
    channel: str
    category: ServiceCategory
    place: Place
    description: str
    address: str = ""
    requester_name: str = ""
    requester_phone: str = ""
    unit: Organization | None = None
    stamps: dict[str, datetime] = field(default_factory=dict)
    reply: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    resolved: bool | None = None
    satisfaction: str = ""
    status: str = ""


class BadRow(Exception):
    """The reasons a row cannot be imported."""


# Reading ----------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    """A cell as the checks want it: text stripped, whole-number floats as digits (phone
    numbers typed into a spreadsheet become numbers), dates and times kept."""
    if value is None:
        return ""
    if isinstance(value, datetime | date | time):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _column(header: Any) -> str:
    name = str(header or "").strip()
    if match := ATTRIBUTE_RE.match(name):
        return f"attribute[{match[1].strip()}]"  # question codes keep their case
    return ALIASES.get(name, ALIASES.get(name.lower(), name.lower()))


def read_csv(path: Path) -> tuple[list[str], Iterator[tuple[int, list[Any]]], int]:
    """(columns, rows as (line, cells), number of lines) of a CSV file."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")  # raises UnicodeDecodeError when it is neither
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [_column(h) for h in next(reader, [])]

    def rows() -> Iterator[tuple[int, list[Any]]]:
        start = reader.line_num + 1
        for cells in reader:
            if any(c.strip() for c in cells):
                yield start, [_cell(c) for c in cells]
            start = reader.line_num + 1

    return header, rows(), max(text.count("\n") - 1, 0)


def read_xlsx(path: Path) -> tuple[list[str], Iterator[tuple[int, list[Any]]], int]:
    """(columns, rows as (row number, cells), number of rows) of the first sheet."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError) as exc:
        raise ValueError(_("%(name)s is not an XLSX workbook.") % {"name": path.name}) from exc
    sheet = book.worksheets[0]
    rows_iter = sheet.iter_rows(values_only=True)
    header = [_column(h) for h in next(rows_iter, ())]

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for line, cells in enumerate(rows_iter, start=2):
                if any(c not in (None, "") for c in cells):
                    yield line, [_cell(c) for c in cells]
        finally:
            book.close()

    return header, rows(), max((sheet.max_row or 1) - 1, 0)


def read_table(path: Path) -> tuple[list[str], Iterator[tuple[int, list[Any]]], int]:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return read_xlsx(path)
    if suffix in (".csv", ".txt"):
        return read_csv(path)
    raise ValueError(_("Give a .csv or an .xlsx file, not %(name)s.") % {"name": path.name})


# Checking ---------------------------------------------------------------------------------


def parse_moment(value: Any) -> datetime:
    """An ISO 8601 time (with an offset, or local), "YYYY-MM-DD HH:MM" or a spreadsheet
    date cell; raises ValueError for anything else."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date | time):
        raise ValueError("a date without a time")
    else:
        text = str(value).strip()
        if ":" not in text:
            raise ValueError("no time of day")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            for pattern in SLASH_FORMATS:
                try:
                    moment = datetime.strptime(text, pattern)  # made aware below
                    break
                except ValueError:
                    continue
            else:
                raise
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Lookups:
    """What rows refer to, fetched once per chunk and kept for the whole import."""

    def __init__(self) -> None:
        self.categories = {c.service_code: c for c in ServiceCategory.objects.all()}
        self.places: dict[str, Place | None] = {}
        self.units: dict[str, Organization | str] = {}  # value → unit, or why not

    def fetch_places(self, codes: set[str]) -> None:
        missing = [code for code in codes if code not in self.places]
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start : start + CHUNK]
            found = {p.code: p for p in Place.objects.filter(code__in=chunk)}
            for code in chunk:
                self.places[code] = found.get(code)

    def unit(self, value: str) -> Organization | str:
        if value not in self.units:
            if CREDIT_CODE_RE.match(value.upper()):
                units = list(Organization.objects.filter(credit_code=value.upper()))
            else:
                units = list(Organization.objects.filter(name=value, is_active=True)[:2])
            if not units:
                self.units[value] = _("unknown unit %(unit)s") % {"unit": value}
            elif len(units) > 1:
                self.units[value] = _(
                    "more than one organization is named %(unit)s: give its credit code"
                ) % {"unit": value}
            else:
                self.units[value] = units[0]
        return self.units[value]


def _check(line: int, row: dict[str, Any], lookups: Lookups, now: datetime) -> Order:
    """The row as an Order, or BadRow with every reason found."""
    problems: list[str] = []

    def text(name: str) -> str:
        value = row.get(name, "")
        value = value if isinstance(value, str) else str(value)
        limit = LIMITS.get(name)
        if limit and len(value) > limit:
            problems.append(
                _("%(column)s is %(n)d characters long (at most %(limit)d)")
                % {"column": name, "n": len(value), "limit": limit}
            )
        return value

    for name in REQUIRED:
        if row.get(name, "") == "":
            problems.append(_("%(column)s is empty") % {"column": name})
    external_id = text("external_id")
    description = text("description")
    address, requester_name = text("address"), text("requester_name")
    requester_phone, reply = text("requester_phone"), text("reply")

    stamps: dict[str, datetime] = {}
    for name in [*STEPS, "evaluated_at", "closed_at"]:
        value = row.get(name, "")
        if value == "":
            continue
        try:
            stamps[name] = parse_moment(value)
        except ValueError:
            problems.append(
                _("%(column)s is not a date and time (YYYY-MM-DD HH:MM, or ISO 8601): %(value)s")
                % {"column": name, "value": value}
            )
            continue
        if stamps[name] > now:
            problems.append(_("%(column)s is in the future") % {"column": name})

    channel = CHANNELS.get(str(row.get("channel", "")).lower() or Channel.HOTLINE)
    if channel is None:
        problems.append(_("unknown channel %(value)s") % {"value": row["channel"]})
    category = lookups.categories.get(str(row.get("service_code", "")))
    if row.get("service_code", "") != "" and category is None:
        problems.append(_("unknown service code %(value)s") % {"value": row["service_code"]})
    place = lookups.places.get(str(row.get("place_code", "")))
    if row.get("place_code", "") != "" and place is None:
        problems.append(_("unknown place %(value)s") % {"value": row["place_code"]})
    status = ""
    if row.get("status", "") != "":
        status = STATUSES.get(str(row["status"]).lower(), "")
        if not status:
            problems.append(_("unknown status %(value)s") % {"value": row["status"]})
        elif status == Status.MERGED:
            problems.append(
                _("a merged order is not imported: import the order it was merged into")
            )
    resolved: bool | None = None
    if row.get("resolved", "") != "":
        flag = str(row["resolved"]).lower()
        resolved = True if flag in YES else False if flag in NO else None
        if resolved is None:
            problems.append(_("resolved must be 是/否 or yes/no, not %(v)s") % {"v": flag})
    satisfaction = ""
    if row.get("satisfaction", "") != "":
        satisfaction = SATISFACTIONS.get(str(row["satisfaction"]).lower(), "")
        if not satisfaction:
            problems.append(
                _("satisfaction must be 满意, 基本满意 or 不满意, not %(v)s")
                % {"v": row["satisfaction"]}
            )
    unit: Organization | None = None
    if row.get("unit", "") != "":
        found = lookups.unit(str(row["unit"]))
        if isinstance(found, str):
            problems.append(found)
        else:
            unit = found
        if row.get("dispatched_at", "") == "":
            problems.append(_("a unit is given but no dispatched_at"))

    unreadable = (row.get("resolved", "") != "" and resolved is None) or (
        row.get("satisfaction", "") != "" and not satisfaction
    )
    problems += _check_history(stamps, status, reply, resolved, satisfaction, unreadable)
    if not status:
        status = history_status(stamps)
        if status == Status.REPLIED and "closed_at" in stamps:
            status = Status.CLOSED
    if problems:
        raise BadRow("; ".join(problems))
    assert category is not None and place is not None and channel is not None
    return Order(
        line=line,
        external_id=external_id,
        received_at=stamps["received_at"],
        channel=channel,
        category=category,
        place=place,
        description=description,
        address=address,
        requester_name=requester_name,
        requester_phone=requester_phone,
        unit=unit,
        stamps=stamps,
        reply=reply,
        attributes={
            match[1]: str(value)
            for name, value in row.items()
            if (match := ATTRIBUTE_RE.match(name)) and value != ""
        },
        resolved=resolved,
        satisfaction=satisfaction,
        status=status,
    )


def history_status(stamps: dict[str, datetime]) -> str:
    """The status the recorded steps lead to."""
    if "evaluated_at" in stamps:
        return Status.CLOSED
    for name, status in (
        ("replied_at", Status.REPLIED),
        ("contacted_at", Status.CONTACTED),
        ("signed_at", Status.SIGNED),
        ("dispatched_at", Status.DISPATCHED),
    ):
        if name in stamps:
            return status
    return Status.SUBMITTED


def _check_history(
    stamps: dict[str, datetime],
    status: str,
    reply: str,
    resolved: bool | None,
    satisfaction: str,
    unreadable_rating: bool = False,
) -> list[str]:
    """Why the recorded steps cannot have happened in this order, if they cannot
    (`unreadable_rating`: resolved or satisfaction could not be read, and was reported)."""
    problems: list[str] = []
    if "received_at" not in stamps:
        return problems  # reported already
    direct = status in (Status.ANSWERED, Status.DECLINED)
    order = [*STEPS, "evaluated_at"]
    # Each step needs the one before it (an answer or a refusal needs no dispatch).
    for before, after in itertools.pairwise(order):
        if after in stamps and before not in stamps and not (direct and after == "replied_at"):
            problems.append(
                _("%(after)s is given without %(before)s") % {"after": after, "before": before}
            )
    # … and none may come before the previous one.
    previous = "received_at"
    for name in [*order[1:], "closed_at"]:
        if name not in stamps:
            continue
        if stamps[name] < stamps[previous]:
            problems.append(
                _("%(later)s (%(at)s) is before %(earlier)s (%(then)s)")
                % {
                    "later": name,
                    "at": timezone.localtime(stamps[name]).strftime("%Y-%m-%d %H:%M"),
                    "earlier": previous,
                    "then": timezone.localtime(stamps[previous]).strftime("%Y-%m-%d %H:%M"),
                }
            )
        previous = name
    if "replied_at" in stamps and not reply:
        problems.append(_("replied_at is given without the reply"))
    if reply and "replied_at" not in stamps:
        problems.append(_("a reply is given without replied_at"))
    evaluated = "evaluated_at" in stamps
    if evaluated and (resolved is None or not satisfaction) and not unreadable_rating:
        problems.append(_("an evaluation needs both resolved and satisfaction"))
    if not evaluated and (resolved is not None or satisfaction):
        problems.append(_("resolved and satisfaction need evaluated_at"))
    derived = history_status(stamps)
    if direct:
        if "dispatched_at" in stamps or evaluated:
            problems.append(
                _("an order that was %(status)s cannot have been dispatched") % {"status": status}
            )
        elif not reply:
            problems.append(_("an answered or declined order needs the answer or reason in reply"))
    elif "closed_at" in stamps and not (
        status in ("", Status.CLOSED) and derived == Status.REPLIED
    ):
        problems.append(_("closed_at is only for an order closed without an evaluation"))
    elif status and status != derived:
        reachable = (status, derived) in {
            (Status.CLOSED, Status.REPLIED),
            (Status.ACCEPTED, Status.SUBMITTED),
        }
        if not reachable:
            problems.append(
                _("the status is %(status)s but the history ends at %(derived)s")
                % {"status": status, "derived": derived}
            )
    return problems


# Replaying --------------------------------------------------------------------------------


def replay(order: Order) -> Demand:
    """Create the demand and run its history through the actions (call in a transaction)."""
    stamps = order.stamps
    demand = actions.submit_demand(
        by=None,
        channel=order.channel,
        place=order.place,
        category=order.category,
        description=order.description,
        requester_name=order.requester_name,
        requester_phone=order.requester_phone,
        address=order.address,
        attributes=order.attributes,
        external_id=order.external_id,
        submitted_at=order.received_at,
    )
    if order.status == Status.ANSWERED:
        return actions.answer_demand(demand, by=None, answer=order.reply, now=stamps["replied_at"])
    if order.status == Status.DECLINED:
        return actions.decline_demand(demand, by=None, reason=order.reply, now=stamps["replied_at"])
    if order.status == Status.ACCEPTED:
        return actions.accept_demand(demand, by=None, now=order.received_at)
    if "dispatched_at" in stamps:
        demand = actions.dispatch_demand(
            demand, by=None, organization=order.unit, now=stamps["dispatched_at"]
        )
    if "signed_at" in stamps:
        demand = actions.sign_demand(demand, by=None, now=stamps["signed_at"])
    if "contacted_at" in stamps:
        demand = actions.contact_requester(demand, by=None, now=stamps["contacted_at"])
    if "replied_at" in stamps:
        demand = actions.reply_demand(demand, by=None, reply=order.reply, now=stamps["replied_at"])
    if "evaluated_at" in stamps:
        assert order.resolved is not None
        demand = actions.evaluate_demand(
            demand,
            by=None,
            resolved=order.resolved,
            satisfaction=order.satisfaction,
            now=stamps["evaluated_at"],
        )
    elif order.status == Status.CLOSED:
        demand = actions.close_demand(
            demand, by=None, now=stamps.get("closed_at", stamps["replied_at"])
        )
    return demand


def _record(header: list[str], cells: list[Any]) -> dict[str, Any]:
    """The row by column name; of two columns read as one (unit and unit_credit_code), the
    one with a value wins."""
    record: dict[str, Any] = {}
    for name, value in zip(header, cells, strict=False):
        if value != "" or name not in record:
            record[name] = value
    return record


def _chunks(
    rows: Iterator[tuple[int, list[Any]]], size: int
) -> Iterator[list[tuple[int, list[Any]]]]:
    chunk: list[tuple[int, list[Any]]] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def import_rows(
    header: list[str],
    rows: Iterator[tuple[int, list[Any]]],
    *,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Import rows (line number, cells) under `header`; see the module docstring."""
    result = ImportResult()
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        result.errors.append(
            (1, _("The header lacks the column(s): %(cols)s.") % {"cols": ", ".join(missing)})
        )
        return result
    now = now or timezone.now()
    lookups = Lookups()
    first_line: dict[str, int] = {}  # order number → the line it was first seen on
    for chunk in _chunks(rows, CHUNK):
        records = [(line, _record(header, cells)) for line, cells in chunk]
        numbers = {str(r.get("external_id", "")) for _, r in records} - {""}
        existing = {
            str(number)
            for number in Demand.objects.filter(external_id__in=numbers).values_list(
                "external_id", flat=True
            )
        }
        lookups.fetch_places({str(r.get("place_code", "")) for _, r in records} - {""})
        with transaction.atomic():
            for line, record in records:
                _import_one(line, record, lookups, existing, first_line, now, result)
        if progress:
            progress(len(chunk))
    result.errors.sort()
    return result


def _import_one(
    line: int,
    record: dict[str, Any],
    lookups: Lookups,
    existing: set[str],
    first_line: dict[str, int],
    now: datetime,
    result: ImportResult,
) -> None:
    number = str(record.get("external_id", ""))
    if number in existing:
        result.existing += 1
        return
    if number and number in first_line:
        result.errors.append(
            (
                line,
                _("the order number %(id)s appears again (first on line %(first)d)")
                % {"id": number, "first": first_line[number]},
            )
        )
        return
    if number:
        first_line[number] = line
    try:
        order = _check(line, record, lookups, now)
        with transaction.atomic():  # a savepoint: a refused step takes the row back whole
            replay(order)
    except BadRow as exc:
        result.errors.append((line, str(exc)))
    except DomainError as exc:
        where = f"{exc.field}: " if exc.field else ""
        result.errors.append((line, f"{where}{exc.message}"))
    else:
        result.created += 1


def import_demands(
    path: Path, *, progress: Callable[[int], None] | None = None, now: datetime | None = None
) -> ImportResult:
    """Import a CSV or XLSX file of hotline orders; see the module docstring."""
    header, rows, _total = read_table(path)
    return import_rows(header, rows, progress=progress, now=now)
