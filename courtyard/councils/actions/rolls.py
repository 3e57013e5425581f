"""The owners' roll: exclusive parts imported from CSV, all rows or none.

Columns (a header row, UTF-8, with or without BOM): `part` (the exclusive part's id, e.g.
1-101), `area` (registered area in m², a decimal such as 85.50), `owner_id` (the same id on
every part of one owner — the developer's unsold parts share one), `owner_name`, and
optionally `username` (the owner's account, for online ballots).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from courtyard.core.errors import BadInput
from courtyard.councils.actions._common import TITLE_MAX, clean_text, log, now_or
from courtyard.councils.models import Council, ExclusivePart, OwnersRoll
from courtyard.councils.models.votes import AREA_DECIMALS, AREA_MAX_DIGITS
from courtyard.councils.tally import TallyError
from courtyard.councils.tally.electorate import parse_area

COLUMNS = ("part", "area", "owner_id", "owner_name")
MAX_ROWS = 100_000
MAX_BYTES = 20 * 1024 * 1024
AREA_LIMIT = Decimal(10) ** (AREA_MAX_DIGITS - AREA_DECIMALS)  # what an area column holds


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return _("line %(line)d: %(message)s") % {"line": self.line, "message": self.message}


class RollImportError(BadInput):
    """The file has bad rows; nothing was imported. `errors` lists every one."""

    def __init__(self, errors: list[RowError]) -> None:
        shown = "; ".join(str(e) for e in errors[:20])
        more = len(errors) - 20
        message = _("The roll was not imported (%(count)d bad rows): %(rows)s") % {
            "count": len(errors),
            "rows": shown,
        }
        if more > 0:
            message += " " + _("and %(more)d more.") % {"more": more}
        super().__init__(message, field="file")
        self.errors = errors


def read_roll(data: bytes) -> list[dict[str, Any]]:
    """Parse and check the CSV; returns clean rows or raises RollImportError/BadInput."""
    if len(data) > MAX_BYTES:
        raise BadInput(_("This file is larger than 20 MB."), field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput(_("Save the file as UTF-8 CSV."), field="file") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise BadInput(
            _("The header lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)},
            field="file",
        )
    reader.fieldnames = header
    rows: list[dict[str, Any]] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        if len(rows) + len(errors) >= MAX_ROWS:
            raise BadInput(
                _("A roll holds at most %(max)d parts.") % {"max": MAX_ROWS}, field="file"
            )
        values = {k: (v or "").strip() for k, v in record.items() if k}
        if not any(values.values()):
            continue
        part, owner = values.get("part", ""), values.get("owner_id", "")
        problem = None
        if record.get(None):
            # More values than columns (a comma as decimal point): the columns shifted.
            problem = _("this row has more values than the header has columns")
        elif any("\x00" in value for value in values.values()):
            problem = _("a value contains a character that is not allowed")
        elif not part:
            problem = _("the part id is missing")
        elif len(part) > 64 or len(owner) > 64 or len(values.get("owner_name", "")) > 200:
            problem = _("a value is too long")
        elif part in first_line:
            problem = _('part "%(part)s" is already on line %(line)d') % {
                "part": part,
                "line": first_line[part],
            }
        elif not owner or not values.get("owner_name"):
            problem = _('part "%(part)s" has no owner') % {"part": part}
        else:
            try:
                area: Decimal = parse_area(values.get("area", ""), part=part)
            except TallyError as exc:
                problem = exc.message
        if problem:
            errors.append(RowError(line, problem))
            continue
        first_line[part] = line
        rows.append({**values, "area": area, "line": line})
    errors += _oversized_owners(rows)
    if errors:
        raise RollImportError(errors)
    if not rows:
        raise BadInput(_("The file lists no exclusive parts."), field="file")
    if sum(r["area"] for r in rows) >= AREA_LIMIT:
        raise BadInput(_("The parts' areas add up to more than a roll can hold."), field="file")
    return rows


def _oversized_owners(rows: list[dict[str, Any]]) -> list[RowError]:
    """An owner whose parts add up past what a stored area holds (12 digits before the
    point), reported on the owner's first line."""
    totals: dict[str, Decimal] = {}
    first: dict[str, int] = {}
    for row in rows:
        owner = row["owner_id"]
        totals[owner] = totals.get(owner, Decimal(0)) + row["area"]
        first.setdefault(owner, row["line"])
    return [
        RowError(first[owner], _('the parts of owner "%(owner)s" add up to too large an area')
                 % {"owner": owner})
        for owner, total in totals.items()
        if total >= AREA_LIMIT
    ]  # fmt: skip


@transaction.atomic
def import_roll(
    council: Council, *, by: Any, name: str, data: bytes, now: datetime | None = None
) -> OwnersRoll:
    """A new roll from the CSV `data`: every row checked first, then all written, or none.
    Votes already open keep the electorate they froze."""
    name = clean_text(name, "name", limit=TITLE_MAX)
    rows = read_roll(data)
    usernames = {r["username"] for r in rows if r.get("username")}
    users = {
        u.username: u.pk
        for u in get_user_model().objects.filter(username__in=usernames).only("pk", "username")
    }
    unknown = [r for r in rows if r.get("username") and r["username"] not in users]
    if unknown:
        raise RollImportError(
            [
                RowError(r["line"], _("No account is called %(name)s.") % {"name": r["username"]})
                for r in unknown
            ]
        )
    at = now_or(now)
    roll = OwnersRoll.objects.create(council=council, name=name, imported_at=at)
    ExclusivePart.objects.bulk_create(
        [
            ExclusivePart(
                roll=roll,
                part=r["part"],
                area=r["area"],
                owner_key=r["owner_id"],
                owner_name=r["owner_name"],
                owner_user_id=users.get(r.get("username") or ""),
            )
            for r in rows
        ],
        batch_size=2000,
    )
    roll.part_count = len(rows)
    roll.owner_count = len({r["owner_id"] for r in rows})
    roll.total_area = sum((r["area"] for r in rows), Decimal(0))
    roll.save(update_fields=["part_count", "owner_count", "total_area"])
    log(council, by=by, verb="roll_imported", at=at, roll=roll.name, parts=roll.part_count)
    return roll
