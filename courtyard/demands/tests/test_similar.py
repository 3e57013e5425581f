"""Similar demands (demands.similar): Chinese text by character bigrams, the community and
category bounds, the candidate cap, and the partial that lists them without personal data."""

from __future__ import annotations

from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone, translation

from conftest import City, Personas
from courtyard.demands import actions, similar
from courtyard.demands.models import Demand, ServiceCategory, Status
from courtyard.demands.similar import (
    SimilarRow,
    bigrams,
    community_path,
    jaccard,
    normalize,
    similar_demands,
    similar_for,
)
from courtyard.demands.tests.conftest import Catalogue
from courtyard.places.actions import create_place
from courtyard.places.models import Place, PlaceKind

LAMP = "小区东门路灯坏了三天"
LAMP_AGAIN = "东门的路灯不亮了"
CLUTTER = "楼道堆放杂物"


@pytest.fixture
def manhole(catalogue: Catalogue) -> ServiceCategory:
    """A sibling of 路灯不亮 under 市政设施."""
    assert catalogue.streetlight.parent is not None
    return ServiceCategory.objects.create(
        parent=catalogue.streetlight.parent, service_code="manhole", name="井盖缺失"
    )


def raise_at(place: Place, category: ServiceCategory, text: str, by: Any = None) -> Demand:
    return actions.submit_demand(
        by=by,
        channel="web",
        place=place,
        category=category,
        description=text,
        requester=by,
        requester_name="王秀兰",
        requester_phone="13800138000",
    )


def found(pairs: list[tuple[Demand, float]]) -> list[tuple[int, float]]:
    return [(d.pk, score) for d, score in pairs]


# ── The text measure ───────────────────────────────────────────────────────────────────────


def test_normalize_keeps_letters_and_digits_lowercased_without_particles() -> None:
    assert normalize(" 东门的路灯，不亮了！ ") == "东门路灯不亮"
    assert normalize("Street-light OUT, No. ３") == "streetlightoutno3"
    assert normalize("") == ""


def test_chinese_is_cut_into_character_pairs_not_words() -> None:
    assert bigrams(LAMP) == {"小区", "区东", "东门", "门路", "路灯", "灯坏", "坏三", "三天"}
    assert bigrams(LAMP_AGAIN) == {"东门", "门路", "路灯", "灯不", "不亮"}
    assert bigrams("灯") == {"灯"}
    assert bigrams("，。 ") == frozenset()


def test_jaccard_of_the_examples() -> None:
    assert jaccard(bigrams(LAMP), bigrams(LAMP_AGAIN)) == pytest.approx(3 / 10)
    assert jaccard(bigrams(LAMP), bigrams(CLUTTER)) == 0.0
    assert jaccard(frozenset(), frozenset()) == 0.0


def test_the_community_of_a_place(city: City) -> None:
    assert community_path(city.courtyard) == city.community.path
    assert community_path(city.community) == city.community.path
    assert community_path(city.street) == city.street.path


# ── Which demands are similar ─────────────────────────────────────────────────────────────


def test_the_same_lamp_in_other_words_is_similar_and_clutter_is_not(
    city: City, catalogue: Catalogue
) -> None:
    lamp = raise_at(city.courtyard, catalogue.streetlight, LAMP_AGAIN)
    raise_at(city.courtyard, catalogue.streetlight, CLUTTER)
    result = similar_demands(text=LAMP, place=city.courtyard, category=catalogue.streetlight)
    # 3/10 of the pairs shared, + 0.1 same place, + 0.1 same category
    assert found(result) == [(lamp.pk, 0.5)]


def test_same_place_and_category_alone_never_make_a_match(city: City, catalogue: Catalogue) -> None:
    raise_at(city.courtyard, catalogue.streetlight, CLUTTER)
    assert similar_demands(text=LAMP, place=city.courtyard, category=catalogue.streetlight) == []


def test_a_sibling_category_elsewhere_in_the_community_needs_the_text_alone(
    city: City, catalogue: Catalogue, manhole: ServiceCategory
) -> None:
    same_text = raise_at(city.community, manhole, LAMP)
    raise_at(city.community, manhole, LAMP_AGAIN)  # 0.3, no bonus: on the threshold
    weaker = raise_at(city.community, manhole, "东门路灯坏了")  # 东门 门路 路灯 灯坏 of 8
    result = similar_demands(text=LAMP, place=city.courtyard, category=catalogue.streetlight)
    assert found(result)[:1] == [(same_text.pk, 1.0)]
    assert (weaker.pk, 0.5) in found(result)
    assert len(result) == 3


def test_an_unrelated_category_never_appears(city: City, catalogue: Catalogue) -> None:
    raise_at(city.courtyard, catalogue.water, LAMP)
    assert similar_demands(text=LAMP, place=city.courtyard, category=catalogue.streetlight) == []


def test_demands_of_another_community_never_appear(city: City, catalogue: Catalogue) -> None:
    raise_at(city.sibling, catalogue.streetlight, LAMP)
    raise_at(city.far_community, catalogue.streetlight, LAMP)
    nearby = raise_at(city.community, catalogue.streetlight, LAMP)
    result = similar_demands(text=LAMP, place=city.courtyard, category=catalogue.streetlight)
    assert found(result) == [(nearby.pk, 1.1)]


def test_a_place_above_the_community_looks_within_itself(city: City, catalogue: Catalogue) -> None:
    sibling = raise_at(city.sibling, catalogue.streetlight, LAMP)
    here = raise_at(city.courtyard, catalogue.streetlight, LAMP)
    raise_at(city.far_community, catalogue.streetlight, LAMP)
    result = similar_demands(text=LAMP, place=city.street, category=catalogue.streetlight)
    assert found(result) == [(here.pk, 1.1), (sibling.pk, 1.1)]  # newest first on a tie


def test_only_open_demands_count(city: City, catalogue: Catalogue, personas: Personas) -> None:
    answered = raise_at(city.courtyard, catalogue.streetlight, LAMP)
    actions.answer_demand(answered, by=personas.here, answer="已修好")
    primary = raise_at(city.courtyard, catalogue.streetlight, LAMP_AGAIN)
    merged = raise_at(city.courtyard, catalogue.streetlight, LAMP)
    actions.merge_demand(merged, by=personas.here, primary=primary)
    assert Demand.objects.get(pk=merged.pk).status == Status.MERGED
    result = similar_demands(text=LAMP, place=city.courtyard, category=catalogue.streetlight)
    assert found(result) == [(primary.pk, 0.5)]


def test_the_demand_itself_is_left_out(city: City, catalogue: Catalogue) -> None:
    demand = raise_at(city.courtyard, catalogue.streetlight, LAMP)
    other = raise_at(city.courtyard, catalogue.streetlight, LAMP_AGAIN)
    result = similar_demands(
        text=demand.description,
        place=demand.place,
        category=demand.category,
        exclude_id=demand.pk,
    )
    assert found(result) == [(other.pk, 0.5)]


def test_most_similar_first_and_at_most_limit(city: City, catalogue: Catalogue) -> None:
    weaker = raise_at(city.courtyard, catalogue.streetlight, LAMP_AGAIN)
    best = raise_at(city.courtyard, catalogue.streetlight, LAMP)
    newer_best = raise_at(city.courtyard, catalogue.streetlight, f"{LAMP}。")
    kw = {"text": LAMP, "place": city.courtyard, "category": catalogue.streetlight}
    assert found(similar_demands(**kw)) == [(newer_best.pk, 1.2), (best.pk, 1.2), (weaker.pk, 0.5)]
    assert found(similar_demands(**kw, limit=2)) == [(newer_best.pk, 1.2), (best.pk, 1.2)]
    assert similar_demands(**kw, limit=0) == []


def test_an_empty_text_finds_nothing_and_asks_nothing(
    city: City, catalogue: Catalogue, django_assert_num_queries: Any
) -> None:
    raise_at(city.courtyard, catalogue.streetlight, LAMP)
    with django_assert_num_queries(0):
        assert (
            similar_demands(text=" ，", place=city.courtyard, category=catalogue.streetlight) == []
        )


def test_at_most_300_candidates_newest_first_in_one_query(
    city: City, catalogue: Catalogue, django_assert_num_queries: Any
) -> None:
    oldest_match = raise_at(city.courtyard, catalogue.streetlight, LAMP)
    now = timezone.now()
    Demand.objects.bulk_create(
        Demand(
            channel="web",
            place=city.courtyard,
            place_path=city.courtyard.path,
            category=catalogue.streetlight,
            feedback_class=catalogue.streetlight.feedback_class,
            description=CLUTTER,
            public_summary="路灯不亮",
            submitted_at=now,
        )
        for _ in range(similar.CANDIDATES - 1)
    )
    kw = {"text": LAMP, "place": city.courtyard, "category": catalogue.streetlight}
    with django_assert_num_queries(1):
        assert found(similar_demands(**kw)) == [(oldest_match.pk, 1.2)]  # the 300th
    raise_at(city.courtyard, catalogue.water, CLUTTER)  # another category: not a candidate
    raise_at(city.sibling, catalogue.streetlight, CLUTTER)  # another community: neither
    assert found(similar_demands(**kw)) == [(oldest_match.pk, 1.2)]
    raise_at(city.courtyard, catalogue.streetlight, CLUTTER)  # the 301st pushes it out
    with django_assert_num_queries(1):
        assert similar_demands(**kw) == []


def test_a_demand_raised_under_a_grid_is_in_its_community(city: City, catalogue: Catalogue) -> None:
    grid = create_place(
        by=None, parent=city.community, kind=PlaceKind.GRID, code="G-1", name="第一网格"
    )
    in_grid = raise_at(grid, catalogue.streetlight, LAMP)
    result = similar_demands(text=LAMP, place=city.courtyard, category=catalogue.streetlight)
    assert found(result) == [(in_grid.pk, 1.1)]


# ── For a page: links only where the viewer may look ─────────────────────────────────────


def test_a_phone_number_cannot_be_probed_through_a_neighbour_s_demand(
    city: City, catalogue: Catalogue, personas: Personas
) -> None:
    raise_at(
        city.sibling, catalogue.streetlight, "我是3号楼502的王芳，电话13912345678。楼道路灯坏了"
    )
    for probe in ("13912345678", "3号楼502王芳", "13800001111"):
        rows = similar_for(personas.resident, text=probe, place=city.sibling,
                           category=catalogue.water)  # fmt: skip
        assert rows == []


def test_the_resident_sees_a_neighbour_s_demand_without_a_link(
    city: City, catalogue: Catalogue, personas: Personas, django_assert_num_queries: Any
) -> None:
    mine = raise_at(city.courtyard, catalogue.streetlight, LAMP, by=personas.resident)
    neighbour = raise_at(city.courtyard, catalogue.streetlight, LAMP_AGAIN)
    kw = {"text": LAMP, "place": city.courtyard, "category": catalogue.streetlight}
    with django_assert_num_queries(3):  # candidates, the viewer's staff scope, visible ids
        rows = similar_for(personas.resident, **kw)
    # The neighbour's words are not compared (they are private): her demand shows because it
    # is open, at the same place and in the same category — public facts — and ranks last.
    assert [(r.demand.pk, r.score, r.linked) for r in rows] == [
        (mine.pk, 1.2, True),
        (neighbour.pk, 0.2, False),
    ]
    assert [r.linked for r in similar_for(personas.here, **kw)] == [True, True]
    assert [r.linked for r in similar_for(personas.sibling, **kw)] == [False, False]
    assert [r.linked for r in similar_for(None, **kw)] == [False, False]


def test_nothing_similar_costs_two_queries(
    city: City, catalogue: Catalogue, personas: Personas, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(2):  # the viewer's staff scope (once a request), candidates
        assert similar_for(personas.here, text=LAMP, place=city.courtyard,
                           category=catalogue.streetlight) == []  # fmt: skip


def test_the_partial_shows_summary_status_and_link_but_nothing_personal(
    city: City, catalogue: Catalogue, personas: Personas
) -> None:
    linked = raise_at(city.courtyard, catalogue.streetlight, LAMP)
    plain = raise_at(city.courtyard, catalogue.streetlight, LAMP_AGAIN)
    plain.public_summary = '<script>alert("x")</script>'
    request = RequestFactory().get("/")
    with translation.override("en"):
        html = render_to_string(
            "demands/_similar.html",
            {"similar": [SimilarRow(linked, 1.2, True), SimilarRow(plain, 0.5, False)]},
            request=request,
        )
    assert f'<a href="/demands/{linked.pk}/">#{linked.pk} 路灯不亮 · 草厂三条12号院</a>' in html
    assert f'data-similar="{plain.pk}"' in html
    assert f'href="/demands/{plain.pk}/"' not in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert html.count('<span class="muted">· submitted</span>') == 2
    for personal in ("王秀兰", "13800138000", LAMP, LAMP_AGAIN):
        assert personal not in html


def test_the_partial_is_empty_without_similar_demands() -> None:
    assert render_to_string("demands/_similar.html", {"similar": []}).strip() == ""


def test_the_demand_page_shows_likely_duplicates_to_staff_only(
    city, personas, catalogue, client_for
):
    from courtyard.demands import actions

    def raise_(text: str):  # type: ignore[no-untyped-def]
        return actions.submit_demand(
            by=personas.resident, channel="web", place=city.courtyard,
            category=catalogue.streetlight, description=text, requester=personas.resident,
        )  # fmt: skip

    first = raise_("小区东门路灯坏了三天")
    second = raise_("东门的路灯不亮了")
    staff_page = client_for(personas.here).get(f"/demands/{second.pk}/").content.decode()
    assert f'data-similar="{first.pk}"' in staff_page
    own_page = client_for(personas.resident).get(f"/demands/{second.pk}/").content.decode()
    assert "data-similar" not in own_page
