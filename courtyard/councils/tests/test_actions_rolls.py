"""The owners' roll from CSV: a good file is stored whole; a bad one is refused with every
broken row named by its line, and nothing is stored."""

from __future__ import annotations

from decimal import Decimal

import pytest

from courtyard.core.errors import BadInput
from courtyard.councils import actions
from courtyard.councils.actions import RollImportError
from courtyard.councils.models import ExclusivePart, OwnersRoll
from courtyard.councils.tests.steps import T0, events, unchanged

pytestmark = pytest.mark.django_db

HEADER = "part,area,owner_id,owner_name,username\n"
GOOD = HEADER + (
    "1-101,85.50,o1,张三,resident\n"
    "1-102,60,o1,张三,\n"
    "\n"  # blank lines are skipped
    "2-101,70.125,dev,开发商,\n"
    "2-102,70,dev,开发商,\n"
)


def imported(board, personas, text: str | bytes) -> OwnersRoll:  # type: ignore[no-untyped-def]
    data = text.encode() if isinstance(text, str) else text
    return actions.import_roll(board.council, by=personas.here, name="1号楼", data=data, now=T0)


def refused(board, personas, text: str | bytes) -> BadInput:  # type: ignore[no-untyped-def]
    with unchanged(board.council), pytest.raises(BadInput) as caught:
        imported(board, personas, text)
    assert caught.value.field == "file"
    assert not OwnersRoll.objects.exists() and not ExclusivePart.objects.exists()
    return caught.value


def row_errors(board, personas, text: str) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    error = refused(board, personas, text)
    assert isinstance(error, RollImportError)
    return [(e.line, e.message) for e in error.errors]


def test_a_good_file_is_stored_whole(board, personas):
    roll = imported(board, personas, GOOD)
    roll.refresh_from_db()
    assert (roll.part_count, roll.owner_count, roll.total_area, roll.imported_at) == (
        4,
        2,
        Decimal("285.625"),
        T0,
    )
    parts = {
        p.part: (p.area, p.owner_key, p.owner_name, p.owner_user_id)
        for p in ExclusivePart.objects.filter(roll=roll)
    }
    assert parts == {
        "1-101": (Decimal("85.5"), "o1", "张三", personas.resident.pk),
        "1-102": (Decimal("60"), "o1", "张三", None),
        "2-101": (Decimal("70.125"), "dev", "开发商", None),
        "2-102": (Decimal("70"), "dev", "开发商", None),
    }
    assert events(board.council, "roll_imported")[0].changes == {
        "roll": [None, "1号楼"],
        "parts": [None, 4],
    }


def test_a_byte_order_mark_and_windows_line_ends_are_read(board, personas):
    roll = imported(board, personas, b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode())
    assert (roll.part_count, roll.owner_count) == (4, 2)


def test_the_username_column_is_optional(board, personas):
    roll = imported(board, personas, "part,area,owner_id,owner_name\n1,50,o1,张三\n")
    assert roll.parts.get().owner_user_id is None


def test_every_broken_row_is_named_by_its_line_and_nothing_is_stored(board, personas):
    text = HEADER + (
        "1-101,85.50,o1,张三,\n"  # line 2: good
        "1-101,60,o2,李四,\n"  # line 3: the same part again
        "1-201,0,o3,王五,\n"  # line 4: area 0
        "1-202,-5,o3,王五,\n"  # line 5: negative
        "1-301,90,,赵六,\n"  # line 6: no owner id
        "1-302,90,o6,,\n"  # line 7: no owner name
        "1-401,八十,o7,孙七,\n"  # line 8: not a number
        "1-402,85,5,o8,周八,\n"  # line 9: a comma as decimal point shifts the columns
        ",85,o9,吴九,\n"  # line 10: no part
    )
    errors = row_errors(board, personas, text)
    assert [line for line, _m in errors] == [3, 4, 5, 6, 7, 8, 9, 10]
    messages = dict(errors)
    assert messages[3] == 'part "1-101" is already on line 2'
    assert messages[4] == 'Part "1-201": the area must be more than 0 m² (got 0).'
    assert messages[6] == 'part "1-301" has no owner'
    assert messages[7] == 'part "1-302" has no owner'
    assert messages[8].startswith('Part "1-401": the area "八十" is not a decimal number')
    assert messages[9] == "this row has more values than the header has columns"
    assert messages[10] == "the part id is missing"


def test_the_refusal_says_each_line(board, personas):
    error = refused(board, personas, HEADER + "1,85,o1,张三,\n1,85,o1,张三,\n2,abc,o2,李四,\n")
    assert error.message == (
        'The roll was not imported (2 bad rows): line 3: part "1" is already on line 2; '
        'line 4: Part "2": the area "abc" is not a decimal number of square metres like '
        '"85.50" (at most 12 digits before the point and 6 after).'
    )


def test_an_unknown_username_is_refused_with_its_line(board, personas):
    errors = row_errors(board, personas, HEADER + "1,85,o1,张三,resident\n2,60,o2,李四,nobody\n")
    assert errors == [(3, "No account is called nobody.")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The header lacks the columns: part, area, owner_id, owner_name."),
        (b"\xef\xbb\xbf", "The header lacks the columns: part, area, owner_id, owner_name."),
        (HEADER.encode(), "The file lists no exclusive parts."),
        ((HEADER + "\n\n").encode(), "The file lists no exclusive parts."),
        (b"part;area;owner_id;owner_name\n1;2;3;4\n", "The header lacks the columns: part, area, "
         "owner_id, owner_name."),
        ("part,area,owner_id,owner_name\n1,2,3,张\n".encode("gbk"), "Save the file as UTF-8 CSV."),
    ],
)  # fmt: skip
def test_a_file_that_is_not_a_roll_is_refused(board, personas, data, message):
    assert refused(board, personas, data).message == message


def test_a_blank_roll_name_is_refused(board, personas):
    with unchanged(), pytest.raises(BadInput) as caught:
        actions.import_roll(board.council, by=personas.here, name=" ", data=GOOD.encode())
    assert caught.value.field == "name"
