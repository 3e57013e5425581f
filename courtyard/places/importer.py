"""Loading a place tree from CSV (`code,parent_code,kind,name[,name_en]`).

All or nothing: every row is checked first and every bad row reported with its line number;
if there is any, nothing is written. Importing the same file again changes nothing: rows
whose code exists are compared, and only a changed name is updated. A place is never moved
or re-kinded by an import (that is `move_place`, an audited action of its own).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from courtyard.places.actions import rename_place
from courtyard.places.models import (
    Place,
    PlaceKind,
    may_sit_under,
    parent_path,
    path_ids,
    placement_error,
)
from courtyard.places.rollups import apply_count_deltas
from courtyard.places.tree import fill_paths

REQUIRED_COLUMNS = ("code", "parent_code", "kind", "name")
CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,31}$")
NAME_MAX = Place._meta.get_field("name").max_length or 100
NAME_EN_MAX = Place._meta.get_field("name_en").max_length or 200


@dataclass
class Row:
    line: int
    code: str
    parent_code: str
    kind: str
    name: str
    name_en: str | None


@dataclass
class ImportResult:
    created: int = 0
    renamed: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Existing:
    pk: int
    kind: str
    parent_code: str
    name: str
    name_en: str


def _read(stream: IO[str], result: ImportResult) -> list[Row]:
    reader = csv.DictReader(stream)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        result.errors.append(
            (1, _("The header lacks the column(s): %(cols)s.") % {"cols": ", ".join(missing)})
        )
        return []
    reader.fieldnames = header
    has_en = "name_en" in header
    rows = []
    for raw in reader:

        def cell(key: str, raw: dict[str, str | None] = raw) -> str:
            return (raw.get(key) or "").strip()

        rows.append(
            Row(
                line=reader.line_num,
                code=cell("code"),
                parent_code=cell("parent_code"),
                kind=cell("kind"),
                name=cell("name"),
                name_en=cell("name_en") if has_en else None,
            )
        )
    return rows


def _existing(codes: Iterable[str]) -> dict[str, _Existing]:
    found: dict[str, _Existing] = {}
    codes = list(codes)
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        for pk, code, kind, parent_code, name, name_en in Place.objects.filter(
            code__in=chunk
        ).values_list("pk", "code", "kind", "parent__code", "name", "name_en"):
            found[code] = _Existing(pk, kind, parent_code or "", name, name_en)
    return found


def _check(rows: list[Row], result: ImportResult) -> dict[str, _Existing]:
    """Validate every row; returns what already exists in the database."""
    by_code: dict[str, Row] = {}
    for row in rows:
        if not row.code:
            result.errors.append((row.line, _("The code is empty.")))
        elif not CODE_RE.match(row.code):
            result.errors.append(
                (
                    row.line,
                    _(
                        "The code %(code)s has characters other than letters, digits, - and _, or is longer than 32."
                    )
                    % {"code": row.code},
                )
            )
        elif row.code in by_code:
            result.errors.append(
                (
                    row.line,
                    _("Duplicate code %(code)s (first on line %(first)d).")
                    % {"code": row.code, "first": by_code[row.code].line},
                )
            )
            continue
        else:
            by_code[row.code] = row
        if row.kind not in PlaceKind.values:
            result.errors.append(
                (
                    row.line,
                    _("Unknown kind %(kind)s; use one of: %(kinds)s.")
                    % {"kind": row.kind or '""', "kinds": ", ".join(PlaceKind.values)},
                )
            )
        if not row.name:
            result.errors.append((row.line, _("The name is empty.")))
        elif len(row.name) > NAME_MAX:
            result.errors.append(
                (row.line, _("The name is longer than %(max)d characters.") % {"max": NAME_MAX})
            )
        if row.name_en and len(row.name_en) > NAME_EN_MAX:
            result.errors.append(
                (
                    row.line,
                    _("The English name is longer than %(max)d characters.") % {"max": NAME_EN_MAX},
                )
            )

    existing = _existing(set(by_code) | {r.parent_code for r in rows if r.parent_code})
    for row in by_code.values():
        if row.kind not in PlaceKind.values:
            continue
        parent_kind: str | None = None
        if row.parent_code:
            if row.parent_code == row.code:
                result.errors.append((row.line, _("A place cannot be its own parent.")))
                continue
            if row.parent_code in by_code:
                parent_kind = by_code[row.parent_code].kind
            elif row.parent_code in existing:
                parent_kind = existing[row.parent_code].kind
            else:
                result.errors.append(
                    (
                        row.line,
                        _(
                            "Unknown parent %(parent)s: it is neither in this file nor in the database."
                        )
                        % {"parent": row.parent_code},
                    )
                )
                continue
        parent_kind_known = parent_kind is None or parent_kind in PlaceKind.values
        # A parent of unknown kind is reported on its own line already.
        if parent_kind_known and not may_sit_under(row.kind, parent_kind):
            result.errors.append((row.line, placement_error(row.kind, parent_kind)))
        old = existing.get(row.code)
        if old and (old.kind != row.kind or old.parent_code != row.parent_code):
            result.errors.append(
                (
                    row.line,
                    _(
                        "%(code)s already exists as a %(kind)s under %(parent)s; an import does not move or re-kind places."
                    )
                    % {
                        "code": row.code,
                        "kind": PlaceKind(old.kind).label,
                        "parent": old.parent_code or "-",
                    },
                )
            )
    _check_cycles(by_code, existing, result)
    result.errors.sort()
    return existing


def _check_cycles(
    by_code: dict[str, Row], existing: dict[str, _Existing], result: ImportResult
) -> None:
    state: dict[str, int] = {}  # 1 = on the current chain, 2 = reaches a root or the database
    for start in by_code:
        chain = []
        code: str | None = start
        while code and code in by_code and code not in existing and state.get(code) != 2:
            if state.get(code) == 1:
                result.errors.append(
                    (
                        by_code[code].line,
                        _("The parent chain of %(code)s loops back to itself.") % {"code": code},
                    )
                )
                break
            state[code] = 1
            chain.append(code)
            code = by_code[code].parent_code
        for c in chain:
            state[c] = 2


def _levels(new_rows: list[Row], known: set[str]) -> list[list[Row]]:
    """New rows grouped so that every row's parent is in an earlier group or already known."""
    levels, pending, placed = [], list(new_rows), set(known)
    while pending:
        level = [r for r in pending if not r.parent_code or r.parent_code in placed]
        levels.append(level)
        placed.update(r.code for r in level)
        pending = [r for r in pending if r.code not in placed]
    return levels


def import_places(
    stream: IO[str], *, by: Any = None, progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Check, then load, a CSV place tree. Writes nothing when any row is bad."""
    result = ImportResult()
    rows = _read(stream, result)
    if result.errors:
        return result
    existing = _check(rows, result)
    if result.errors:
        return result
    new_rows = [r for r in rows if r.code not in existing]
    renames = []
    for row in rows:
        old = existing.get(row.code)
        if not old:
            continue
        name_en = old.name_en if row.name_en is None else row.name_en
        if (old.name, old.name_en) != (row.name, name_en):
            renames.append((old.pk, row.name, name_en))
        else:
            result.unchanged += 1
    with transaction.atomic():
        ids = {code: e.pk for code, e in existing.items()}
        for level in _levels(new_rows, set(ids)):
            for start in range(0, len(level), 1000):
                batch = level[start : start + 1000]
                created = Place.objects.bulk_create(
                    [
                        Place(
                            code=r.code,
                            kind=r.kind,
                            name=r.name,
                            name_en=r.name_en or "",
                            parent_id=ids[r.parent_code] if r.parent_code else None,
                            path="",
                        )
                        for r in batch
                    ]
                )
                ids.update({p.code: p.pk for p in created})
                result.created += len(created)
                if progress:
                    progress(len(created))
        renamed = Place.objects.in_bulk([pk for pk, _, _ in renames])
        for pk, name, name_en in renames:  # rare, and each one audited
            rename_place(renamed[pk], by=by, name=name, name_en=name_en)
        result.renamed = len(renames)
        if result.created:
            fill_paths()
            _count_new_places([ids[r.code] for r in new_rows])
    return result


def _count_new_places(pks: list[int]) -> None:
    """Each new place counts, by its kind, at its parent and every ancestor."""
    deltas: Counter[tuple[int, str]] = Counter()
    for start in range(0, len(pks), 2000):
        for path, kind in Place.objects.filter(pk__in=pks[start : start + 2000]).values_list(
            "path", "kind"
        ):
            for ancestor in path_ids(parent_path(path)):
                deltas[(ancestor, kind)] += 1
    apply_count_deltas(deltas)
