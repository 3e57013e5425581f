"""Keyset pagination: pages of the right size, nothing shown twice or skipped, in any order,
and a cursor that was tampered with is refused with a clear BadInput (a 400, never a 500)."""

from __future__ import annotations

import base64
import json

import pytest
from django.utils import translation

from courtyard.core.errors import BadInput
from courtyard.core.pagination import decode_cursor, encode_cursor, keyset_page
from courtyard.places.models import Place, PlaceKind

BROKEN = "This page link is broken or out of date. Start again from the first page."


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


@pytest.fixture
def places(db) -> list[Place]:  # type: ignore[no-untyped-def]
    """25 roots whose names repeat (A, B, C, D, E, five of each) so that orderings tie."""
    return Place.objects.bulk_create(
        Place(code=f"P{i:02d}", kind=PlaceKind.CITY, name="ABCDE"[i % 5], path=f"{i:010d}")
        for i in range(25)
    )


def all_pages(order: tuple[str, ...], size: int = 10) -> list[list[Place]]:
    pages, cursor = [], None
    while True:
        page = keyset_page(Place.objects.all(), cursor=cursor, size=size, order=order)
        pages.append(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return pages


def raw_cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_25_rows_in_pages_of_10_are_10_10_5_without_duplicates_or_omissions(places):
    pages = all_pages(("pk",))

    assert [len(p) for p in pages] == [10, 10, 5]
    seen = [p.pk for page in pages for p in page]
    assert seen == sorted(p.pk for p in places)


def test_the_last_page_has_no_next_cursor_and_the_others_do(places):
    first = keyset_page(Place.objects.all(), cursor=None, size=10)
    second = keyset_page(Place.objects.all(), cursor=first.next_cursor, size=10)
    third = keyset_page(Place.objects.all(), cursor=second.next_cursor, size=10)

    assert first.next_cursor is not None
    assert second.next_cursor is not None
    assert third.next_cursor is None
    assert decode_cursor(first.next_cursor, 1) == [first.items[-1].pk]


def test_exactly_one_full_page_has_no_next_cursor(db):
    Place.objects.bulk_create(
        Place(code=f"Q{i}", kind=PlaceKind.CITY, name="x", path=f"{i:010d}") for i in range(10)
    )

    page = keyset_page(Place.objects.all(), cursor=None, size=10)

    assert len(page.items) == 10
    assert page.next_cursor is None


def test_multi_field_order_with_ties_keeps_the_order_across_pages(places):
    pages = all_pages(("name", "pk"), size=4)

    seen = [(p.name, p.pk) for page in pages for p in page]
    assert [len(p) for p in pages] == [4, 4, 4, 4, 4, 4, 1]
    assert seen == sorted((p.name, p.pk) for p in places)
    assert len(set(seen)) == 25


def test_descending_order_pages_from_the_end(places):
    pages = all_pages(("-name", "-pk"))

    seen = [(p.name, p.pk) for page in pages for p in page]
    assert [len(p) for p in pages] == [10, 10, 5]
    assert seen == sorted(((p.name, p.pk) for p in places), reverse=True)


def test_mixed_directions_with_ties(places):
    pages = all_pages(("name", "-pk"), size=7)

    seen = [(p.name, p.pk) for page in pages for p in page]
    expected = sorted((p.name, -p.pk) for p in places)
    assert seen == [(name, -neg) for name, neg in expected]
    assert [len(p) for p in pages] == [7, 7, 7, 4]


def test_a_filtered_queryset_pages_only_its_rows(places):
    qs = Place.objects.filter(name="C")
    first = keyset_page(qs, cursor=None, size=3, order=("code", "pk"))
    second = keyset_page(qs, cursor=first.next_cursor, size=3, order=("code", "pk"))

    assert [p.code for p in first.items] == ["P02", "P07", "P12"]
    assert [p.code for p in second.items] == ["P17", "P22"]
    assert second.next_cursor is None


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "%%%",
        raw_cursor({"pk": 3}),
        raw_cursor("3"),
        raw_cursor([1.5]),
        raw_cursor([None]),
        raw_cursor([[1]]),
        base64.urlsafe_b64encode(b"\xff\xfe[1]").decode(),
        base64.urlsafe_b64encode(b"[1").decode(),
    ],
    ids=[
        "garbage",
        "not-base64",
        "object",
        "string",
        "float",
        "null",
        "nested-list",
        "not-utf8",
        "not-json",
    ],
)
def test_a_tampered_cursor_raises_bad_input(places, cursor):
    with pytest.raises(BadInput) as exc:
        keyset_page(Place.objects.all(), cursor=cursor, size=10, order=("pk",))

    assert exc.value.message == BROKEN
    assert exc.value.status == 400


def test_a_cursor_with_a_flipped_character_raises_bad_input(places):
    cursor = keyset_page(Place.objects.all(), cursor=None, size=10).next_cursor
    assert cursor is not None
    tampered = "!" + cursor[1:]

    with pytest.raises(BadInput):
        keyset_page(Place.objects.all(), cursor=tampered, size=10)


@pytest.mark.parametrize("values", [[], [7], ["A", 3, 4]])
def test_a_cursor_of_the_wrong_length_raises_bad_input(places, values):
    with pytest.raises(BadInput) as exc:
        keyset_page(
            Place.objects.all(), cursor=encode_cursor(values), size=10, order=("name", "pk")
        )

    assert exc.value.message == BROKEN


def test_a_cursor_with_a_string_for_an_integer_field_raises_bad_input(places):
    with pytest.raises(BadInput):
        keyset_page(Place.objects.all(), cursor=encode_cursor(["abc"]), size=10, order=("pk",))


@pytest.mark.django_db
def test_ordering_by_a_related_field_pages_through():
    roots = Place.objects.bulk_create(
        Place(code=f"R{i}", kind=PlaceKind.CITY, name="根", path=f"{i:010d}") for i in range(2)
    )
    Place.objects.bulk_create(
        Place(code=f"C{i}", kind=PlaceKind.DISTRICT, name="区", parent=roots[i % 2], path="x")
        for i in range(6)
    )
    qs = Place.objects.filter(parent__isnull=False)

    first = keyset_page(qs, cursor=None, size=4, order=("parent__code", "pk"))
    second = keyset_page(qs, cursor=first.next_cursor, size=4, order=("parent__code", "pk"))

    seen = [p.code for p in first.items + second.items]
    assert seen == ["C0", "C2", "C4", "C1", "C3", "C5"]


def test_cursor_round_trip_keeps_chinese_text():
    cursor = encode_cursor(["草厂社区", 42])

    assert "=" not in cursor
    assert decode_cursor(cursor, 2) == ["草厂社区", 42]
