"""Reading a hotline export: CSV (UTF-8, with or without BOM, or GB 18030) or XLSX (the
first sheet), the columns named by row 1 in any order, Chinese export headers understood.

Every row comes out as (line number, cells), the line being the one a person sees in the
file (a CSV record spanning lines is numbered by its first line), so that a bad row can be
reported where it is."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

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
ATTRIBUTE_RE = re.compile(r"^attribute\[(.+)\]$")


def _cell(value: Any) -> Any:
    """A cell as the checks want it: text stripped, whole-number floats as digits (phone
    numbers typed into a spreadsheet become numbers), dates and times kept."""
    if type(value) is str:  # every CSV cell: the common case first
        return value.strip()
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


def record(header: list[str], cells: list[Any]) -> dict[str, Any]:
    """The row by column name; of two columns read as one (unit and unit_credit_code), the
    one with a value wins."""
    record: dict[str, Any] = {}
    for name, value in zip(header, cells, strict=False):
        if value != "" or name not in record:
            record[name] = value
    return record


def chunks(
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
