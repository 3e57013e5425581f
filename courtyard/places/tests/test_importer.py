"""Importing a place tree from CSV: all or nothing, every bad row reported with its line
(the header is line 1), idempotent on a second run, and the bundled Beijing file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from courtyard.places.importer import ImportResult, import_places
from courtyard.places.models import Place, PlaceCount, PlaceKind, segment
from courtyard.places.rollups import counts_for, rebuild_place_counts

BEIJING = Path(__file__).resolve().parents[1] / "data" / "beijing-divisions.csv"
KINDS = "city, district, street, township, community, village, grid, building, unit"

GOOD = """\
code,parent_code,kind,name,name_en
110000000000,,city,北京市,Beijing
110101000000,110000000000,district,东城区,Dongcheng District
110101001000,110101000000,street,东华门街道,Donghuamen Subdistrict
110101001001,110101001000,community,多福巷社区居委会,Duofuxiang Community
110101001002,110101001000,community,银闸社区居委会,Yinzha Community
110111000000,110000000000,district,房山区,Fangshan District
110111104000,110111000000,township,琉璃河镇,Liulihe Town
110111104201,110111104000,village,白庄村委会,Baizhuang Village
"""

# Lines 2-4 are good (city, district, street); the rows under test start on line 5.
BASE = """\
code,parent_code,kind,name
110000000000,,city,北京市
110101000000,110000000000,district,东城区
110101001000,110101000000,street,东华门街道
"""


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def run(text: str) -> ImportResult:
    return import_places(io.StringIO(text))


def tree() -> dict[str, tuple[str, str, str, str, str]]:
    """{code: (parent code, kind, name, name_en, path written as codes)} for every place."""
    codes = dict(Place.objects.values_list("pk", "code"))
    return {
        p.code: (
            p.parent.code if p.parent else "",
            p.kind,
            p.name,
            p.name_en,
            "/".join(
                codes[pk] for pk in (int(p.path[i : i + 10]) for i in range(0, len(p.path), 10))
            ),
        )
        for p in Place.objects.select_related("parent")
    }


def all_counts() -> dict[tuple[str, str], int]:
    return {
        (code, item): n
        for code, item, n in PlaceCount.objects.filter(count__gt=0).values_list(
            "place__code", "item", "count"
        )
    }


def by_code(code: str) -> Place:
    return Place.objects.get(code=code)


# --- bad files: every error with its line, and nothing written --------------------------


BAD_ROWS = {
    "unknown parent": (
        "110101001001,999999999999,community,孤儿社区\n",
        [(5, "Unknown parent 999999999999: it is neither in this file nor in the database.")],
    ),
    "unknown kind": (
        "110101001001,110101001000,hamlet,某屯\n",
        [(5, f"Unknown kind hamlet; use one of: {KINDS}.")],
    ),
    "empty kind": (
        "110101001001,110101001000,,某社区\n",
        [(5, f'Unknown kind ""; use one of: {KINDS}.')],
    ),
    "community under a district": (
        "110101001001,110101000000,community,越级社区\n",
        [(5, "A community cannot sit under a district.")],
    ),
    "city with a parent": (
        "120000000000,110000000000,city,天津市\n",
        [(5, "A city cannot sit under a city.")],
    ),
    "district with no parent": (
        "110102000000,,district,西城区\n",
        [(5, "Only a city can be at the top of the tree; a district needs a parent.")],
    ),
    "duplicate code": (
        "110101001000,110101000000,street,东华门街道\n",
        [(5, "Duplicate code 110101001000 (first on line 4).")],
    ),
    "empty name": (
        "110101001001,110101001000,community,\n",
        [(5, "The name is empty.")],
    ),
    "blank name": (
        "110101001001,110101001000,community,   \n",
        [(5, "The name is empty.")],
    ),
    "missing name cell": (
        "110101001001,110101001000,community\n",
        [(5, "The name is empty.")],
    ),
    "name too long": (
        "110101001001,110101001000,community," + "长" * 101 + "\n",
        [(5, "The name is longer than 100 characters.")],
    ),
    "empty code": (
        ",110101001000,community,无码社区\n",
        [(5, "The code is empty.")],
    ),
    "code with a space": (
        "1101 01001001,110101001000,community,坏码社区\n",
        [
            (
                5,
                "The code 1101 01001001 has characters other than letters, digits, - and _, "
                "or is longer than 32.",
            )
        ],
    ),
    "code longer than 32": (
        "C" * 33 + ",110101001000,community,长码社区\n",
        [
            (
                5,
                f"The code {'C' * 33} has characters other than letters, digits, - and _, "
                "or is longer than 32.",
            )
        ],
    ),
    "own parent": (
        "110101001001,110101001001,community,自指社区\n",
        [
            (5, "A place cannot be its own parent."),
            (5, "The parent chain of 110101001001 loops back to itself."),
        ],
    ),
    "parent chain loops": (
        # A community under a street that is itself under the community.
        "110101001001,110101001002,community,甲社区\n110101001002,110101001001,street,乙街道\n",
        [
            (5, "The parent chain of 110101001001 loops back to itself."),
            (6, "A street cannot sit under a community."),
        ],
    ),
    "child of a row whose code is bad": (
        "11 01,110101001000,community,坏码社区\n110101001009,11 01,grid,网格\n",
        [
            (
                5,
                "The code 11 01 has characters other than letters, digits, - and _, "
                "or is longer than 32.",
            ),
            (6, "Unknown parent 11 01: it is neither in this file nor in the database."),
        ],
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(BAD_ROWS), ids=list(BAD_ROWS))
def test_a_bad_row_is_reported_with_its_line_and_nothing_is_imported(case):
    rows, expected = BAD_ROWS[case]

    result = run(BASE + rows + "110101001003,110101001000,community,好社区\n")

    assert result.errors == expected
    assert not result.ok
    assert (result.created, result.renamed, result.unchanged) == (0, 0, 0)
    assert Place.objects.count() == 0
    assert PlaceCount.objects.count() == 0


@pytest.mark.django_db
def test_every_bad_row_of_a_file_is_reported_in_line_order():
    text = (
        BASE
        + "110101001001,999999999999,community,孤儿社区\n"  # 5
        + "110101001002,110101001000,community,好社区\n"  # 6 (good)
        + "110101001003,110101000000,community,越级社区\n"  # 7
        + "110101001000,110101000000,street,东华门街道\n"  # 8
        + "110101001004,110101001000,hamlet,\n"  # 9: two errors on one line
    )

    result = run(text)

    assert result.errors == [
        (5, "Unknown parent 999999999999: it is neither in this file nor in the database."),
        (7, "A community cannot sit under a district."),
        (8, "Duplicate code 110101001000 (first on line 4)."),
        (9, "The name is empty."),
        (9, f"Unknown kind hamlet; use one of: {KINDS}."),
    ]
    assert Place.objects.count() == 0


@pytest.mark.django_db
def test_blank_lines_still_count_in_line_numbers():
    text = BASE + "\n\n110101001001,999999999999,community,孤儿社区\n"

    result = run(text)

    assert result.errors == [
        (7, "Unknown parent 999999999999: it is neither in this file nor in the database.")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("code,kind,name", "parent_code"),
        ("code,parent,kind,title", "parent_code, name"),
        ("", "code, parent_code, kind, name"),
    ],
)
def test_a_header_missing_a_column_is_reported_on_line_1(header, missing):
    result = run(header + "\n110000000000,city,北京市\n" if header else "")

    assert result.errors == [(1, f"The header lacks the column(s): {missing}.")]
    assert Place.objects.count() == 0


@pytest.mark.django_db
def test_an_unknown_kind_with_children_is_reported_not_a_crash():
    text = (
        BASE
        + "110101001001,110101001000,hamlet,某屯\n"  # 5: unknown kind
        + "110101001002,110101001001,building,某院\n"  # 6: its child
    )

    result = run(text)

    assert (5, f"Unknown kind hamlet; use one of: {KINDS}.") in result.errors
    assert Place.objects.count() == 0


@pytest.mark.django_db
def test_an_english_name_too_long_is_reported_with_its_line():
    text = "code,parent_code,kind,name,name_en\n110000000000,,city,北京市," + "B" * 201 + "\n"

    result = run(text)

    assert [line for line, _message in result.errors] == [2]
    assert Place.objects.count() == 0


# --- existing places -------------------------------------------------------------------


def test_an_existing_code_under_a_different_parent_is_refused(city):
    before = tree()
    text = "code,parent_code,kind,name\n110101011010,110108016000,community,草厂社区居委会\n"

    result = run(text)

    assert result.errors == [
        (
            2,
            "110101011010 already exists as a community under 110101011000; an import does "
            "not move or re-kind places.",
        )
    ]
    assert tree() == before


def test_an_existing_code_with_a_different_kind_is_refused(city):
    before = tree()
    text = "code,parent_code,kind,name\n110101011010,110101011000,village,草厂村\n"

    result = run(text)

    assert result.errors == [
        (
            2,
            "110101011010 already exists as a community under 110101011000; an import does "
            "not move or re-kind places.",
        )
    ]
    assert tree() == before


def test_a_new_place_under_an_existing_parent_gets_its_path_and_counts(city):
    text = (
        "code,parent_code,kind,name\n"
        "110101011000,110101000000,street,前门街道\n"  # existing, unchanged
        "110101011012,110101011000,community,西河沿社区居委会\n"
    )

    result = run(text)

    assert (result.created, result.renamed, result.unchanged, result.errors) == (1, 0, 1, [])
    new = by_code("110101011012")
    assert new.parent == city.street
    assert new.path == city.street.path + segment(new.pk)
    assert counts_for(city.street) == {
        "community": 3,
        "building": 1,
        "org:enterprise": 1,
        "org:school": 1,
    }
    assert counts_for(city.city)["community"] == 4


def test_a_new_place_whose_kind_cannot_sit_under_an_existing_parent_is_refused(city):
    text = "code,parent_code,kind,name\n110101011099,110101000000,community,越级社区\n"

    result = run(text)

    assert result.errors == [(2, "A community cannot sit under a district.")]
    assert not Place.objects.filter(code="110101011099").exists()


# --- good files ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_good_file_imports_every_row_with_paths_and_counts():
    progress: list[int] = []

    result = import_places(io.StringIO(GOOD), progress=progress.append)

    assert (result.created, result.renamed, result.unchanged, result.errors) == (8, 0, 0, [])
    assert sum(progress) == 8
    assert tree() == expected_tree(GOOD)
    for place in Place.objects.select_related("parent"):
        parent_path = place.parent.path if place.parent else ""
        assert place.path == parent_path + segment(place.pk)
    village = by_code("110111104201")
    assert village.name == "白庄村委会"
    assert village.name_en == "Baizhuang Village"
    assert village.kind == PlaceKind.VILLAGE
    assert [a.code for a in village.ancestors()] == ["110000000000", "110111000000", "110111104000"]
    assert list(Place.objects.roots().values_list("code", flat=True)) == ["110000000000"]
    assert all_counts() == {
        ("110000000000", "district"): 2,
        ("110000000000", "street"): 1,
        ("110000000000", "township"): 1,
        ("110000000000", "community"): 2,
        ("110000000000", "village"): 1,
        ("110101000000", "street"): 1,
        ("110101000000", "community"): 2,
        ("110101001000", "community"): 2,
        ("110111000000", "township"): 1,
        ("110111000000", "village"): 1,
        ("110111104000", "village"): 1,
    }


@pytest.mark.django_db
def test_importing_the_same_file_again_changes_nothing():
    run(GOOD)
    places_before = list(Place.objects.order_by("pk").values())
    counts_before = list(PlaceCount.objects.order_by("pk").values())

    result = run(GOOD)

    assert (result.created, result.renamed, result.unchanged, result.errors) == (0, 0, 8, [])
    assert list(Place.objects.order_by("pk").values()) == places_before
    assert list(PlaceCount.objects.order_by("pk").values()) == counts_before


@pytest.mark.django_db
def test_a_renamed_row_updates_only_that_name():
    run(GOOD)
    before = tree()
    renamed = GOOD.replace("银闸社区居委会", "银闸社区")

    result = run(renamed)

    assert (result.created, result.renamed, result.unchanged, result.errors) == (0, 1, 7, [])
    after = tree()
    parent, kind, _name, name_en, path = before["110101001002"]
    assert after.pop("110101001002") == (parent, kind, "银闸社区", name_en, path)
    before.pop("110101001002")
    assert after == before


@pytest.mark.django_db
def test_a_file_without_name_en_keeps_the_english_names():
    run(GOOD)
    before = tree()
    without_en = "\n".join(line.rsplit(",", 1)[0] for line in GOOD.splitlines()) + "\n"

    result = run(without_en)

    assert (result.created, result.renamed, result.unchanged) == (0, 0, 8)
    assert tree() == before


def expected_tree(text: str) -> dict[str, tuple[str, str, str, str, str]]:
    """What `tree()` should give after importing `text` into an empty database."""
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(text))}

    def path(code: str) -> str:
        parent = rows[code]["parent_code"]
        return f"{path(parent)}/{code}" if parent else code

    return {
        code: (r["parent_code"], r["kind"], r["name"], r.get("name_en") or "", path(code))
        for code, r in rows.items()
    }


@pytest.mark.django_db
def test_rows_in_any_order_import_the_same_tree():
    header, *rows = GOOD.splitlines()

    result = run(header + "\n" + "\n".join(reversed(rows)) + "\n")

    assert (result.created, result.errors) == (8, [])
    assert tree() == expected_tree(GOOD)
    assert all_counts()[("110000000000", "community")] == 2
    assert all_counts()[("110111000000", "village")] == 1


@pytest.mark.django_db
def test_header_cells_are_trimmed_and_name_en_is_optional():
    text = " code , parent_code ,kind, name \n110000000000,,city, 北京市 \n"

    result = run(text)

    assert (result.created, result.errors) == (1, [])
    city = by_code("110000000000")
    assert (city.name, city.name_en, city.parent_id) == ("北京市", "", None)


@pytest.mark.django_db
def test_the_bundled_beijing_file_imports_every_division():
    with BEIJING.open(encoding="utf-8-sig", newline="") as stream:
        result = import_places(stream)

    assert (result.created, result.renamed, result.unchanged, result.errors) == (7901, 0, 0, [])
    by_kind = {kind: Place.objects.of_kind(kind).count() for kind in PlaceKind.values}
    assert by_kind == {
        "city": 1,
        "district": 16,
        "street": 227,
        "township": 122,
        "community": 3735,
        "village": 3800,
        "grid": 0,
        "building": 0,
        "unit": 0,
    }
    beijing = Place.objects.roots().get()
    assert (beijing.code, beijing.name) == ("110000000000", "北京市")
    assert counts_for(beijing) == {
        "district": 16,
        "street": 227,
        "township": 122,
        "community": 3735,
        "village": 3800,
    }
    assert not Place.objects.filter(path="").exists()
    rows_before = all_counts()
    rebuild_place_counts()
    assert all_counts() == rows_before


# --- the management command ------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "places.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


@pytest.mark.django_db
def test_command_reports_bad_rows_as_file_line_message_and_imports_nothing(tmp_path):
    path = write(
        tmp_path,
        BASE
        + "110101001001,999999999999,community,孤儿社区\n"
        + "110101001002,110101000000,community,越级社区\n",
    )
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError) as exc:
        call_command("import_places", str(path), "--no-progress", stdout=out, stderr=err)

    assert str(exc.value) == "2 bad row(s); nothing was imported. Fix them and run again."
    assert err.getvalue().splitlines() == [
        f"{path}:5: Unknown parent 999999999999: it is neither in this file nor in the database.",
        f"{path}:6: A community cannot sit under a district.",
    ]
    assert out.getvalue() == ""
    assert Place.objects.count() == 0


@pytest.mark.django_db
def test_command_reports_a_bad_header_on_line_1(tmp_path):
    path = write(tmp_path, "code,kind,name\n110000000000,city,北京市\n")
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_places", str(path), "--no-progress", stderr=err)

    assert err.getvalue().splitlines() == [
        f"{path}:1: The header lacks the column(s): parent_code."
    ]


@pytest.mark.django_db
def test_command_refuses_a_missing_file(tmp_path):
    path = tmp_path / "nowhere.csv"

    with pytest.raises(CommandError) as exc:
        call_command("import_places", str(path), "--no-progress")

    assert str(exc.value) == f"No such file: {path}"


def test_command_refuses_a_directory(tmp_path):
    with pytest.raises(CommandError):
        call_command("import_places", str(tmp_path), "--no-progress")


@pytest.mark.django_db
def test_command_refuses_a_file_that_is_not_utf8(tmp_path):
    path = write(tmp_path, BASE, encoding="gb18030")

    with pytest.raises(CommandError) as exc:
        call_command("import_places", str(path), "--no-progress")

    assert str(exc.value).startswith(f"{path} is not UTF-8 text: ")
    assert Place.objects.count() == 0


@pytest.mark.django_db
def test_command_imports_a_good_file_with_a_byte_order_mark_and_says_what_it_did(tmp_path):
    path = write(tmp_path, GOOD, encoding="utf-8-sig")
    out = io.StringIO()

    call_command("import_places", str(path), "--no-progress", stdout=out)

    assert out.getvalue() == "Created 8, renamed 0, unchanged 0.\n"
    assert Place.objects.count() == 8

    again = io.StringIO()
    call_command("import_places", str(path), "--no-progress", stdout=again)

    assert again.getvalue() == "Created 0, renamed 0, unchanged 8.\n"
