"""The resident's pages (raise a demand, my demands) and the page of one demand with its
action forms: exact contents per persona, every action through its form, bad input (400,
nothing changed), refused steps (409 with the message), escaped payloads, the requester's
phone only for those who handle the demand, and a fixed number of queries at two sizes.

Pages are read in English (Accept-Language) so that the interface text is exact whatever
the translations say; names then show in their English form where one is known."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from conftest import City, Personas, credit_code
from courtyard.core.audit import record_event
from courtyard.core.models import AuditEvent
from courtyard.demands import actions
from courtyard.demands.models import Demand, ServiceCategory, Status
from courtyard.demands.tests.conftest import Catalogue
from courtyard.organizations import actions as org_actions
from courtyard.organizations.models import Organization, OrganizationKind
from courtyard.people.models import User

PHONE = "13800138000"
PAYLOADS = [
    pytest.param("<script>alert(1)</script>", id="script"),
    pytest.param("<svg onload=alert(1)>", id="svg-onload"),
]
KEY = "k" * 32  # a well-formed idempotency key


# ── Helpers ─────────────────────────────────────────────────────────────────────────────


@pytest.fixture
def en() -> Any:
    """en(user) → a client logged in as `user` (None: anonymous) that reads English."""

    def make(user: User | None) -> Client:
        client = Client(headers={"accept-language": "en"})
        if user is not None:
            client.force_login(user)
        return client

    return make


def raise_streetlight(city: City, p: Personas, c: Catalogue, **kw: Any) -> Demand:
    kw.setdefault("description", "胡同口路灯不亮三天了")
    return actions.submit_demand(
        by=p.resident,
        channel="web",
        place=city.courtyard,
        category=c.streetlight,
        requester=p.resident,
        **kw,
    )


def advance(demand: Demand, status: str, p: Personas) -> Demand:
    """Take a submitted streetlight demand to `status` the ordinary way (the department
    the handler works for answers for streetlights)."""
    path = {
        Status.SUBMITTED: [],
        Status.ACCEPTED: ["accept"],
        Status.DISPATCHED: ["dispatch"],
        Status.SIGNED: ["dispatch", "sign"],
        Status.CONTACTED: ["dispatch", "sign", "contact"],
        Status.REPLIED: ["dispatch", "sign", "contact", "reply"],
        Status.CLOSED: ["dispatch", "sign", "contact", "reply", "evaluate"],
        Status.ANSWERED: ["answer"],
        Status.DECLINED: ["decline"],
    }[Status(status)]
    steps = {
        "accept": lambda d: actions.accept_demand(d, by=p.here),
        "answer": lambda d: actions.answer_demand(d, by=p.here, answer="请拨打供电公司电话"),
        "decline": lambda d: actions.decline_demand(d, by=p.here, reason="属于法院管辖"),
        "dispatch": lambda d: actions.dispatch_demand(d, by=p.here),
        "sign": lambda d: actions.sign_demand(d, by=p.handler),
        "contact": lambda d: actions.contact_requester(d, by=p.handler, note="已电话联系"),
        "reply": lambda d: actions.reply_demand(d, by=p.handler, reply="已更换灯泡"),
        "evaluate": lambda d: actions.evaluate_demand(
            d, by=p.resident, resolved=True, satisfaction="satisfied"
        ),
    }
    for step in path:
        demand = steps[step](demand)
    return demand


def html(response: Any, status: int = 200) -> str:
    assert response.status_code == status, (response.status_code, response.get("Location"))
    return response.content.decode()


def text_of(page: str) -> str:
    """The page's text with tags dropped and white space folded (for exact sentences)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).strip()


def section(page: str, ident: str) -> str:
    """The HTML from the element with this id up to the end of its section."""
    start = page.rindex("<", 0, page.index(f'id="{ident}"'))
    return page[start : page.index("</section>", start)]


def items(fragment: str) -> list[str]:
    return re.findall(r"<li>(.*?)</li>", fragment, re.S)


def category_select(page: str) -> str:
    start = page.index('<select name="category"')
    return page[start : page.index("</select>", start)]


def snapshot() -> tuple[list[Any], int]:
    """Every demand row and the number of audit events: "nothing changed" compares these."""
    rows = list(Demand.objects.order_by("pk").values())
    return rows, AuditEvent.objects.count()


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# ── Raising a demand ─────────────────────────────────────────────────────────────────────


def test_the_form_offers_categories_grouped_by_parent(
    personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    page = html(en(personas.resident).get("/demands/new/"))
    c = catalogue
    select = category_select(page)
    assert re.sub(r"\s+", " ", select) == (
        '<select name="category" required id="id_category">'
        ' <option value="" selected>— choose what it is about —</option>'
        f' <option value="{c.water.pk}">No water</option>'
        ' <optgroup label="Public works">'
        f' <option value="{c.streetlight.pk}">Street light out</option>'
        " </optgroup> "
    )
    assert 'maxlength="5000"' in page and 'name="description"' in page


def test_the_form_defaults_to_home_and_carries_a_fresh_key(
    personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    client = en(personas.resident)
    first, second = html(client.get("/demands/new/")), html(client.get("/demands/new/"))
    keys = [
        re.search(r'name="idempotency_key" value="([A-Za-z0-9_-]+)"', p).group(1)  # type: ignore[union-attr]
        for p in (first, second)
    ]
    assert [len(k) for k in keys] == [32, 32] and keys[0] != keys[1]
    assert (
        '<label for="id_where_0"><input type="radio" name="where" value="home" required'
        ' id="id_where_0" checked>\n My home: No. 12, Caochang 3rd Lane</label>'
    ) in first
    assert 'value="other"' in first


def test_someone_without_a_home_is_offered_another_place_only(
    personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    page = html(en(personas.stranger).get("/demands/new/"))
    assert 'value="home"' not in page
    assert 'value="other" required id="id_where_0" checked' in page
    response = en(personas.stranger).post(
        "/demands/new/",
        {
            "category": catalogue.water.pk,
            "description": "停水",
            "where": "home",
            "idempotency_key": KEY,
        },
    )
    assert "Select a valid choice. home is not one of the available choices." in html(response, 400)
    assert not Demand.objects.exists()


def test_raising_a_demand_at_home(
    city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    client = en(personas.resident)
    response = client.post(
        "/demands/new/",
        {
            "category": catalogue.streetlight.pk,
            "description": "  胡同口路灯不亮三天了  ",
            "where": "home",
            "address": "东口电线杆",
            "latitude": "39.895123",
            "longitude": "116.401234",
            "idempotency_key": KEY,
        },
    )
    demand = Demand.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/demands/{demand.pk}/"
    assert messages_of(response) == ["Your demand is raised. You can follow it here."]
    assert (
        demand.channel,
        demand.place,
        demand.category,
        demand.description,
        demand.address,
        str(demand.latitude),
        str(demand.longitude),
        demand.requester,
        demand.requester_name,
        demand.requester_phone,
        demand.status,
        demand.idempotency_key,
    ) == (
        "web",
        city.courtyard,
        catalogue.streetlight,
        "胡同口路灯不亮三天了",
        "东口电线杆",
        "39.895123",
        "116.401234",
        personas.resident,
        "王秀兰",
        PHONE,
        Status.SUBMITTED,
        f"web:{personas.resident.pk}:{KEY}",
    )
    assert list(AuditEvent.objects.for_object(demand).values_list("verb", "actor")) == [
        ("submit_demand", personas.resident.pk)
    ]


def test_a_double_submit_creates_one_demand(
    personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    client = en(personas.resident)
    data = {
        "category": catalogue.streetlight.pk,
        "description": "路灯不亮",
        "where": "home",
        "idempotency_key": KEY,
    }
    first, second = client.post("/demands/new/", data), client.post("/demands/new/", data)
    demand = Demand.objects.get()
    assert first["Location"] == second["Location"] == f"/demands/{demand.pk}/"
    assert AuditEvent.objects.filter(verb="submit_demand").count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submits_of_one_form_create_one_demand(
    personas: Personas, catalogue: Catalogue
) -> None:
    data = {
        "category": catalogue.streetlight.pk,
        "description": "路灯不亮",
        "where": "home",
        "idempotency_key": KEY,
    }
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def send() -> None:
        client = Client(headers={"accept-language": "en"})
        client.force_login(personas.resident)
        try:
            barrier.wait(timeout=10)
            response = client.post("/demands/new/", data)
            outcomes.append((response.status_code, response.get("Location")))
        except Exception as exc:  # recorded and asserted below
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    demand = Demand.objects.get()
    assert outcomes == [(302, f"/demands/{demand.pk}/")] * 2
    assert AuditEvent.objects.filter(verb="submit_demand").count() == 1


def test_the_same_key_from_two_people_makes_two_demands(
    personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    data = {
        "category": catalogue.water.pk,
        "description": "停水",
        "where": "home",
        "idempotency_key": KEY,
    }
    en(personas.resident).post("/demands/new/", data)
    neighbour = User.objects.create_user(username="neighbour", home=personas.resident.home)
    en(neighbour).post("/demands/new/", data)
    assert sorted(Demand.objects.values_list("requester__username", flat=True)) == [
        "neighbour",
        "resident",
    ]


def test_category_search_narrows_the_list(
    personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    ServiceCategory.objects.filter(pk=catalogue.streetlight.pk).update(keywords="照明 灯,夜间")
    client = en(personas.resident)

    def offered(q: str) -> list[str]:
        page = html(client.get("/demands/new/", {"q": q}))
        select = category_select(page)
        return re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select)

    assert offered("路灯") == ["Street light out"]  # name
    assert offered("照明") == ["Street light out"]  # first keyword
    assert offered("夜") == ["Street light out"]  # a later keyword
    assert offered("市政") == ["Street light out"]  # the parent's name
    assert offered("no wa") == ["No water"]  # the English name
    assert offered("No wa") == ["No water"]
    assert offered("明") == []  # inside a word: not a prefix
    assert offered("") == ["No water", "Street light out"]
    page = html(client.get("/demands/new/", {"q": "停"}))
    assert "Categories for “停” are in the list below." in text_of(page)


def test_place_search_finds_places_of_the_residents_district(
    city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    client = en(personas.resident)
    page = html(client.get("/demands/new/", {"place_q": "草厂"}))
    found = re.findall(r'name="place" value="(\d+)"[^>]*>\s*([^<]+)</label>', page)
    assert found == [
        (
            str(city.courtyard.pk),
            "No. 12, Caochang 3rd Lane · building / courtyard · Caochang Community",
        ),
        (str(city.community.pk), "Caochang Community · community · Qianmen Subdistrict"),
    ]
    # Having searched, "another place" is chosen; the form keeps the search in its address.
    assert 'value="other" required id="id_where_1" checked' in page
    assert '<form method="post" action="/demands/new/?place_q=%E8%8D%89%E5%8E%82"' in page
    # The other district's places are not offered, and not accepted either.
    assert "No place found for “石油”." in text_of(html(client.get("/demands/new/?place_q=石油")))
    data = {
        "category": catalogue.water.pk,
        "description": "停水",
        "where": "other",
        "idempotency_key": KEY,
    }
    response = client.post("/demands/new/?place_q=草厂", {**data, "place": city.far_community.pk})
    assert "Choose one of the places found." in html(response, 400)
    assert not Demand.objects.exists()
    response = client.post(
        "/demands/new/?place_q=草厂", {**data, "where": "home", "place": city.community.pk}
    )
    assert "Choose “another place” to raise it elsewhere." in html(response, 400)
    assert not Demand.objects.exists()
    response = client.post("/demands/new/?place_q=草厂", {**data, "place": city.community.pk})
    assert response.status_code == 302
    assert Demand.objects.get().place == city.community


def test_another_place_by_its_code(
    city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    client = en(personas.here)
    data = {
        "category": catalogue.water.pk,
        "description": "停水",
        "where": "other",
        "idempotency_key": KEY,
    }
    cases = [
        ("", "Give the code of the place, or search for it and choose it."),
        ("000", "No place has this code."),
        (city.district.code, "Choose a street, a community or a building, not a whole district."),
    ]
    for code, error in cases:
        assert error in html(client.post("/demands/new/", {**data, "place_code": code}), 400)
    assert not Demand.objects.exists()
    response = client.post("/demands/new/", {**data, "place_code": city.far_community.code})
    assert response.status_code == 302
    demand = Demand.objects.get()
    assert (demand.place, demand.requester, demand.requester_phone) == (
        city.far_community,
        personas.here,
        "",
    )


QUESTIONS = [
    {"code": "pole", "datatype": "string", "required": True, "description": "灯杆编号",
     "description_en": "Number on the lamp post"},
    {"code": "hours", "datatype": "number", "required": False, "description": "不亮几天",
     "description_en": "Dark for how many days"},
    {"code": "where", "datatype": "singlevaluelist", "required": True, "description": "位置",
     "description_en": "Where", "values": [{"key": "lane", "name": "胡同"},
                                           {"key": "road", "name": "马路"}]},
]  # fmt: skip


def test_the_categorys_extra_questions(personas: Personas, catalogue: Catalogue, en: Any) -> None:
    light = catalogue.streetlight
    ServiceCategory.objects.filter(pk=light.pk).update(attributes=QUESTIONS)
    client = en(personas.resident)
    page = html(client.get("/demands/new/", {"category": light.pk}))
    assert "A few questions about “Street light out”" in page
    assert (
        '<label for="id_attr_pole">Number on the lamp post <span aria-hidden="true">*</span></label>'
        in page
    )
    assert '<label for="id_attr_hours">Dark for how many days</label>' in page
    assert '<option value="lane">胡同</option>' in page
    assert f'name="questions_for" value="{light.pk}"' in page
    assert f'<option value="{light.pk}" selected>Street light out</option>' in page

    data = {
        "category": light.pk,
        "description": "路灯不亮",
        "where": "home",
        "idempotency_key": KEY,
    }
    # Sent without the questions on the page: they are asked, no answer is blamed.
    page = html(client.post("/demands/new/", data), 400)
    assert "This category asks a few more questions: answer them below and send again." in page
    assert "This field is required." not in page
    assert 'id="id_attr_pole"' in page
    # The page asking them carries what the next submission needs (as a browser sends it).
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    assert (hidden["questions_for"], hidden["idempotency_key"]) == (str(light.pk), KEY)
    data = {**data, **hidden}
    # Sent with them, a required one unanswered.
    page = html(client.post("/demands/new/", data), 400)
    assert page.count("This field is required.") == 2
    assert not Demand.objects.exists()
    response = client.post(
        "/demands/new/", {**data, "attr_pole": "DC-0815", "attr_where": "lane", "attr_hours": "3"}
    )
    assert response.status_code == 302
    demand = Demand.objects.get()
    assert demand.attributes == {"pole": "DC-0815", "hours": "3", "where": "lane"}
    detail = html(client.get(f"/demands/{demand.pk}/"))
    assert "<dt>Number on the lamp post</dt><dd>DC-0815</dd>" in detail
    assert "<dt>Where</dt><dd>胡同</dd>" in detail  # the chosen value's name


@pytest.mark.parametrize(
    ("change", "error"),
    [
        pytest.param({"description": ""}, "This field is required.", id="no-description"),
        pytest.param(
            {"description": "长" * 5001},
            "Ensure this value has at most 5000 characters (it has 5001).",
            id="description-5001",
        ),
        pytest.param(
            {"description": "长" * 100_000},
            "Ensure this value has at most 5000 characters (it has 100000).",
            id="description-100000",
        ),
        pytest.param({"category": "999999"}, "Choose a category from the list.", id="unknown-category"),
        pytest.param({"category": "x"}, "Enter a whole number.", id="category-not-a-number"),
        pytest.param({"latitude": "91"}, "Ensure this value is less than or equal to 90.", id="lat-91"),
        pytest.param({"longitude": "east"}, "Enter a number.", id="long-not-a-number"),
        pytest.param({"address": "址" * 301}, "at most 300 characters", id="address-301"),
        pytest.param(
            {"idempotency_key": "short"},
            "This form is out of date: please send it again.",
            id="bad-key",
        ),
        pytest.param({"where": "mars"}, "Select a valid choice.", id="bad-where"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_and_stores_nothing(
    change: dict[str, str], error: str, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    data = {
        "category": str(catalogue.streetlight.pk),
        "description": "路灯不亮",
        "where": "home",
        "idempotency_key": KEY,
        **change,
    }
    page = html(en(personas.resident).post("/demands/new/", data), 400)
    assert error in page
    assert not Demand.objects.exists()
    assert not AuditEvent.objects.filter(verb="submit_demand").exists()


def test_an_inactive_category_is_refused(personas: Personas, catalogue: Catalogue, en: Any) -> None:
    ServiceCategory.objects.filter(pk=catalogue.water.pk).update(is_active=False)
    page = html(en(personas.resident).get("/demands/new/"))
    assert "No water" not in page
    response = en(personas.resident).post(
        "/demands/new/",
        {"category": catalogue.water.pk, "description": "停水", "where": "home",
         "idempotency_key": KEY},
    )  # fmt: skip
    assert "Choose a category from the list." in html(response, 400)
    assert not Demand.objects.exists()


def test_the_form_needs_a_login(en: Any, db: Any) -> None:
    response = en(None).get("/demands/new/")
    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/login/?next=/demands/new/",
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_search_terms_are_echoed_escaped(
    payload: str, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    page = html(en(personas.resident).get("/demands/new/", {"q": payload, "place_q": payload}))
    assert payload not in page
    assert escape(payload[:50]) in page


# ── My demands ──────────────────────────────────────────────────────────────────────────


def test_my_demands_newest_first_with_status_and_next_deadline(
    city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    old = advance(raise_streetlight(city, personas, catalogue), Status.DISPATCHED, personas)
    new = actions.submit_demand(
        by=personas.resident, channel="web", place=city.courtyard, category=catalogue.water,
        description="停水", requester=personas.resident,
    )  # fmt: skip
    actions.submit_demand(  # somebody else's
        by=personas.here, channel="phone", place=city.courtyard, category=catalogue.water,
        description="停水", requester_name="王先生", requester_phone="13900000000",
    )  # fmt: skip
    page = html(en(personas.resident).get("/demands/mine/"))
    rows = items(page[page.index('id="demand-rows"') :])
    local = timezone.localtime
    assert [text_of(i) for i in rows] == [
        f"#{new.pk} No water No. 12, Caochang 3rd Lane · {local(new.submitted_at):%Y-%m-%d}"
        " Status: submitted",
        f"#{old.pk} Street light out No. 12, Caochang 3rd Lane ·"
        f" {local(old.submitted_at):%Y-%m-%d} Status: dispatched · next deadline"
        f" {local(old.due_at):%Y-%m-%d %H:%M}",  # type: ignore[arg-type]
    ]
    assert f'href="/demands/{new.pk}/"' in rows[0]


def test_my_demands_come_in_keyset_pages(
    city: City, personas: Personas, catalogue: Catalogue, en: Any, settings: Any
) -> None:
    settings.PAGE_SIZE = 2
    demands = [raise_streetlight(city, personas, catalogue) for _ in range(3)]
    client = en(personas.resident)
    first = html(client.get("/demands/mine/"))
    assert re.findall(r'href="/demands/(\d+)/"', first) == [str(d.pk) for d in demands[:0:-1]]
    cursor = re.search(r'href="\?cursor=([\w-]+)"', first).group(1)  # type: ignore[union-attr]
    second = html(client.get("/demands/mine/", {"cursor": cursor}, headers={"hx-request": "true"}))
    assert "<h1>" not in second  # htmx gets the rows only
    assert re.findall(r'href="/demands/(\d+)/"', second) == [str(demands[0].pk)]
    assert "cursor=" not in second
    assert "This page link is broken" in html(client.get("/demands/mine/?cursor=@@"), 400)


def test_my_demands_when_there_are_none(personas: Personas, en: Any) -> None:
    page = html(en(personas.stranger).get("/demands/mine/"))
    assert "You have not raised a demand yet." in page


# ── The page of one demand ───────────────────────────────────────────────────────────────


def test_the_page_shows_what_where_who_and_when(
    city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    demand = raise_streetlight(city, personas, catalogue, address="东口")
    demand = advance(demand, Status.DISPATCHED, personas)
    page = html(en(personas.handler).get(f"/demands/{demand.pk}/"))
    local = timezone.localtime
    facts = text_of(page[page.index('<dl class="facts">') : page.index("</dl>")])
    assert facts == (
        "Status dispatched Category Street light out Place No. 12, Caochang 3rd Lane"
        " Responsible unit Dongcheng Urban Management"
        f" Raised {local(demand.submitted_at):%Y-%m-%d %H:%M} · web"
        f" Next deadline {local(demand.sign_due_at):%Y-%m-%d %H:%M}"  # type: ignore[arg-type]
    )
    assert f"<h1>Demand {demand.pk}: Street light out</h1>" in page
    assert '<p id="demand-description">胡同口路灯不亮三天了</p>' in page
    assert "Address: 东口" in text_of(page)
    deadlines = text_of(section(page, "deadlines-heading"))
    assert deadlines == (
        f"Deadlines Sign for by {local(demand.sign_due_at):%Y-%m-%d %H:%M}"  # type: ignore[arg-type]
        f" Contact the requester by {local(demand.response_due_at):%Y-%m-%d %H:%M}"  # type: ignore[arg-type]
        f" Reply by {local(demand.feedback_due_at):%Y-%m-%d %H:%M}"  # type: ignore[arg-type]
    )
    assert text_of(section(page, "requester-heading")) == f"Requester 王秀兰 · {PHONE}"


def test_the_timeline_reads_as_steps_with_their_notes(
    city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    demand = advance(raise_streetlight(city, personas, catalogue), Status.REPLIED, personas)
    # A change of personal data recorded on the demand never reaches the page.
    record_event(
        by=personas.here,
        verb="update_requester",
        target=demand,
        changes={"requester_phone": ["13800138000", "13911112222"]},
        place_path=demand.place_path,
    )
    steps = [
        "update_requester",
        "replied 已更换灯泡",
        "requester contacted 已电话联系",
        "signed for by the unit",
        "dispatched",
        "demand raised",
    ]
    resident = html(en(personas.resident).get(f"/demands/{demand.pk}/"))
    rows = items(section(resident, "timeline-heading"))
    assert [re.sub(r"^\S+ \S+ ", "", text_of(r)) for r in rows] == steps
    assert "13911112222" not in resident
    # Staff see who took each step; the requester does not.
    staff = html(en(personas.here).get(f"/demands/{demand.pk}/"))
    rows = items(section(staff, "timeline-heading"))
    assert [re.sub(r"^\S+ \S+ ", "", text_of(r)) for r in rows] == [
        "update_requester · 李社工",
        "replied · 陈联络员 已更换灯泡",
        "requester contacted · 陈联络员 已电话联系",
        "signed for by the unit · 陈联络员",
        "dispatched · 李社工",
        "demand raised · 王秀兰",
    ]
    assert "13911112222" not in staff and "李社工" not in resident


def test_a_worker_raising_a_demand_sees_the_steps_as_staff(
    city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    """The requester who also administers the place: their own details and who did what."""
    demand = actions.submit_demand(
        by=personas.here, channel="web", place=city.community, category=catalogue.water,
        description="停水", requester=personas.here,
    )  # fmt: skip
    page = html(en(personas.here).get(f"/demands/{demand.pk}/"))
    assert (
        text_of(section(page, "requester-heading"))
        == "Your contact details on this demand 李社工 · —"
    )
    assert "demand raised · 李社工" in text_of(section(page, "timeline-heading"))


def test_the_timeline_comes_in_pages(
    city: City, personas: Personas, catalogue: Catalogue, en: Any, settings: Any
) -> None:
    settings.PAGE_SIZE = 2
    demand = advance(raise_streetlight(city, personas, catalogue), Status.SIGNED, personas)
    client = en(personas.resident)
    first = html(client.get(f"/demands/{demand.pk}/"))
    assert len(items(section(first, "timeline-heading"))) == 2 and "Earlier steps" in first
    cursor = re.search(r'href="\?cursor=([\w-]+)#timeline-heading"', first).group(1)  # type: ignore[union-attr]
    second = html(client.get(f"/demands/{demand.pk}/", {"cursor": cursor}))
    assert "demand raised" in second and "Earlier steps" not in second


@pytest.mark.parametrize(
    ("status", "persona", "offered"),
    [
        (Status.SUBMITTED, "resident", []),
        (Status.SUBMITTED, "here", ["accept", "dispatch", "answer", "merge", "decline"]),
        (Status.SUBMITTED, "above", ["accept", "dispatch", "answer", "merge", "decline"]),
        (Status.ACCEPTED, "here", ["dispatch", "answer", "merge", "decline"]),
        (Status.DISPATCHED, "handler", ["sign", "return"]),
        (Status.DISPATCHED, "here", []),
        (Status.SIGNED, "handler", ["contact", "request-extension", "return"]),
        (Status.CONTACTED, "handler", ["reply", "request-extension"]),
        (Status.REPLIED, "resident", ["evaluate", "reopen"]),
        (Status.REPLIED, "here", ["reopen", "close"]),
        (Status.REPLIED, "handler", []),
        (Status.CLOSED, "resident", ["reopen"]),
        (Status.ANSWERED, "resident", []),
        (Status.ANSWERED, "here", []),
    ],
)
def test_each_viewer_gets_the_forms_of_the_steps_they_may_take(
    status: str,
    persona: str,
    offered: list[str],
    city: City,
    personas: Personas,
    catalogue: Catalogue,
    en: Any,
) -> None:
    demand = advance(raise_streetlight(city, personas, catalogue), status, personas)
    page = html(en(getattr(personas, persona)).get(f"/demands/{demand.pk}/"))
    actions_ = re.findall(rf'<form method="post" action="/demands/{demand.pk}/([a-z-]+)/"', page)
    assert actions_ == offered
    assert ("What you can do" in page) == bool(offered)


def test_a_pending_extension_is_decided_by_the_street_only(
    city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    demand = advance(raise_streetlight(city, personas, catalogue), Status.CONTACTED, personas)
    until = demand.feedback_due_at + timedelta(days=3)  # type: ignore[operator]
    actions.request_extension(demand, by=personas.handler, until=until, reason="需要采购灯具")
    officer = html(en(personas.above).get(f"/demands/{demand.pk}/"))
    form = section(officer, "step-decide-extension")
    assert (
        f"The unit asks to reply by {timezone.localtime(until):%Y-%m-%d %H:%M}. 需要采购灯具"
        in text_of(form)
    )
    assert 'name="decision" value="approve"' in form and 'name="decision" value="refuse"' in form
    for persona in ("here", "handler", "resident"):
        page = html(en(getattr(personas, persona)).get(f"/demands/{demand.pk}/"))
        assert "decide-extension" not in page, persona
        assert "request-extension" not in page, persona


def test_the_dispatch_form_lists_units_of_the_district_by_name(
    city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    demand = raise_streetlight(city, personas, catalogue)
    retired = org_actions.create_organization(
        by=None, name="草厂旧货店", kind=OrganizationKind.OTHER, place=city.community
    )
    Organization.objects.filter(pk=retired.pk).update(is_active=False)
    org_actions.create_organization(  # in the other district
        by=None, name="海淀区城管委", kind=OrganizationKind.GOVERNMENT_DEPARTMENT,
        place=city.other_district,
    )  # fmt: skip
    client = en(personas.here)
    page = html(client.get(f"/demands/{demand.pk}/"))
    form = section(page, "step-dispatch")
    assert re.findall(r'<option value="(\d*)"[^>]*>([^<]+)</option>', form) == [
        ("", "Automatic, by the responsibility table"),
        (str(catalogue.fallback.pk), "Dongcheng District Government"),
        (str(catalogue.department.pk), "Dongcheng Urban Management"),
        (str(city.unit.pk), "Qianmen Culture Co."),
        (str(city.sibling_unit.pk), "Dashilar Primary School"),
    ]  # by the Chinese name (code points): 东城区人民, 东城区城市, 前门, 大栅栏
    narrowed = section(
        html(client.get(f"/demands/{demand.pk}/", {"unit_q": "东城区"})), "step-dispatch"
    )
    assert re.findall(r'<option value="(\d+)"', narrowed) == [
        str(catalogue.fallback.pk),
        str(catalogue.department.pk),
    ]


def test_the_dispatch_list_stops_at_200(
    city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    for i in range(205):
        Organization.objects.create(
            name=f"草厂商户{i:03d}", kind=OrganizationKind.ENTERPRISE, place=city.community,
            place_path=city.community.path,
        )  # fmt: skip
    demand = raise_streetlight(city, personas, catalogue)
    page = html(en(personas.here).get(f"/demands/{demand.pk}/", {"unit_q": "草厂"}))
    options = re.findall(r'<option value="(\d+)"', section(page, "step-dispatch"))
    assert len(options) == 200
    last = Organization.objects.get(name="草厂商户204")  # not listed, still accepted
    response = en(personas.here).post(f"/demands/{demand.pk}/dispatch/", {"organization": last.pk})
    assert response.status_code == 302
    assert Demand.objects.get(pk=demand.pk).assignee == last


def test_a_merged_demand_points_to_its_primary(
    city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    primary = raise_streetlight(city, personas, catalogue)
    duplicate = raise_streetlight(city, personas, catalogue)
    actions.merge_demand(duplicate, by=personas.here, primary=primary)
    page = html(en(personas.resident).get(f"/demands/{duplicate.pk}/"))
    assert f"Merged into demand {primary.pk}, which is submitted: it is followed there." in text_of(
        page
    )


# ── The requester's details ──────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("persona", "status", "sees"),
    [
        ("resident", Status.SUBMITTED, True),  # the requester: their own details
        ("here", Status.SUBMITTED, True),
        ("above", Status.SUBMITTED, True),
        ("handler", Status.DISPATCHED, True),  # the unit it is dispatched to
        ("handler", Status.SUBMITTED, False),  # not (yet) theirs: 404
        ("sibling", Status.DISPATCHED, False),
        ("stranger", Status.DISPATCHED, False),
        ("anonymous", Status.DISPATCHED, False),
    ],
)
def test_the_phone_shows_only_to_the_requester_and_those_who_handle_it(
    persona: str,
    status: str,
    sees: bool,
    city: City,
    personas: Personas,
    catalogue: Catalogue,
    en: Any,
) -> None:
    demand = advance(raise_streetlight(city, personas, catalogue), status, personas)
    user = None if persona == "anonymous" else getattr(personas, persona)
    client = en(user)
    responses = [
        client.get(f"/demands/{demand.pk}/"),
        client.get("/demands/mine/"),
        client.get("/demands/new/"),
        client.post(f"/demands/{demand.pk}/reopen/", {"reason": ""}),
        client.post(f"/demands/{demand.pk}/reply/", {"reply": ""}),
    ]
    seen = [PHONE in r.content.decode() for r in responses]
    assert seen[0] is sees
    assert not seen[1] and not seen[2]  # my list and the form never carry it
    # A refused form shows the demand's page again: with the phone for the same people.
    assert seen[3] is (sees and persona in ("resident", "here", "above"))
    assert seen[4] is (sees and persona == "handler")  # the handler's empty reply: 400


def test_the_requester_is_not_shown_on_a_demand_recorded_for_someone_else(
    city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    """A demand taken by phone for someone without an account: staff see who called."""
    demand = actions.submit_demand(
        by=personas.here, channel="phone", place=city.community, category=catalogue.water,
        description="停水", requester_name="王先生", requester_phone="13900000000",
    )  # fmt: skip
    assert "13900000000" in html(en(personas.here).get(f"/demands/{demand.pk}/"))
    for persona in ("resident", "sibling", "stranger", "handler"):
        response = en(getattr(personas, persona)).get(f"/demands/{demand.pk}/")
        assert response.status_code == 404 and "13900000000" not in response.content.decode()


# ── Each action through its form ────────────────────────────────────────────────────────

STEP_CASES = [
    # slug, status before, persona, data, status after, check
    ("accept", Status.SUBMITTED, "here", {}, Status.ACCEPTED, "The demand is accepted."),
    ("answer", Status.SUBMITTED, "above", {"answer": "请拨打96777"}, Status.ANSWERED,
     "The answer is sent."),
    ("decline", Status.ACCEPTED, "here", {"reason": "属于法院管辖"}, Status.DECLINED,
     "The demand is declined."),
    ("dispatch", Status.SUBMITTED, "here", {"organization": ""}, Status.DISPATCHED,
     "The demand is dispatched."),
    ("close", Status.REPLIED, "here", {}, Status.CLOSED, "The demand is closed."),
    ("sign", Status.DISPATCHED, "handler", {}, Status.SIGNED, "You have signed for the order."),
    ("contact", Status.SIGNED, "handler", {"note": "约好周三上门"}, Status.CONTACTED,
     "The contact is recorded."),
    ("reply", Status.CONTACTED, "handler", {"reply": "已更换灯泡"}, Status.REPLIED,
     "The reply is sent."),
    ("return", Status.SIGNED, "handler", {"reason": "不属于本单位"}, Status.ACCEPTED,
     "The order is returned."),
    ("evaluate", Status.REPLIED, "resident",
     {"resolved": "no", "satisfaction": "basic", "comment": "还是有点暗"}, Status.CLOSED,
     "Thank you: your rating is recorded."),
    ("reopen", Status.CLOSED, "resident", {"reason": "又坏了"}, Status.ACCEPTED,
     "The demand is reopened."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("slug", "before", "persona", "data", "after", "message"),
    [pytest.param(*case, id=case[0]) for case in STEP_CASES],
)
def test_each_step_through_its_form(
    slug: str,
    before: str,
    persona: str,
    data: dict[str, str],
    after: str,
    message: str,
    city: City,
    personas: Personas,
    catalogue: Catalogue,
    en: Any,
) -> None:
    demand = advance(raise_streetlight(city, personas, catalogue), before, personas)
    user = getattr(personas, persona)
    response = en(user).post(f"/demands/{demand.pk}/{slug}/", data)
    assert (response.status_code, response["Location"]) == (302, f"/demands/{demand.pk}/")
    assert messages_of(response) == [message]
    demand.refresh_from_db()
    assert demand.status == after
    last = AuditEvent.objects.for_object(demand).first()
    assert last is not None and last.actor == user
    for field, value in data.items():  # what was written is kept
        if field in ("answer", "reply"):
            assert getattr(demand, field) == value
    if slug == "evaluate":
        assert (demand.resolved, demand.satisfaction, demand.evaluation_comment) == (
            False,
            "basic",
            "还是有点暗",
        )
    if slug == "dispatch":
        assert demand.assignee == catalogue.department
    if slug == "decline":
        assert demand.decline_reason == "属于法院管辖"


def test_merge_through_its_form(
    city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    primary = raise_streetlight(city, personas, catalogue)
    duplicate = raise_streetlight(city, personas, catalogue)
    response = en(personas.here).post(f"/demands/{duplicate.pk}/merge/", {"primary": primary.pk})
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.primary) == (Status.MERGED, primary)


def test_dispatch_to_a_chosen_unit(
    city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    demand = raise_streetlight(city, personas, catalogue)
    response = en(personas.here).post(
        f"/demands/{demand.pk}/dispatch/", {"organization": city.unit.pk}
    )
    assert response.status_code == 302
    assert Demand.objects.get(pk=demand.pk).assignee == city.unit


def test_asking_for_more_time_and_the_street_granting_it(
    city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    demand = advance(raise_streetlight(city, personas, catalogue), Status.CONTACTED, personas)
    day = timezone.localtime(demand.feedback_due_at).date() + timedelta(days=5)  # type: ignore[arg-type]
    response = en(personas.handler).post(
        f"/demands/{demand.pk}/request-extension/", {"until": day.isoformat(), "reason": "需要采购"}
    )
    assert response.status_code == 302
    assert messages_of(response) == ["The request for more time is sent."]
    demand.refresh_from_db()
    asked = timezone.localtime(demand.extension_requested_until)  # type: ignore[arg-type]
    assert (asked.date(), asked.hour, asked.minute, demand.extension_reason) == (
        day,
        23,
        59,
        "需要采购",
    )
    response = en(personas.above).post(
        f"/demands/{demand.pk}/decide-extension/", {"decision": "approve"}
    )
    assert response.status_code == 302
    demand.refresh_from_db()
    assert (demand.feedback_due_at, demand.due_at, demand.extension_requested_until) == (
        asked,
        asked,
        None,
    )


def test_the_street_refusing_more_time(
    city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    demand = advance(raise_streetlight(city, personas, catalogue), Status.SIGNED, personas)
    due = demand.feedback_due_at
    actions.request_extension(
        demand,
        by=personas.handler,
        until=due + timedelta(days=3),
        reason="需要采购",  # type: ignore[operator]
    )
    response = en(personas.above).post(
        f"/demands/{demand.pk}/decide-extension/", {"decision": "refuse"}
    )
    assert response.status_code == 302
    demand.refresh_from_db()
    assert (demand.feedback_due_at, demand.extension_requested_until) == (due, None)
    assert AuditEvent.objects.for_object(demand).first().verb == "refuse_extension"  # type: ignore[union-attr]


# ── Bad input and refused steps: the page again, with the message, nothing changed ──────

BAD_INPUT = [
    # slug, status, persona, data, status code, message
    ("evaluate", Status.REPLIED, "resident", {"resolved": "yes"}, 400, "This field is required."),
    ("evaluate", Status.REPLIED, "resident", {"resolved": "yes", "satisfaction": "great"}, 400,
     "Select a valid choice. great is not one of the available choices."),
    ("evaluate", Status.REPLIED, "resident",
     {"resolved": "yes", "satisfaction": "satisfied", "comment": "长" * 2001}, 400,
     "Ensure this value has at most 2000 characters (it has 2001)."),
    ("reopen", Status.REPLIED, "resident", {"reason": "   "}, 400, "This field is required."),
    ("answer", Status.SUBMITTED, "here", {"answer": ""}, 400, "This field is required."),
    ("decline", Status.SUBMITTED, "here", {}, 400, "This field is required."),
    ("merge", Status.SUBMITTED, "here", {"primary": "abc"}, 400, "Enter a whole number."),
    ("dispatch", Status.SUBMITTED, "here", {"organization": "999999"}, 400,
     "Choose an active unit of this district."),
    ("reply", Status.CONTACTED, "handler", {"reply": ""}, 400, "This field is required."),
    ("contact", Status.SIGNED, "handler", {"note": "长" * 2001}, 400,
     "Ensure this value has at most 2000 characters (it has 2001)."),
    ("return", Status.DISPATCHED, "handler", {"reason": ""}, 400, "This field is required."),
    ("request-extension", Status.SIGNED, "handler", {"until": "2026-13-45", "reason": "x"}, 400,
     "Enter a valid date."),
    ("request-extension", Status.SIGNED, "handler", {"until": "2000-01-01", "reason": "x"}, 400,
     "Ask for a date after the current deadline."),
    ("decide-extension", Status.SIGNED, "above", {"decision": "approve"}, 409,
     "No extension is waiting for an answer."),
    # Steps the demand's status does not allow (the page does not offer them either).
    ("accept", Status.ACCEPTED, "here", {}, 409,
     "This demand is accepted: that step is not possible now."),
    ("close", Status.SUBMITTED, "above", {}, 409,
     "This demand is submitted: that step is not possible now."),
    ("sign", Status.SIGNED, "handler", {}, 409,
     "This demand is signed for: that step is not possible now."),
    ("evaluate", Status.CLOSED, "resident", {"resolved": "yes", "satisfaction": "satisfied"}, 409,
     "This demand is closed: that step is not possible now."),
    ("request-extension", Status.DISPATCHED, "handler", {"until": "2099-01-01", "reason": "x"},
     409, "Only an order signed for and not yet replied to can get more time."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("slug", "before", "persona", "data", "code", "message"),
    [pytest.param(*case, id=f"{case[0]}-{i}") for i, case in enumerate(BAD_INPUT)],
)
def test_bad_input_or_a_refused_step_shows_the_page_again(
    slug: str,
    before: str,
    persona: str,
    data: dict[str, str],
    code: int,
    message: str,
    city: City,
    personas: Personas,
    catalogue: Catalogue,
    en: Any,
) -> None:
    demand = advance(raise_streetlight(city, personas, catalogue), before, personas)
    state = snapshot()
    response = en(getattr(personas, persona)).post(f"/demands/{demand.pk}/{slug}/", data)
    page = html(response, code)
    assert message in page
    assert f"<h1>Demand {demand.pk}: Street light out</h1>" in page
    assert snapshot() == state


def test_merge_refuses_a_demand_one_cannot_see_and_itself(
    city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    demand = raise_streetlight(city, personas, catalogue)
    elsewhere = actions.submit_demand(
        by=personas.sibling, channel="walk_in", place=city.sibling, category=catalogue.water,
        description="停水", requester_name="赵女士", requester_phone="13700000000",
    )  # fmt: skip
    merged = raise_streetlight(city, personas, catalogue)
    actions.merge_demand(merged, by=personas.here, primary=demand)
    state = snapshot()
    client = en(personas.here)
    for primary in (elsewhere.pk, demand.pk, 999_999):
        page = html(client.post(f"/demands/{demand.pk}/merge/", {"primary": primary}), 400)
        assert "You have no other demand with this number." in page
    page = html(client.post(f"/demands/{demand.pk}/merge/", {"primary": merged.pk}), 400)
    assert "Merge into another demand that is still being handled." in page
    assert snapshot() == state


def test_the_return_window_closes(
    city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    demand = advance(raise_streetlight(city, personas, catalogue), Status.SIGNED, personas)
    Demand.objects.filter(pk=demand.pk).update(return_until=timezone.now() - timedelta(minutes=1))
    client = en(personas.handler)
    assert "/return/" not in html(client.get(f"/demands/{demand.pk}/"))
    state = snapshot()
    page = html(client.post(f"/demands/{demand.pk}/return/", {"reason": "不归我们"}), 409)
    assert "The time to return this order has passed: handle it, or ask the street." in page
    assert snapshot() == state


def test_the_action_urls_take_posts_only(
    city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    demand = raise_streetlight(city, personas, catalogue)
    assert en(personas.here).get(f"/demands/{demand.pk}/accept/").status_code == 405
    assert Demand.objects.get(pk=demand.pk).status == Status.SUBMITTED


# ── Payloads in every text shown ─────────────────────────────────────────────────────────


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_people_write_is_shown_escaped(
    payload: str, city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    ServiceCategory.objects.filter(pk=catalogue.streetlight.pk).update(
        attributes=[{"code": "pole", "datatype": "string", "description": payload}]
    )
    catalogue.streetlight.refresh_from_db()
    demand = actions.submit_demand(
        by=personas.resident, channel="web", place=city.courtyard, category=catalogue.streetlight,
        description=payload, requester=personas.resident, address=payload,
        attributes={"pole": payload},
    )  # fmt: skip
    demand = advance(demand, Status.CONTACTED, personas)
    until = demand.feedback_due_at + timedelta(days=2)  # type: ignore[operator]
    actions.request_extension(demand, by=personas.handler, until=until, reason=payload)
    actions.decide_extension(demand, by=personas.above, approve=True)
    demand = actions.reply_demand(demand, by=personas.handler, reply=payload)
    demand = actions.evaluate_demand(
        demand, by=personas.resident, resolved=False, satisfaction="unsatisfied", comment=payload
    )
    demand = actions.reopen_demand(demand, by=personas.resident, reason=payload)
    other = raise_streetlight(city, personas, catalogue)
    actions.answer_demand(other, by=personas.here, answer=payload)
    third = raise_streetlight(city, personas, catalogue)
    actions.decline_demand(third, by=personas.here, reason=payload)

    pages = {
        "detail (resident)": en(personas.resident).get(f"/demands/{demand.pk}/"),
        "detail (staff)": en(personas.here).get(f"/demands/{demand.pk}/"),
        "answered": en(personas.resident).get(f"/demands/{other.pk}/"),
        "declined": en(personas.resident).get(f"/demands/{third.pk}/"),
        "mine": en(personas.resident).get("/demands/mine/"),
        "questions": en(personas.resident).get(
            f"/demands/new/?category={catalogue.streetlight.pk}"
        ),
        "unit search": en(personas.here).get(f"/demands/{other.pk}/?unit_q={payload}"),
    }
    for where, response in pages.items():
        page = html(response)
        assert payload not in page, where
        assert "<script>alert" not in page and "<svg" not in page, where
    assert page.count(escape(payload[:50])) >= 1  # the unit search echoes it
    detail = pages["detail (staff)"].content.decode()
    # description, address, answer to the question, the reply and reopen notes in the timeline
    assert detail.count(escape(payload)) >= 5
    assert escape(payload) in pages["answered"].content.decode()
    assert escape(payload) in pages["declined"].content.decode()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_refused_form_echoes_input_escaped(
    payload: str, city: City, personas: Personas, catalogue: Catalogue, en: Any
) -> None:
    demand = raise_streetlight(city, personas, catalogue)
    page = html(en(personas.here).post(f"/demands/{demand.pk}/merge/", {"primary": payload}), 400)
    assert payload not in page and escape(payload) in page
    page = html(
        en(personas.resident).post(
            "/demands/new/",
            {"category": payload, "description": payload, "where": "home", "idempotency_key": KEY},
        ),
        400,
    )
    assert payload not in page and escape(payload) in page


# ── A fixed number of queries, at two sizes ──────────────────────────────────────────────


def grow(city: City, personas: Personas, catalogue: Catalogue, demand: Demand) -> None:
    """60 more demands of the resident (each with its event), 60 more events on `demand`
    (notes on extension requests and their refusals), 60 more units in the district."""
    for i in range(60):
        raise_streetlight(city, personas, catalogue, description=f"又一个{i}")
        Organization.objects.create(
            name=f"新单位{i:03d}", kind=OrganizationKind.ENTERPRISE, place=city.community,
            place_path=city.community.path, credit_code=credit_code(500 + i),
        )  # fmt: skip
    for i in range(30):
        if demand.status in (Status.SIGNED, Status.CONTACTED):
            until = demand.feedback_due_at + timedelta(days=1 + i)  # type: ignore[operator]
            actions.request_extension(demand, by=personas.handler, until=until, reason=f"r{i}")
            actions.decide_extension(demand, by=personas.above, approve=False)
        else:
            record_event(
                by=personas.here, verb="note", target=demand, changes={"note": [None, "n"]}
            )
            record_event(
                by=personas.here, verb="note", target=demand, changes={"note": [None, "n"]}
            )


# Where the numbers come from: 2 for the session and the user; the detail page then spends
# 1 on the staff scope (visible_to), 1 on the demand (with its place, category, unit and
# primary), 1 on the timeline page, 1 per permission that asks about the unit's handlers
# (see_requester, handle — the requester's and staff's answers need no query until a unit
# holds the demand), 1 on the dispatch list when that form shows. The form: 1 for the home,
# 1 for the categories, 1 for the places found; my list: 1 for the page.
QUERY_CASES = [
    # persona, status, url, queries
    # (each + 1 for the unread-notifications badge of the navigation)
    ("resident", Status.SUBMITTED, "/demands/mine/", 4),
    ("resident", Status.SUBMITTED, "/demands/new/", 5),
    ("resident", Status.SUBMITTED, "/demands/new/?q=路&place_q=草厂&category={category}", 6),
    ("resident", Status.REPLIED, "/demands/{pk}/", 7),
    ("here", Status.SUBMITTED, "/demands/{pk}/", 8),
    ("above", Status.SIGNED, "/demands/{pk}/", 8),
    ("handler", Status.SIGNED, "/demands/{pk}/", 8),
]


@pytest.mark.parametrize(
    ("persona", "status", "url", "queries"),
    [pytest.param(*c, id=f"{c[0]}-{c[1]}-{c[2]}") for c in QUERY_CASES],
)
def test_pages_cost_a_fixed_number_of_queries(
    persona: str,
    status: str,
    url: str,
    queries: int,
    city: City,
    personas: Personas,
    catalogue: Catalogue,
    en: Any,
    django_assert_num_queries: Any,
) -> None:
    demand = advance(raise_streetlight(city, personas, catalogue), status, personas)
    url = url.format(pk=demand.pk, category=catalogue.streetlight.pk)
    client = en(getattr(personas, persona))
    html(client.get(url))  # warm the content-type cache
    with django_assert_num_queries(queries):
        small = html(client.get(url))
    grow(city, personas, catalogue, demand)
    with django_assert_num_queries(queries):
        large = html(client.get(url))
    assert len(large) >= len(small)
