"""Staff pages: the triage queue and its bulk actions, recording on someone's behalf, the
unit inbox and the street's extension requests — exact contents per persona, bad input,
and a fixed number of queries at two sizes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import City, Personas, make_user
from courtyard.core.models import AuditEvent
from courtyard.demands import actions
from courtyard.demands.forms_staff import BULK_MAX, DEFAULT_ANSWER_TEMPLATES
from courtyard.demands.models import Demand, Responsibility, ServiceCategory, Status
from courtyard.demands.tests.conftest import Catalogue
from courtyard.demands.views_staff import mask_phone
from courtyard.people import actions as people_actions
from courtyard.people.models import RoleKind
from courtyard.places.actions import create_place
from courtyard.places.models import PlaceKind

MISSING = 999_999
XSS = '<script>alert("x")</script><svg onload=alert(1)>'


@dataclass
class Desk:
    city: City
    personas: Personas
    catalogue: Catalogue
    waiting: Demand  # submitted in a 草厂 courtyard by the resident (streetlight)
    accepted: Demand  # taken by phone in 草厂, accepted (water)
    sibling: Demand  # submitted in the sibling community
    far: Demand  # submitted in the other district
    with_department: Demand  # 草厂, dispatched to the department the handler also handles
    with_unit: Demand  # 草厂, dispatched by hand to the 草厂 unit, signed for
    contacted: Demand  # 草厂, with the unit, requester contacted, an extension asked
    answered: Demand  # 草厂, answered directly


def raise_demand(desk_city: City, by: Any, place: Any, category: Any, **kw: Any) -> Demand:
    kw.setdefault("channel", "web")
    kw.setdefault("description", "路灯不亮")
    return actions.submit_demand(by=by, place=place, category=category, **kw)


@pytest.fixture
def desk(city: City, personas: Personas, catalogue: Catalogue) -> Desk:
    p, c = personas, catalogue
    waiting = raise_demand(
        city, p.resident, city.courtyard, c.streetlight, requester=p.resident,
        description="胡同口路灯不亮三天了",
    )  # fmt: skip
    accepted = raise_demand(
        city, p.here, city.community, c.water, channel="phone",
        requester_name="王先生", requester_phone="13900001111", description="整栋楼停水",
    )  # fmt: skip
    actions.accept_demand(accepted, by=p.here)
    sibling = raise_demand(
        city, p.sibling, city.sibling, c.streetlight, channel="walk_in",
        requester_name="赵女士", requester_phone="13700002222",
    )  # fmt: skip
    far = raise_demand(
        city, None, city.far_community, c.streetlight, requester_name="钱先生",
        requester_phone="13600003333",
    )  # fmt: skip
    with_department = raise_demand(
        city, p.here, city.courtyard, c.streetlight, requester_name="孙女士",
        requester_phone="13500004444",
    )  # fmt: skip
    actions.dispatch_demand(with_department, by=p.here)
    with_unit = raise_demand(
        city, p.here, city.community, c.water, requester_name="周先生",
        requester_phone="13400005555",
    )  # fmt: skip
    actions.dispatch_demand(with_unit, by=p.here, organization=city.unit)
    actions.sign_demand(with_unit, by=p.handler)
    contacted = raise_demand(
        city, p.here, city.community, c.water, requester_name="吴女士",
        requester_phone="13300006666",
    )  # fmt: skip
    contacted = actions.dispatch_demand(contacted, by=p.here, organization=city.unit)
    actions.sign_demand(contacted, by=p.handler)
    contacted = actions.contact_requester(contacted, by=p.handler)
    assert contacted.feedback_due_at is not None
    actions.request_extension(
        contacted,
        by=p.handler,
        until=contacted.feedback_due_at + timedelta(days=3),
        reason="需要协调供水公司",
    )
    answered = raise_demand(city, p.resident, city.courtyard, c.water, requester=p.resident)
    actions.answer_demand(answered, by=p.here, answer="已电话答复")
    refresh = Demand.objects.get
    return Desk(
        city, personas, catalogue, refresh(pk=waiting.pk), refresh(pk=accepted.pk),
        refresh(pk=sibling.pk), refresh(pk=far.pk), refresh(pk=with_department.pk),
        refresh(pk=with_unit.pk), refresh(pk=contacted.pk), refresh(pk=answered.pk),
    )  # fmt: skip


def listed(response: Any) -> list[int]:
    """The demand ids a list page shows, in order."""
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'data-demand="(\d+)"', response.content.decode())]


def english(client: Client) -> Client:
    client.cookies.load({settings.LANGUAGE_COOKIE_NAME: "en"})
    return client


def flashed(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def snapshot() -> list[tuple[Any, ...]]:
    return list(Demand.objects.order_by("pk").values_list())


# ── The triage queue ──────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("here", ["accepted", "waiting"]),
        ("above", ["sibling", "accepted", "waiting"]),
        ("sibling", ["sibling"]),
    ],
)
def test_triage_lists_the_waiting_demands_within_the_persona_s_places(
    persona: str, expected: list[str], desk: Desk, client_for: Any
) -> None:
    response = client_for(getattr(desk.personas, persona)).get("/demands/triage/")
    assert listed(response) == [getattr(desk, name).pk for name in expected]


@pytest.mark.parametrize("persona", ["resident", "handler", "stranger"])
def test_triage_is_missing_for_those_without_a_staff_role(
    persona: str, desk: Desk, client_for: Any
) -> None:
    assert client_for(getattr(desk.personas, persona)).get("/demands/triage/").status_code == 404


def test_triage_asks_the_anonymous_visitor_to_log_in(desk: Desk) -> None:
    response = Client().get("/demands/triage/")
    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/login/?next=/demands/triage/",
    )


def test_triage_shows_the_requester_with_a_masked_phone(desk: Desk, client_for: Any) -> None:
    html = client_for(desk.personas.here).get("/demands/triage/").content.decode()
    assert "王秀兰" in html and "138****8000" in html
    assert "王先生" in html and "139****1111" in html
    assert "13800138000" not in html and "13900001111" not in html
    assert "胡同口路灯不亮三天了" in html


def test_masked_phone_keeps_only_the_ends() -> None:
    assert [mask_phone(p) for p in ("13800138000", "1234567", "")] == ["138****8000", "****", ""]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=dispatched", ["with_department"]),
        ("status=signed", ["with_unit"]),
        ("status=answered", ["answered"]),
        ("status=open", ["contacted", "with_unit", "with_department", "accepted", "waiting"]),
        ("status=submitted", ["waiting"]),
        ("category={water}", ["accepted"]),
        ("category={infra}&status=open", ["with_department", "waiting"]),  # its children too
        ("place={courtyard}&status=open", ["with_department", "waiting"]),
        ("place={community}", ["accepted", "waiting"]),
    ],
)
def test_triage_filters(query: str, expected: list[str], desk: Desk, client_for: Any) -> None:
    ids = {
        "water": desk.catalogue.water.pk,
        "infra": ServiceCategory.objects.get(service_code="infra").pk,
        "courtyard": desk.city.courtyard.pk,
        "community": desk.city.community.pk,
    }
    response = client_for(desk.personas.here).get(f"/demands/triage/?{query.format(**ids)}")
    assert listed(response) == [getattr(desk, name).pk for name in expected]


def test_triage_overdue_filter_shows_only_late_open_demands(desk: Desk, client_for: Any) -> None:
    late = raise_demand(desk.city, desk.personas.here, desk.city.courtyard, desk.catalogue.water)
    actions.dispatch_demand(late, by=desk.personas.here, now=timezone.now() - timedelta(days=3))
    client = client_for(desk.personas.here)
    assert listed(client.get("/demands/triage/?status=open&overdue=on")) == [late.pk]
    assert "overdue" in client.get("/demands/triage/?status=open&overdue=on").content.decode()


def test_street_officer_narrows_the_queue_to_one_community(desk: Desk, client_for: Any) -> None:
    response = client_for(desk.personas.above).get(f"/demands/triage/?place={desk.city.sibling.pk}")
    assert listed(response) == [desk.sibling.pk]


@pytest.mark.parametrize("place", ["sibling", "far_community", "missing"])
def test_a_place_outside_the_scope_is_refused_like_a_missing_one(
    place: str, desk: Desk, client_for: Any
) -> None:
    """The filter is ignored with a message, whether the place exists elsewhere or not."""
    pk = MISSING if place == "missing" else getattr(desk.city, place).pk
    response = english(client_for(desk.personas.here)).get(f"/demands/triage/?place={pk}")
    assert listed(response) == [desk.accepted.pk, desk.waiting.pk]
    assert "Some filters were not understood and were ignored." in response.content.decode()
    assert response.context["form"].errors == {
        "place": ["Choose one of the places you administer."]
    }


def test_junk_filters_are_ignored_and_never_reflected(desk: Desk, client_for: Any) -> None:
    response = client_for(desk.personas.here).get(
        "/demands/triage/",
        {"status": XSS, "category": "1 OR 1=1", "place": "abc", "overdue": XSS, "order": "pk"},
    )
    assert listed(response) == [desk.accepted.pk, desk.waiting.pk]
    assert set(response.context["form"].errors) == {"status", "category", "place"}
    assert "<script>" not in response.content.decode()


def test_triage_pages_newest_first_with_a_cursor(
    desk: Desk, client_for: Any, settings: Any
) -> None:
    settings.PAGE_SIZE = 2
    more = [
        raise_demand(desk.city, desk.personas.here, desk.city.community, desk.catalogue.water).pk
        for _ in range(3)
    ]
    client = client_for(desk.personas.here)
    first = client.get("/demands/triage/")
    assert listed(first) == [more[2], more[1]]
    cursor = first.context["page"].next_cursor
    second = client.get(f"/demands/triage/?cursor={cursor}", headers={"HX-Request": "true"})
    assert listed(second) == [more[0], desk.accepted.pk]
    assert next(t.name for t in second.templates) == "demands/_staff_triage_rows.html"
    third = client.get(f"/demands/triage/?cursor={second.context['page'].next_cursor}")
    assert listed(third) == [desk.waiting.pk]
    assert third.context["page"].next_cursor is None


def test_a_forged_cursor_is_a_clear_400(desk: Desk, client_for: Any) -> None:
    response = client_for(desk.personas.here).get("/demands/triage/?cursor=WyJ4Il0")
    assert response.status_code == 400


def test_triage_offers_the_standard_answers(desk: Desk, client_for: Any) -> None:
    html = client_for(desk.personas.here).get("/demands/triage/").content.decode()
    for item in DEFAULT_ANSWER_TEMPLATES:
        assert f'<option value="{item["code"]}">{item["zh"]}</option>' in html


def test_triage_reads_the_standard_answers_from_settings(
    desk: Desk, client_for: Any, settings: Any
) -> None:
    settings.DEMANDS = {"ANSWER_TEMPLATES": [{"code": "x", "zh": "自定义答复", "en": "Custom"}]}
    html = client_for(desk.personas.here).get("/demands/triage/").content.decode()
    assert '<option value="x">自定义答复</option>' in html
    assert DEFAULT_ANSWER_TEMPLATES[0]["zh"] not in html


def test_requester_names_are_escaped(desk: Desk, client_for: Any) -> None:
    raise_demand(
        desk.city, desk.personas.here, desk.city.community, desk.catalogue.water,
        requester_name=XSS[:100], description=XSS, address=XSS,
    )  # fmt: skip
    html = client_for(desk.personas.here).get("/demands/triage/").content.decode()
    assert "<script>" not in html and "<svg" not in html
    assert "&lt;script&gt;" in html


# ── Bulk actions ──────────────────────────────────────────────────────────────────────────


def bulk(client: Client, action: str, ids: list[Any], **extra: Any) -> Any:
    return client.post("/demands/triage/bulk/", {"action": action, "ids": ids, **extra})


def test_bulk_accept_reports_each_refusal_and_does_the_rest(desk: Desk, client_for: Any) -> None:
    untouched = {d.pk: d for d in (desk.accepted, desk.sibling, desk.far)}
    before = {pk: Demand.objects.filter(pk=pk).values().get() for pk in untouched}
    events = AuditEvent.objects.count()
    ids = [desk.waiting.pk, desk.accepted.pk, desk.sibling.pk, desk.far.pk, MISSING]
    response = bulk(client_for(desk.personas.here), "accept", ids)

    assert (response.status_code, response["Location"]) == (302, "/demands/triage/")
    assert len(flashed(response)) == 3  # done, one refusal, not found (worded below)
    assert Demand.objects.get(pk=desk.waiting.pk).status == Status.ACCEPTED
    assert {pk: Demand.objects.filter(pk=pk).values().get() for pk in untouched} == before
    assert AuditEvent.objects.count() == events + 1
    assert AuditEvent.objects.latest("pk").verb == "accept_demand"


def test_bulk_messages_name_each_refused_id(desk: Desk, client_for: Any) -> None:
    client = client_for(desk.personas.here)
    english(client)
    ids = [desk.waiting.pk, desk.accepted.pk, desk.sibling.pk, MISSING]
    response = bulk(client, "accept", ids)
    assert flashed(response) == [
        "1 demand accepted.",
        f"#{desk.accepted.pk}: This demand is accepted: that step is not possible now.",
        "2 demands were not found.",
    ]


def test_bulk_dispatch_follows_the_responsibility_table(desk: Desk, client_for: Any) -> None:
    client = client_for(desk.personas.here)
    english(client)
    response = bulk(client, "dispatch", [desk.waiting.pk, desk.accepted.pk])
    assert flashed(response) == ["2 demands dispatched."]
    waiting, accepted = (Demand.objects.get(pk=d.pk) for d in (desk.waiting, desk.accepted))
    assert (waiting.status, waiting.assignee) == (Status.DISPATCHED, desk.catalogue.department)
    assert (accepted.status, accepted.assignee) == (Status.DISPATCHED, desk.catalogue.fallback)


def test_bulk_dispatch_without_a_responsible_unit_is_refused_per_demand(
    desk: Desk, client_for: Any
) -> None:
    Responsibility.objects.filter(category__isnull=True).delete()  # no district fallback
    client = client_for(desk.personas.here)
    english(client)
    before = Demand.objects.filter(pk=desk.accepted.pk).values().get()
    response = bulk(client, "dispatch", [desk.waiting.pk, desk.accepted.pk])
    assert flashed(response) == [
        "1 demand dispatched.",
        f"#{desk.accepted.pk}: No unit answers for this category here, and the district has no "
        "fallback: choose the unit by hand.",
    ]
    assert Demand.objects.get(pk=desk.waiting.pk).assignee == desk.catalogue.department
    assert Demand.objects.filter(pk=desk.accepted.pk).values().get() == before
    assert not AuditEvent.objects.filter(verb="dispatch_demand", target_id=desk.accepted.pk)


def test_bulk_answer_uses_the_standard_answer_when_the_text_is_empty(
    desk: Desk, client_for: Any
) -> None:
    client = client_for(desk.personas.here)
    bulk(client, "answer", [desk.waiting.pk], answer="", template="office-hours")
    waiting = Demand.objects.get(pk=desk.waiting.pk)
    assert (waiting.status, waiting.answer) == (
        Status.ANSWERED,
        DEFAULT_ANSWER_TEMPLATES[1]["zh"],
    )
    bulk(client, "answer", [desk.accepted.pk], answer="  水务公司今晚恢复供水  ", template="policy")
    assert Demand.objects.get(pk=desk.accepted.pk).answer == "水务公司今晚恢复供水"


def test_bulk_answer_in_english_uses_the_english_text(desk: Desk, client_for: Any) -> None:
    client = client_for(desk.personas.here)
    english(client)
    bulk(client, "answer", [desk.waiting.pk], template="policy")
    assert Demand.objects.get(pk=desk.waiting.pk).answer == DEFAULT_ANSWER_TEMPLATES[2]["en"]


@pytest.mark.parametrize(
    "data",
    [
        {"action": "answer", "ids": ["{waiting}"], "answer": "", "template": ""},
        {"action": "answer", "ids": ["{waiting}"], "template": "no-such-template"},
        {"action": "delete", "ids": ["{waiting}"]},
        {"action": "accept", "ids": []},
        {"action": "accept", "ids": ["abc"]},
        {"action": "accept", "ids": ["{waiting}", "-1"]},
        {"action": "accept", "ids": [str(i) for i in range(1, BULK_MAX + 2)]},
        {"action": "accept", "ids": ["١٢"]},  # Arabic-Indic digits are not ids
    ],
    ids=[
        "no-answer",
        "unknown-template",
        "unknown-action",
        "none-ticked",
        "junk-id",
        "negative-id",
        "too-many",
        "non-ascii-digits",
    ],
)
def test_bad_bulk_requests_are_400_and_change_nothing(
    data: dict[str, Any], desk: Desk, client_for: Any
) -> None:
    data = {**data, "ids": [i.format(waiting=desk.waiting.pk) for i in data["ids"]]}
    before, events = snapshot(), AuditEvent.objects.count()
    response = client_for(desk.personas.here).post("/demands/triage/bulk/", data)
    assert response.status_code == 400
    assert (snapshot(), AuditEvent.objects.count()) == (before, events)


def test_a_sibling_worker_s_bulk_action_counts_caochang_as_not_found(
    desk: Desk, client_for: Any
) -> None:
    client = client_for(desk.personas.sibling)
    english(client)
    before, events = snapshot(), AuditEvent.objects.count()
    response = bulk(client, "accept", [desk.waiting.pk])
    assert flashed(response) == ["1 demand was not found."]
    assert (snapshot(), AuditEvent.objects.count()) == (before, events)


def test_the_street_officer_triages_both_communities(desk: Desk, client_for: Any) -> None:
    client = client_for(desk.personas.above)
    english(client)
    response = bulk(client, "accept", [desk.waiting.pk, desk.sibling.pk, desk.far.pk])
    assert flashed(response) == ["2 demands accepted.", "1 demand was not found."]
    assert Demand.objects.get(pk=desk.far.pk).status == Status.SUBMITTED


def test_bulk_returns_to_the_filtered_queue_but_never_off_site(desk: Desk, client_for: Any) -> None:
    client = client_for(desk.personas.here)
    back = bulk(client, "accept", [desk.waiting.pk], next="/demands/triage/?status=open")
    assert back["Location"] == "/demands/triage/?status=open"
    away = bulk(client, "accept", [desk.accepted.pk], next="https://evil.example/")
    assert away["Location"] == "/demands/triage/"


# ── Recording a demand for someone ────────────────────────────────────────────────────────


def record_data(desk: Desk, **overrides: Any) -> dict[str, Any]:
    data = {
        "channel": "phone",
        "requester_name": "刘大爷",
        "requester_phone": "139-0000-7777",
        "place": desk.city.courtyard.code,
        "category": desk.catalogue.streetlight.pk,
        "description": "院门口路灯坏了",
        "address": "草厂三条12号",
        "key": "0123456789abcdef0123456789abcdef",
    }
    data.update(overrides)
    return data


def test_a_worker_records_a_phone_demand_for_a_resident(desk: Desk, client_for: Any) -> None:
    client = english(client_for(desk.personas.here))
    response = client.post("/demands/record/", record_data(desk))
    assert (response.status_code, response["Location"]) == (302, "/demands/triage/")
    demand = Demand.objects.latest("pk")
    assert (
        demand.channel, demand.requester_name, demand.requester_phone, demand.requester,
        demand.recorded_by, demand.place, demand.category, demand.address, demand.status,
    ) == (
        "phone", "刘大爷", "13900007777", None, desk.personas.here, desk.city.courtyard,
        desk.catalogue.streetlight, "草厂三条12号", Status.SUBMITTED,
    )  # fmt: skip
    assert re.fullmatch(
        rf"staff-{desk.personas.here.pk}-[0-9a-f]{{40}}", demand.idempotency_key or ""
    )
    assert AuditEvent.objects.filter(verb="submit_demand", target_id=str(demand.pk)).count() == 1
    assert flashed(response) == [f"Demand #{demand.pk} is recorded."]


def test_the_same_form_sent_twice_records_once(desk: Desk, client_for: Any) -> None:
    client = client_for(desk.personas.here)
    client.post("/demands/record/", record_data(desk))
    count = Demand.objects.count()
    assert client.post("/demands/record/", record_data(desk)).status_code == 302
    assert Demand.objects.count() == count


def test_the_same_form_changed_after_going_back_records_the_new_demand(
    desk: Desk, client_for: Any
) -> None:
    client = client_for(desk.personas.here)
    client.post("/demands/record/", record_data(desk))
    count = Demand.objects.count()
    client.post("/demands/record/", record_data(desk, description="另一盏路灯也坏了"))
    assert Demand.objects.count() == count + 1
    assert Demand.objects.latest("pk").description == "另一盏路灯也坏了"


def test_two_workers_never_share_a_recorded_demand(desk: Desk, client_for: Any) -> None:
    client_for(desk.personas.here).post("/demands/record/", record_data(desk))
    count = Demand.objects.count()
    client_for(desk.personas.above).post("/demands/record/", record_data(desk))
    assert Demand.objects.count() == count + 1
    assert Demand.objects.latest("pk").recorded_by == desk.personas.above


def test_the_form_carries_a_fresh_one_time_key(desk: Desk, client_for: Any) -> None:
    client = client_for(desk.personas.here)
    keys = [
        re.search(
            r'name="key" value="([0-9a-f]{32})"', client.get("/demands/record/").content.decode()
        )
        for _ in range(2)
    ]
    assert all(keys) and keys[0].group(1) != keys[1].group(1)  # type: ignore[union-attr]


def test_a_walk_in_needs_no_phone(desk: Desk, client_for: Any) -> None:
    data = record_data(desk, channel="walk_in", requester_phone="", requester_name="")
    response = client_for(desk.personas.above).post("/demands/record/", data)
    assert response.status_code == 302
    demand = Demand.objects.latest("pk")
    assert (demand.channel, demand.requester_phone, demand.recorded_by) == (
        "walk_in",
        "",
        desk.personas.above,
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"requester_phone": ""}, "requester_phone"),
        ({"requester_phone": "call me maybe"}, "requester_phone"),
        ({"place": "{sibling}"}, "place"),
        ({"place": "{far}"}, "place"),
        ({"place": "000000000000"}, "place"),
        ({"place": ""}, "place"),
        ({"category": MISSING}, "category"),
        ({"category": "abc"}, "category"),
        ({"category": "{inactive}"}, "category"),
        ({"channel": "web"}, "channel"),
        ({"channel": "hotline"}, "channel"),
        ({"description": ""}, "description"),
        ({"description": "长" * 100_000}, "description"),
        ({"key": "../../etc"}, "key"),
    ],
    ids=[
        "phone-without-phone",
        "phone-not-digits",
        "place-in-sibling",
        "place-in-other-district",
        "place-unknown",
        "place-empty",
        "category-unknown",
        "category-junk",
        "category-inactive",
        "channel-web",
        "channel-hotline",
        "description-empty",
        "description-100k",
        "key-junk",
    ],
)
def test_bad_records_are_400_and_store_nothing(
    overrides: dict[str, Any], field: str, desk: Desk, client_for: Any
) -> None:
    inactive = ServiceCategory.objects.create(service_code="old", name="旧类别", is_active=False)
    codes = {
        "sibling": desk.city.sibling.code,
        "far": desk.city.far_community.code,
        "inactive": inactive.pk,
    }
    data = record_data(
        desk, **{k: v.format(**codes) if isinstance(v, str) else v for k, v in overrides.items()}
    )
    before, events = snapshot(), AuditEvent.objects.count()
    response = client_for(desk.personas.here).post("/demands/record/", data)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert (snapshot(), AuditEvent.objects.count()) == (before, events)


def test_a_place_elsewhere_reads_exactly_like_an_unknown_code(desk: Desk, client_for: Any) -> None:
    client = client_for(desk.personas.here)
    elsewhere = client.post("/demands/record/", record_data(desk, place=desk.city.sibling.code))
    unknown = client.post("/demands/record/", record_data(desk, place="000000000000"))
    assert elsewhere.context["form"].errors == unknown.context["form"].errors


def test_the_record_form_finds_places_within_the_scope_only(desk: Desk, client_for: Any) -> None:
    client = client_for(desk.personas.here)
    found = client.get("/demands/record/?find=草厂")
    assert [p.code for p in found.context["places"]] == [
        desk.city.community.code,
        desk.city.courtyard.code,
    ]
    assert client.get("/demands/record/?find=大栅栏").context["places"] == []
    assert (
        client.get(f"/demands/record/?find={desk.city.far_community.code}").context["places"] == []
    )
    default = client.get("/demands/record/").context["places"]
    assert [p.code for p in default] == [desk.city.community.code]  # no buildings by default
    assert '<datalist id="place-options">' in found.content.decode()


def test_the_record_form_offers_only_active_categories(desk: Desk, client_for: Any) -> None:
    ServiceCategory.objects.create(service_code="old", name="旧类别", is_active=False)
    form = english(client_for(desk.personas.here)).get("/demands/record/").context["form"]
    assert [str(label) for _pk, label in form.fields["category"].choices] == [
        "Choose a category",
        "No water",
        "Public works",
        "Public works › Street light out",
    ]
    form = client_for(desk.personas.here).get("/demands/record/").context["form"]
    assert [str(label) for _pk, label in form.fields["category"].choices][1:] == [
        "停水",
        "市政设施",
        "市政设施 › 路灯不亮",
    ]


SCOPE_QUESTION = {
    "code": "scope",
    "datatype": "singlevaluelist",
    "required": True,
    "description": "影响范围",
    "description_en": "How far does it reach?",
    "values": [
        {"key": "home", "name": "仅本户", "name_en": "only my home"},
        {"key": "building", "name": "整栋楼", "name_en": "the whole building"},
    ],
}
FLOOR_QUESTION = {"code": "floor", "datatype": "number", "description": "楼层"}


def test_a_category_s_extra_questions_are_asked_before_recording(
    desk: Desk, client_for: Any
) -> None:
    ServiceCategory.objects.filter(pk=desk.catalogue.water.pk).update(
        attributes=[SCOPE_QUESTION, FLOOR_QUESTION]
    )
    client = english(client_for(desk.personas.here))
    data = record_data(desk, category=desk.catalogue.water.pk)
    before = snapshot()
    asked = client.post("/demands/record/", data)
    assert asked.status_code == 400 and snapshot() == before
    assert asked.context["form"].errors == {
        "__all__": ["This category asks a few more questions: answer them below and send again."]
    }
    html = asked.content.decode()
    assert f'name="questions_for" value="{desk.catalogue.water.pk}"' in html
    assert "How far does it reach?" in html and '<option value="building">' in html

    unanswered = client.post("/demands/record/", {**data, "questions_for": data["category"]})
    assert unanswered.status_code == 400 and snapshot() == before
    assert list(unanswered.context["form"].errors) == ["attr_scope"]

    answered = {**data, "questions_for": data["category"], "attr_scope": "building"}
    assert client.post("/demands/record/", {**answered, "attr_floor": "3"}).status_code == 302
    assert Demand.objects.latest("pk").attributes == {"scope": "building", "floor": "3"}


def test_an_answer_outside_the_list_is_refused(desk: Desk, client_for: Any) -> None:
    ServiceCategory.objects.filter(pk=desk.catalogue.water.pk).update(attributes=[SCOPE_QUESTION])
    data = record_data(
        desk, category=desk.catalogue.water.pk, questions_for=desk.catalogue.water.pk,
        attr_scope="<script>",
    )  # fmt: skip
    before = snapshot()
    response = client_for(desk.personas.here).post("/demands/record/", data)
    assert response.status_code == 400 and snapshot() == before
    assert "<script>" not in response.content.decode()


@pytest.mark.parametrize("persona", ["resident", "handler", "stranger"])
def test_only_staff_record_for_others(persona: str, desk: Desk, client_for: Any) -> None:
    client = client_for(getattr(desk.personas, persona))
    before = snapshot()
    assert client.get("/demands/record/").status_code == 404
    assert client.post("/demands/record/", record_data(desk)).status_code == 404
    assert snapshot() == before


# ── The unit inbox ────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["with_department"]),
        ("?tab=dispatched", ["with_department"]),
        ("?tab=signed", ["with_unit"]),
        ("?tab=contacted", ["contacted"]),
        ("?tab=replied", ["with_department"]),  # not a tab: ignored
        ("?tab=signed&unit={department}", []),
        ("?tab=signed&unit={unit}", ["with_unit"]),
        ("?unit={sibling_unit}", ["with_department"]),  # not theirs: ignored
    ],
)
def test_inbox_tabs(query: str, expected: list[str], desk: Desk, client_for: Any) -> None:
    units = {
        "department": desk.catalogue.department.pk,
        "unit": desk.city.unit.pk,
        "sibling_unit": desk.city.sibling_unit.pk,
    }
    response = client_for(desk.personas.handler).get(f"/demands/inbox/{query.format(**units)}")
    assert listed(response) == [getattr(desk, name).pk for name in expected]


def test_inbox_counts_each_tab(desk: Desk, client_for: Any) -> None:
    response = client_for(desk.personas.handler).get("/demands/inbox/")
    assert [(str(s), n) for s, _label, n in response.context["tabs"]] == [
        ("dispatched", 1),
        ("signed", 1),
        ("contacted", 1),
    ]


def test_inbox_shows_the_requester_masked(desk: Desk, client_for: Any) -> None:
    html = client_for(desk.personas.handler).get("/demands/inbox/?tab=signed").content.decode()
    assert "周先生" in html and "134****5555" in html and "13400005555" not in html
    assert "孙女士" not in html  # another tab


def test_a_handler_of_one_unit_sees_only_its_orders(desk: Desk, client_for: Any) -> None:
    handler = make_user("unit-only")
    people_actions.assign_role(
        handler, by=None, kind=RoleKind.UNIT_HANDLER, organization=desk.city.unit
    )
    client = client_for(handler)
    assert listed(client.get("/demands/inbox/")) == []
    assert listed(client.get("/demands/inbox/?tab=signed")) == [desk.with_unit.pk]
    assert listed(client.get(f"/demands/inbox/?unit={desk.catalogue.department.pk}")) == []


def test_a_returned_order_leaves_the_inbox(desk: Desk, client_for: Any) -> None:
    actions.return_demand(desk.with_department, by=desk.personas.handler, reason="不归我们管")
    assert listed(client_for(desk.personas.handler).get("/demands/inbox/")) == []


def test_the_sign_button_posts_to_the_detail_page_s_sign_action(
    desk: Desk, client_for: Any
) -> None:
    """The detail page owns signing (demands:demand-sign); the inbox only offers the button."""
    client = client_for(desk.personas.handler)
    html = client.get("/demands/inbox/").content.decode()
    sign = reverse("demands:demand-sign", args=[desk.with_department.pk])
    assert html.count('action="/demands/') == 1 and f'action="{sign}"' in html
    assert client.post(sign).status_code == 302
    assert Demand.objects.get(pk=desk.with_department.pk).status == Status.SIGNED
    assert listed(client.get("/demands/inbox/")) == []


@pytest.mark.parametrize("persona", ["here", "above", "sibling", "resident", "stranger"])
def test_inbox_is_missing_without_a_handler_role(persona: str, desk: Desk, client_for: Any) -> None:
    assert client_for(getattr(desk.personas, persona)).get("/demands/inbox/").status_code == 404


# ── Extension requests ────────────────────────────────────────────────────────────────────


def test_the_street_sees_the_pending_extension(desk: Desk, client_for: Any) -> None:
    response = client_for(desk.personas.above).get("/demands/extensions/")
    assert listed(response) == [desk.contacted.pk]
    html = response.content.decode()
    assert "需要协调供水公司" in html
    assert "吴女士" not in html and "13300006666" not in html  # no requester needed here
    decide = reverse("demands:demand-decide-extension", args=[desk.contacted.pk])
    assert f'action="{decide}"' in html
    assert 'name="decision" value="approve"' in html and 'name="decision" value="refuse"' in html


def test_approving_from_the_list_moves_the_deadline(desk: Desk, client_for: Any) -> None:
    """The buttons post to the detail page's action (demands:demand-decide-extension)."""
    client = client_for(desk.personas.above)
    until = desk.contacted.extension_requested_until
    decide = reverse("demands:demand-decide-extension", args=[desk.contacted.pk])
    assert client.post(decide, {"decision": "approve"}).status_code == 302
    contacted = Demand.objects.get(pk=desk.contacted.pk)
    assert (contacted.feedback_due_at, contacted.extension_requested_until) == (until, None)
    assert listed(client.get("/demands/extensions/")) == []


def test_a_decided_extension_leaves_the_list(desk: Desk, client_for: Any) -> None:
    actions.decide_extension(desk.contacted, by=desk.personas.above, approve=False)
    assert listed(client_for(desk.personas.above).get("/demands/extensions/")) == []


def test_the_district_sees_its_streets_requests_and_another_street_does_not(
    desk: Desk, client_for: Any
) -> None:
    district = make_user("district-officer")
    people_actions.assign_role(
        district, by=None, kind=RoleKind.DISTRICT_OFFICER, place=desk.city.district
    )
    elsewhere = make_user("other-street-officer")
    other_street = create_place(
        by=None, parent=desk.city.district, kind=PlaceKind.STREET, code="110101001000",
        name="东华门街道",
    )  # fmt: skip
    people_actions.assign_role(elsewhere, by=None, kind=RoleKind.STREET_OFFICER, place=other_street)
    assert listed(client_for(district).get("/demands/extensions/")) == [desk.contacted.pk]
    assert listed(client_for(elsewhere).get("/demands/extensions/")) == []


def test_a_returned_order_s_extension_request_does_not_outlive_it(
    desk: Desk, client_for: Any
) -> None:
    signed = desk.with_unit
    assert signed.feedback_due_at is not None
    actions.request_extension(
        signed, by=desk.personas.handler,
        until=signed.feedback_due_at + timedelta(days=5), reason="材料未到",
    )  # fmt: skip
    actions.return_demand(signed, by=desk.personas.handler, reason="不归我们管")
    actions.dispatch_demand(signed, by=desk.personas.here, organization=desk.catalogue.department)
    assert Demand.objects.get(pk=signed.pk).extension_requested_until is None
    assert listed(client_for(desk.personas.above).get("/demands/extensions/")) == [
        desk.contacted.pk
    ]


@pytest.mark.parametrize("persona", ["here", "sibling", "resident", "handler", "stranger"])
def test_extensions_are_missing_below_the_street(persona: str, desk: Desk, client_for: Any) -> None:
    response = client_for(getattr(desk.personas, persona)).get("/demands/extensions/")
    assert response.status_code == 404


def test_extension_reasons_are_escaped(desk: Desk, client_for: Any) -> None:
    actions.decide_extension(desk.contacted, by=desk.personas.above, approve=False)
    contacted = Demand.objects.get(pk=desk.contacted.pk)
    assert contacted.feedback_due_at is not None
    actions.request_extension(
        contacted, by=desk.personas.handler,
        until=contacted.feedback_due_at + timedelta(days=1), reason=XSS,
    )  # fmt: skip
    html = client_for(desk.personas.above).get("/demands/extensions/").content.decode()
    assert "<script>" not in html and "<svg" not in html


# ── Fixed query counts at two sizes ───────────────────────────────────────────────────────

GROWTH = 30


def grow_triage(desk: Desk) -> None:
    for i in range(GROWTH):
        raise_demand(
            desk.city, desk.personas.here, desk.city.courtyard, desk.catalogue.water,
            requester_name=f"居民{i}", requester_phone=f"1380000{i:04d}",
        )  # fmt: skip


def grow_inbox(desk: Desk) -> None:
    for i in range(GROWTH):
        demand = raise_demand(
            desk.city, desk.personas.here, desk.city.courtyard, desk.catalogue.streetlight,
            requester_name=f"居民{i}",
        )  # fmt: skip
        actions.dispatch_demand(demand, by=desk.personas.here)


def grow_extensions(desk: Desk) -> None:
    for _ in range(GROWTH):
        demand = raise_demand(
            desk.city, desk.personas.here, desk.city.sibling, desk.catalogue.water
        )
        demand = actions.dispatch_demand(demand, by=desk.personas.here, organization=desk.city.unit)
        demand = actions.sign_demand(demand, by=desk.personas.handler)
        assert demand.feedback_due_at is not None
        actions.request_extension(
            demand, by=desk.personas.handler,
            until=demand.feedback_due_at + timedelta(days=2), reason="等材料",
        )  # fmt: skip


# Where the numbers come from: 2 for the session and the user, 1 for the staff scope; the
# triage queue then reads the catalogue, the filter's places and its page (3); the filtered
# queue one more for the chosen place; the inbox its units, the (empty) staff scope that
# visible_to reads, the tab counts and its page; the extension list its page; the record form
# the catalogue and its list of places.
COUNTS = [  # (each + 1 for the unread-notifications badge of the navigation)
    ("triage", "here", "/demands/triage/", grow_triage, 7),
    ("triage-street", "above", "/demands/triage/", grow_triage, 7),
    (
        "triage-filtered",
        "here",
        "/demands/triage/?place={courtyard}&status=open&category={water}",
        grow_triage,
        8,
    ),
    ("inbox", "handler", "/demands/inbox/", grow_inbox, 7),
    ("extensions", "above", "/demands/extensions/", grow_extensions, 5),
    ("record-form", "here", "/demands/record/", grow_triage, 6),
    ("record-find", "here", "/demands/record/?find=草厂", grow_triage, 6),
]


@pytest.mark.parametrize(
    ("persona", "url", "grow", "queries"),
    [pytest.param(*case[1:], id=case[0]) for case in COUNTS],
)
def test_staff_pages_cost_a_fixed_number_of_queries(
    persona: str,
    url: str,
    grow: Any,
    queries: int,
    desk: Desk,
    client_for: Any,
    django_assert_num_queries: Any,
) -> None:
    client = client_for(getattr(desk.personas, persona))
    url = url.format(courtyard=desk.city.courtyard.pk, water=desk.catalogue.water.pk)
    with django_assert_num_queries(queries):
        small = client.get(url)
    assert small.status_code == 200
    grow(desk)
    with django_assert_num_queries(queries):
        large = client.get(url)
    assert large.status_code == 200
    assert len(large.content) > len(small.content) or url.startswith("/demands/record/")
