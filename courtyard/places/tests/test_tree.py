"""The place tree: materialized paths, tree queries, creating and moving places, and the
counts rollup kept by the actions (which must agree with a full rebuild)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import translation

from courtyard.core.errors import BadInput, Conflict
from courtyard.core.models import AuditEvent
from courtyard.places.actions import create_place, move_place, rename_place
from courtyard.places.models import Place, PlaceCount, PlaceKind, parent_path, path_ids, segment
from courtyard.places.rollups import adjust_counts, counts_for, rebuild_place_counts
from courtyard.places.tree import fill_paths


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def all_counts() -> dict[tuple[int, str], int]:
    return {
        (pk, item): n
        for pk, item, n in PlaceCount.objects.filter(count__gt=0).values_list(
            "place_id", "item", "count"
        )
    }


def assert_counts_match_a_rebuild() -> None:
    incremental = all_counts()
    rebuild_place_counts()
    assert all_counts() == incremental


def fresh(place: Place) -> Place:
    return Place.objects.get(pk=place.pk)


# --- paths and tree queries ------------------------------------------------------------


def test_city_fixture_builds_paths(city):
    assert city.community.path.startswith(city.street.path)
    assert city.courtyard.is_within(city.district)
    assert not city.far_community.is_within(city.district)


def test_a_path_is_the_parent_path_and_the_own_zero_padded_id(city):
    assert segment(7) == "0000000007"
    assert city.city.path == segment(city.city.pk)
    assert city.courtyard.path == (
        segment(city.city.pk)
        + segment(city.district.pk)
        + segment(city.street.pk)
        + segment(city.community.pk)
        + segment(city.courtyard.pk)
    )
    assert path_ids(city.courtyard.path) == [
        city.city.pk,
        city.district.pk,
        city.street.pk,
        city.community.pk,
        city.courtyard.pk,
    ]
    assert parent_path(city.courtyard.path) == city.community.path
    assert parent_path(city.city.path) == ""
    assert (city.city.depth, city.courtyard.depth) == (1, 5)
    assert city.courtyard.ancestor_ids == [
        city.city.pk,
        city.district.pk,
        city.street.pk,
        city.community.pk,
    ]


def test_within_is_the_place_and_its_subtree(city):
    assert set(Place.objects.within(city.street)) == {
        city.street,
        city.community,
        city.sibling,
        city.courtyard,
    }
    assert set(Place.objects.within(city.courtyard)) == {city.courtyard}


def test_below_leaves_out_the_place_itself(city):
    assert set(Place.objects.below(city.street)) == {city.community, city.sibling, city.courtyard}
    assert not Place.objects.below(city.courtyard).exists()


def test_within_does_not_reach_a_sibling_subtree(city):
    assert city.far_community not in Place.objects.within(city.district)
    assert city.sibling not in Place.objects.within(city.community)


def test_ancestors_are_root_first_without_the_place(city):
    assert list(city.courtyard.ancestors()) == [
        city.city,
        city.district,
        city.street,
        city.community,
    ]
    assert list(city.city.ancestors()) == []


def test_roots_are_the_places_without_parent(city):
    assert list(Place.objects.roots()) == [city.city]


def test_of_kind_filters_by_kind(city):
    assert set(Place.objects.of_kind(PlaceKind.COMMUNITY)) == {
        city.community,
        city.sibling,
        city.far_community,
    }
    assert set(Place.objects.of_kind(PlaceKind.CITY, PlaceKind.BUILDING)) == {
        city.city,
        city.courtyard,
    }


# --- fill_paths ------------------------------------------------------------------------


@pytest.mark.django_db
def test_fill_paths_gives_every_empty_path_its_path_level_by_level():
    root = Place.objects.create(code="R", kind=PlaceKind.CITY, name="根", path="")
    district = Place.objects.create(
        code="D", kind=PlaceKind.DISTRICT, name="区", parent=root, path=""
    )
    street = Place.objects.create(
        code="S", kind=PlaceKind.STREET, name="街道", parent=district, path=""
    )
    community = Place.objects.create(
        code="C", kind=PlaceKind.COMMUNITY, name="社区", parent=street, path=""
    )

    assert fill_paths() == 4

    assert fresh(root).path == segment(root.pk)
    assert fresh(district).path == segment(root.pk) + segment(district.pk)
    assert fresh(community).path == (
        segment(root.pk) + segment(district.pk) + segment(street.pk) + segment(community.pk)
    )


def test_fill_paths_hangs_new_places_under_existing_ones_and_leaves_the_rest(city):
    before = dict(Place.objects.values_list("pk", "path"))
    grid = Place.objects.create(
        code="G1", kind=PlaceKind.GRID, name="网格", parent=city.community, path=""
    )
    building = Place.objects.create(
        code="B1", kind=PlaceKind.BUILDING, name="楼", parent=grid, path=""
    )

    assert fill_paths() == 2

    assert fresh(grid).path == city.community.path + segment(grid.pk)
    assert fresh(building).path == city.community.path + segment(grid.pk) + segment(building.pk)
    after = dict(Place.objects.exclude(pk__in=[grid.pk, building.pk]).values_list("pk", "path"))
    assert after == before


def test_fill_paths_with_nothing_to_fill_returns_zero(city):
    assert fill_paths() == 0


@pytest.mark.django_db
def test_fill_paths_refuses_a_parent_cycle():
    a = Place.objects.create(code="A", kind=PlaceKind.STREET, name="甲", path="")
    b = Place.objects.create(code="B", kind=PlaceKind.STREET, name="乙", path="", parent=a)
    Place.objects.filter(pk=a.pk).update(parent=b)

    with pytest.raises(RuntimeError, match="Some places could not get a path"):
        fill_paths()


# --- create_place ----------------------------------------------------------------------


def test_create_place_sets_path_counts_and_audit(city, personas):
    grid = create_place(
        by=personas.here,
        parent=city.community,
        kind=PlaceKind.GRID,
        code=" 110101011010G01 ",
        name=" 第一网格 ",
        name_en="Grid 1",
    )

    grid.refresh_from_db()
    assert (grid.code, grid.name, grid.name_en) == ("110101011010G01", "第一网格", "Grid 1")
    assert grid.path == city.community.path + segment(grid.pk)
    for place in (city.community, city.street, city.district, city.city):
        assert counts_for(place)["grid"] == 1
    event = AuditEvent.objects.for_object(grid).get()
    assert event.verb == "create_place"
    assert event.actor == personas.here
    assert event.place_path == grid.path
    assert event.changes == {"name": [None, "第一网格"], "parent": [None, city.community.pk]}
    assert_counts_match_a_rebuild()


@pytest.mark.parametrize(
    ("parent", "kind", "message"),
    [
        ("district", PlaceKind.COMMUNITY, "A community cannot sit under a district."),
        ("community", PlaceKind.STREET, "A street cannot sit under a community."),
        (
            "courtyard",
            PlaceKind.BUILDING,
            "A building / courtyard cannot sit under a building / courtyard.",
        ),
        ("city", PlaceKind.CITY, "A city cannot sit under a city."),
        (
            None,
            PlaceKind.DISTRICT,
            "Only a city can be at the top of the tree; a district needs a parent.",
        ),
    ],
)
def test_create_place_refuses_a_kind_that_cannot_sit_under_the_parent(city, parent, kind, message):
    places, events = Place.objects.count(), AuditEvent.objects.count()

    with pytest.raises(BadInput) as exc:
        create_place(
            by=None,
            parent=getattr(city, parent) if parent else None,
            kind=kind,
            code="NEW-1",
            name="新地方",
        )

    assert (exc.value.message, exc.value.field) == (message, "parent")
    assert Place.objects.count() == places
    assert AuditEvent.objects.count() == events
    assert not Place.objects.filter(code="NEW-1").exists()


def test_create_place_refuses_an_unknown_kind(city):
    places = Place.objects.count()

    with pytest.raises(BadInput) as exc:
        create_place(by=None, parent=city.community, kind="hamlet", code="NEW-1", name="屯")

    assert (exc.value.message, exc.value.field) == ("Unknown kind of place: hamlet.", "kind")
    assert Place.objects.count() == places


def test_create_place_refuses_a_duplicate_code_and_leaves_no_trace(city):
    places, events = Place.objects.count(), AuditEvent.objects.count()
    counts = all_counts()

    with pytest.raises(Conflict) as exc:
        create_place(
            by=None,
            parent=city.street,
            kind=PlaceKind.COMMUNITY,
            code=" 110101011011 ",  # the sibling's code, with spaces
            name="重码社区",
        )

    assert (exc.value.message, exc.value.field) == (
        "The code 110101011011 is already used.",
        "code",
    )
    assert Place.objects.count() == places
    assert AuditEvent.objects.count() == events
    assert all_counts() == counts


@pytest.mark.parametrize(("code", "name"), [("", "名"), ("  ", "名"), ("X1", ""), ("X1", "   ")])
def test_create_place_needs_a_code_and_a_name(city, code, name):
    places = Place.objects.count()

    with pytest.raises(BadInput) as exc:
        create_place(by=None, parent=city.community, kind=PlaceKind.GRID, code=code, name=name)

    assert exc.value.message == "A place needs a code and a name."
    assert Place.objects.count() == places


def test_rename_place_records_old_and_new_names(city, personas):
    rename_place(city.sibling, by=personas.above, name=" 大栅栏西街社区 ", name_en="Dashilar West")

    sibling = fresh(city.sibling)
    assert (sibling.name, sibling.name_en) == ("大栅栏西街社区", "Dashilar West")
    event = AuditEvent.objects.for_object(sibling).first()
    assert event is not None
    assert event.verb == "rename_place"
    assert event.changes == {
        "name": ["大栅栏西街社区居委会", "大栅栏西街社区"],
        "name_en": ["Dashilar West Street", "Dashilar West"],
    }


def test_rename_place_refuses_an_empty_name(city):
    events = AuditEvent.objects.count()

    with pytest.raises(BadInput):
        rename_place(city.sibling, by=None, name="  ", name_en="")

    assert fresh(city.sibling).name == "大栅栏西街社区居委会"
    assert AuditEvent.objects.count() == events


# --- move_place ------------------------------------------------------------------------


def test_move_place_rewrites_every_path_of_the_subtree(city, personas):
    grid = create_place(by=None, parent=city.community, kind=PlaceKind.GRID, code="G1", name="网格")
    building = create_place(by=None, parent=grid, kind=PlaceKind.BUILDING, code="B1", name="楼")
    others = dict(
        Place.objects.exclude(path__startswith=city.community.path).values_list("pk", "path")
    )
    new_street = fresh(city.far_community).parent
    assert new_street is not None

    moved = move_place(city.community, by=personas.above, new_parent=new_street)

    new_path = new_street.path + segment(city.community.pk)
    assert moved.path == new_path
    assert moved.parent_id == new_street.pk
    assert fresh(city.courtyard).path == new_path + segment(city.courtyard.pk)
    assert fresh(grid).path == new_path + segment(grid.pk)
    assert fresh(building).path == new_path + segment(grid.pk) + segment(building.pk)
    assert fresh(city.courtyard).parent_id == city.community.pk
    assert set(Place.objects.within(new_street)) == {
        new_street,
        city.far_community,
        fresh(city.community),
        fresh(city.courtyard),
        fresh(grid),
        fresh(building),
    }
    assert not Place.objects.below(city.street).filter(pk=city.community.pk).exists()
    after = dict(Place.objects.exclude(path__startswith=new_path).values_list("pk", "path"))
    assert after == others


def test_move_place_moves_counts_from_the_old_ancestors_to_the_new(city):
    new_street = fresh(city.far_community).parent
    assert new_street is not None
    assert counts_for(city.district) == {
        "street": 1,
        "community": 2,
        "building": 1,
        "org:enterprise": 1,
        "org:school": 1,
    }

    move_place(city.community, by=None, new_parent=new_street)

    assert counts_for(fresh(city.street)) == {"community": 1, "org:school": 1}
    assert counts_for(fresh(city.district)) == {"street": 1, "community": 1, "org:school": 1}
    assert counts_for(new_street) == {"community": 2, "building": 1, "org:enterprise": 1}
    assert counts_for(fresh(city.other_district)) == {
        "street": 1,
        "community": 2,
        "building": 1,
        "org:enterprise": 1,
    }
    assert counts_for(fresh(city.city)) == {
        "district": 2,
        "street": 2,
        "community": 3,
        "building": 1,
        "org:enterprise": 1,
        "org:school": 1,
    }
    assert counts_for(fresh(city.community)) == {"building": 1, "org:enterprise": 1}
    assert_counts_match_a_rebuild()


def test_move_place_within_the_same_district_keeps_the_common_ancestors_counts(city):
    second_street = create_place(
        by=None, parent=city.district, kind=PlaceKind.STREET, code="110101002000", name="景山街道"
    )
    district_before = counts_for(fresh(city.district))

    move_place(city.sibling, by=None, new_parent=second_street)

    assert counts_for(fresh(city.district)) == district_before
    assert counts_for(fresh(second_street)) == {"community": 1, "org:school": 1}
    assert counts_for(fresh(city.street)) == {"community": 1, "building": 1, "org:enterprise": 1}
    assert_counts_match_a_rebuild()


def test_move_place_writes_an_audit_row_with_old_and_new_parent(city, personas):
    new_street = fresh(city.far_community).parent
    assert new_street is not None
    old_path = city.community.path

    moved = move_place(city.community, by=personas.above, new_parent=new_street)

    event = AuditEvent.objects.for_object(moved).first()
    assert event is not None
    assert event.verb == "move_place"
    assert event.actor == personas.above
    assert event.place_path == moved.path
    assert event.changes == {
        "parent": [city.street.pk, new_street.pk],
        "path": [old_path, moved.path],
    }


@pytest.mark.parametrize("target", ["community", "courtyard"])
def test_move_place_into_its_own_subtree_is_refused(city, target):
    before = dict(Place.objects.values_list("pk", "path"))
    counts, events = all_counts(), AuditEvent.objects.count()

    with pytest.raises(BadInput) as exc:
        move_place(city.community, by=None, new_parent=getattr(city, target))

    assert (exc.value.message, exc.value.field) == (
        "A place cannot be moved into its own subtree.",
        "parent",
    )
    assert dict(Place.objects.values_list("pk", "path")) == before
    assert all_counts() == counts
    assert AuditEvent.objects.count() == events


def test_move_place_under_a_wrong_kind_is_refused_and_changes_nothing(city):
    before = dict(Place.objects.values_list("pk", "path"))
    counts, events = all_counts(), AuditEvent.objects.count()

    with pytest.raises(BadInput) as exc:
        move_place(city.community, by=None, new_parent=city.other_district)

    assert exc.value.message == "A community cannot sit under a district."
    assert dict(Place.objects.values_list("pk", "path")) == before
    assert all_counts() == counts
    assert AuditEvent.objects.count() == events


def test_move_place_to_its_own_parent_changes_nothing(city):
    before = dict(Place.objects.values_list("pk", "path"))
    counts, events = all_counts(), AuditEvent.objects.count()

    move_place(city.community, by=None, new_parent=city.street)

    assert dict(Place.objects.values_list("pk", "path")) == before
    assert all_counts() == counts
    assert AuditEvent.objects.count() == events


def test_moving_back_restores_the_counts(city):
    counts = all_counts()
    new_street = fresh(city.far_community).parent
    assert new_street is not None

    move_place(city.community, by=None, new_parent=new_street)
    move_place(city.community, by=None, new_parent=fresh(city.street))

    assert all_counts() == counts
    assert fresh(city.courtyard).path == city.courtyard.path


# --- the counts rollup -----------------------------------------------------------------


def test_the_fixture_counts_agree_with_a_rebuild(city):
    assert counts_for(city.city) == {
        "district": 2,
        "street": 2,
        "community": 3,
        "building": 1,
        "org:enterprise": 1,
        "org:school": 1,
    }
    assert counts_for(city.courtyard) == {}
    assert_counts_match_a_rebuild()


def test_adjust_counts_adds_at_the_place_and_every_ancestor(city):
    adjust_counts(city.community.path, "thing", 3)

    assert {pk: n for (pk, item), n in all_counts().items() if item == "thing"} == {
        city.city.pk: 3,
        city.district.pk: 3,
        city.street.pk: 3,
        city.community.pk: 3,
    }

    adjust_counts(city.sibling.path, "thing", 2)
    adjust_counts(city.community.path, "thing", -1)

    assert PlaceCount.objects.get(place=city.street, item="thing").count == 4
    assert PlaceCount.objects.get(place=city.community, item="thing").count == 2
    assert PlaceCount.objects.get(place=city.sibling, item="thing").count == 2
    assert PlaceCount.objects.get(place=city.city, item="thing").count == 4
    assert not PlaceCount.objects.filter(place=city.courtyard, item="thing").exists()
    assert not PlaceCount.objects.filter(place=city.other_district, item="thing").exists()


def test_adjust_counts_down_to_zero_keeps_the_row_but_counts_for_hides_it(city):
    adjust_counts(city.courtyard.path, "thing", 1)
    adjust_counts(city.courtyard.path, "thing", -1)

    assert PlaceCount.objects.get(place=city.courtyard, item="thing").count == 0
    assert "thing" not in counts_for(city.courtyard)


def test_adjust_counts_with_no_delta_or_no_path_writes_nothing(city):
    rows = PlaceCount.objects.count()

    adjust_counts(city.community.path, "thing", 0)
    adjust_counts("", "thing", 5)

    assert PlaceCount.objects.count() == rows


def test_rebuild_returns_the_number_of_rollup_rows_and_drops_strays(city):
    adjust_counts(city.community.path, "stray", 7)

    rows = rebuild_place_counts()

    assert rows == PlaceCount.objects.count()
    assert not PlaceCount.objects.filter(item="stray").exists()
    # city: 6 items; district: 5; street: 4 (community, building, 2 org kinds);
    # community: 2 (building, org:enterprise); sibling: 1 (org:school);
    # other district: street, community; far street: community.
    assert rows == 6 + 5 + 4 + 2 + 1 + 2 + 1


def test_rebuild_command_says_how_many_rows(city):
    out = io.StringIO()

    call_command("rebuild_place_counts", stdout=out)

    assert out.getvalue() == f"Rebuilt {PlaceCount.objects.count()} count rows.\n"
