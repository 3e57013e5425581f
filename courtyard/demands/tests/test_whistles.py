"""Whistle and report (吹哨报到): the actions (blow, report on site, close, score) with their
exact results and every refusal leaving no trace; who reads which whistle; the unit's
monthly record; and the pages — board, blowing, one whistle with its forms — with their
contents per persona, bad input, and a fixed number of queries at two sizes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone, translation

from conftest import City, Personas, credit_code, make_user
from courtyard.core.errors import BadInput, Conflict, DomainError, NotAllowed
from courtyard.core.models import AuditEvent
from courtyard.demands import actions, whistles
from courtyard.demands.models import Demand, Whistle, WhistleStatus, WhistleSummons
from courtyard.demands.tests.conftest import Catalogue
from courtyard.demands.whistles import (
    WhistleRecord,
    blow_whistle,
    close_whistle,
    report_to_whistle,
    score_summons,
    unit_whistle_record,
    visible_whistles,
)
from courtyard.organizations import actions as org_actions
from courtyard.organizations.models import Organization, OrganizationKind
from courtyard.people import actions as people_actions
from courtyard.people.models import RoleKind, User
from courtyard.places.models import Place

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2025, 3, 10, 9, 0, tzinfo=SHANGHAI)
XSS = '<script>alert("x")</script><svg onload=alert(1)>'


@pytest.fixture(autouse=True)
def english() -> Any:
    """Messages and pages in English, so that the texts asserted are exact whatever the
    translations say."""
    with translation.override("en"):
        yield


@pytest.fixture
def client_for() -> Callable[[User | None], Client]:
    def make(user: User | None) -> Client:
        client = Client(headers={"Accept-Language": "en"})
        if user is not None:
            client.force_login(user)
        return client

    return make


@dataclass
class Board:
    city: City
    personas: Personas
    catalogue: Catalogue
    demand: Demand  # a streetlight demand in a 草厂 courtyard
    whistle: Whistle  # open, blown at T0 in 草厂 on the demand: the unit and the department
    sibling_whistle: Whistle  # open, blown in the sibling community: the sibling's school
    fallback_handler: User  # handles 东城区人民政府, which no whistle summons
    far_unit: Organization  # a unit of the other district (海淀)

    @property
    def unit(self) -> Organization:
        return self.city.unit

    @property
    def department(self) -> Organization:
        return self.catalogue.department


def blow(board_city: City, by: Any, place: Place, orgs: list[Organization], **kw: Any) -> Whistle:
    kw.setdefault("kind", "routine")
    kw.setdefault("title", "路灯抢修")
    kw.setdefault("description", "胡同口路灯整排不亮，街道无权维修")
    return blow_whistle(by=by, place=place, organizations=orgs, **kw)


@pytest.fixture
def board(city: City, personas: Personas, catalogue: Catalogue) -> Board:
    demand = actions.submit_demand(
        by=personas.resident,
        channel="web",
        place=city.courtyard,
        category=catalogue.streetlight,
        description="胡同口路灯不亮",
        requester=personas.resident,
    )
    whistle = blow(
        city, personas.above, city.community, [city.unit, catalogue.department],
        demand=demand, now=T0,
    )  # fmt: skip
    sibling_whistle = blow(
        city, personas.above, city.sibling, [city.sibling_unit], title="校门口积水", now=T0
    )
    fallback_handler = make_user("fallback-handler", display_name="周联络员")
    people_actions.assign_role(
        fallback_handler, by=None, kind=RoleKind.DEPARTMENT_HANDLER, organization=catalogue.fallback
    )
    far_unit = org_actions.create_organization(
        by=None,
        name="学院路科技公司",
        kind=OrganizationKind.ENTERPRISE,
        place=city.far_community,
        credit_code=credit_code(9),
    )
    return Board(
        city, personas, catalogue, demand, whistle, sibling_whistle, fallback_handler, far_unit
    )


def state() -> tuple[Any, ...]:
    """Every row an action of this module may write."""
    return (
        list(Whistle.objects.order_by("pk").values()),
        list(WhistleSummons.objects.order_by("pk").values()),
        list(Demand.objects.order_by("pk").values()),
        list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True)),
    )


def events(verb: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb=verb).order_by("pk"))


# ── Blowing ───────────────────────────────────────────────────────────────────────────────


def test_blowing_summons_each_party_with_the_configured_deadline(board: Board) -> None:
    w = Whistle.objects.get(pk=board.whistle.pk)
    assert (w.street, w.place, w.place_path) == (
        board.city.street,
        board.city.community,
        board.city.community.path,
    )
    assert (w.kind, w.status, w.demand_id, w.blown_by) == (
        "routine",
        WhistleStatus.OPEN,
        board.demand.pk,
        board.personas.above,
    )
    assert (w.blown_at, w.report_due_at) == (T0, T0 + timedelta(minutes=30))
    assert (w.closed_at, w.closing_note) == (None, "")
    summoned = list(
        w.summonses.order_by("organization_id").values_list(
            "organization_id", "reported_at", "score"
        )
    )
    assert summoned == sorted([(board.unit.pk, None, None), (board.department.pk, None, None)])


def test_blowing_is_recorded_on_the_whistle_and_on_the_demand(board: Board) -> None:
    on_whistle, on_demand = (
        AuditEvent.objects.for_object(board.whistle).get(),
        AuditEvent.objects.for_object(board.demand).get(verb="blow_whistle"),
    )
    assert on_whistle.verb == "blow_whistle"
    assert on_whistle.actor == board.personas.above
    assert on_whistle.place_path == board.city.community.path
    assert on_whistle.changes == {
        "status": [None, "open"],
        "kind": [None, "routine"],
        "summoned": [None, sorted([board.unit.pk, board.department.pk])],
        "report_due_at": [None, (T0 + timedelta(minutes=30)).isoformat()],
        "demand": [None, board.demand.pk],
    }
    assert on_demand.place_path == board.city.courtyard.path
    assert on_demand.changes == {"whistle": [None, board.whistle.pk]}


def test_the_deadline_follows_the_kind_of_whistle(board: Board, settings: Any) -> None:
    settings.DEMANDS = {"WHISTLE_REPORT_MINUTES": {"routine": 120, "crunch": 60, "emergency": 15}}
    for kind, minutes in (("emergency", 15), ("crunch", 60), ("routine", 120)):
        w = blow(board.city, board.personas.above, board.city.street, [board.unit], kind=kind,
                 title=f"{kind} 哨", now=T0)  # fmt: skip
        assert w.report_due_at - w.blown_at == timedelta(minutes=minutes)


def test_a_kind_left_out_of_the_settings_keeps_its_default(board: Board, settings: Any) -> None:
    settings.DEMANDS = {"WHISTLE_REPORT_MINUTES": {"emergency": 15}}
    w = blow(board.city, board.personas.above, board.city.street, [board.unit], now=T0)
    assert w.report_due_at == T0 + timedelta(minutes=30)


def test_a_district_officer_blows_in_any_street_of_the_district(board: Board) -> None:
    officer = make_user("district-officer")
    people_actions.assign_role(
        officer, by=None, kind=RoleKind.DISTRICT_OFFICER, place=board.city.district
    )
    w = blow(board.city, officer, board.city.sibling, [board.catalogue.fallback], now=T0)
    assert w.street == board.city.street


def test_a_form_sent_twice_blows_once(board: Board) -> None:
    kw = {"title": "暴雨积水", "kind": "emergency"}
    first = blow(board.city, board.personas.above, board.city.street, [board.unit], now=T0, **kw)
    count = (Whistle.objects.count(), AuditEvent.objects.count())
    again = blow(board.city, board.personas.above, board.city.street, [board.unit],
                 now=T0 + timedelta(seconds=5), **kw)  # fmt: skip
    assert again.pk == first.pk
    assert (Whistle.objects.count(), AuditEvent.objects.count()) == count
    later = blow(board.city, board.personas.above, board.city.street, [board.unit],
                 now=T0 + whistles.REPEAT_WINDOW + timedelta(seconds=1), **kw)  # fmt: skip
    assert later.pk != first.pk


def _blow_refusals() -> list[Any]:
    def case(name: str, error: type[DomainError], **change: Callable[[Board], Any]) -> Any:
        return pytest.param(error, change, id=name)

    return [
        case("community-worker", NotAllowed, by=lambda b: b.personas.here),
        case("sibling-worker", NotAllowed, by=lambda b: b.personas.sibling),
        case("handler", NotAllowed, by=lambda b: b.personas.handler),
        case("nobody", NotAllowed, by=lambda b: None),
        case("other-district-street", NotAllowed, place=lambda b: b.city.far_community),
        case("at-the-district", BadInput, place=lambda b: b.city.district),
        case("at-the-city", BadInput, place=lambda b: b.city.city),
        case("no-party", BadInput, organizations=lambda b: []),
        case("party-of-another-district", BadInput, organizations=lambda b: [b.far_unit]),
        case("unknown-kind", BadInput, kind=lambda b: "siren"),
        case("empty-title", BadInput, title=lambda b: "  "),
        case("long-title", BadInput, title=lambda b: "哨" * 201),
        case("empty-description", BadInput, description=lambda b: ""),
        case("nul-in-description", BadInput, description=lambda b: "a\x00b"),
        case("long-description", BadInput, description=lambda b: "x" * 5001),
        case("demand-of-another-street", BadInput, demand=lambda b: _far_demand(b)),
        case("closed-demand", Conflict, demand=lambda b: _answered_demand(b)),
    ]


def _far_demand(b: Board) -> Demand:
    return actions.submit_demand(
        by=None, channel="phone", place=b.city.far_community,
        category=b.catalogue.streetlight, description="路灯",
    )  # fmt: skip


def _answered_demand(b: Board) -> Demand:
    demand = actions.submit_demand(
        by=None, channel="phone", place=b.city.courtyard,
        category=b.catalogue.streetlight, description="路灯",
    )  # fmt: skip
    return actions.answer_demand(demand, by=b.personas.here, answer="已修")


@pytest.mark.parametrize(("error", "change"), _blow_refusals())
def test_a_refused_whistle_leaves_no_trace(
    error: type[DomainError], change: dict[str, Callable[[Board], Any]], board: Board
) -> None:
    kw: dict[str, Any] = {
        "by": board.personas.above,
        "place": board.city.community,
        "kind": "crunch",
        "title": "违建拆除",
        "description": "需要城管执法",
        "organizations": [board.unit],
        "demand": None,
    }
    kw.update({key: make(board) for key, make in change.items()})
    before = state()
    with pytest.raises(error) as refused:
        blow_whistle(**kw)
    assert refused.value.message
    assert state() == before


def test_an_inactive_party_cannot_be_summoned(board: Board) -> None:
    org_actions.deactivate_organization(board.catalogue.fallback, by=None)
    before = state()
    with pytest.raises(BadInput, match="active"):
        blow(board.city, board.personas.above, board.city.street, [board.catalogue.fallback])
    assert state() == before


def test_at_most_summons_max_parties(board: Board, monkeypatch: Any) -> None:
    monkeypatch.setattr(whistles, "SUMMONS_MAX", 1)
    before = state()
    with pytest.raises(BadInput) as refused:
        blow(board.city, board.personas.above, board.city.street, [board.unit, board.department])
    assert refused.value.field == "organizations"
    assert state() == before
    # The same party twice is summoned once.
    w = blow(board.city, board.personas.above, board.city.street, [board.unit, board.unit])
    assert list(w.summonses.values_list("organization_id", flat=True)) == [board.unit.pk]


# ── Reporting on site ─────────────────────────────────────────────────────────────────────


def test_a_summoned_unit_reports_on_site_in_time(board: Board) -> None:
    at = T0 + timedelta(minutes=12)
    summons = report_to_whistle(
        board.whistle, by=board.personas.handler, organization=board.unit, note="3人到场", now=at
    )
    summons = WhistleSummons.objects.get(pk=summons.pk)
    assert (summons.reported_at, summons.report_note, summons.reported_in_time) == (
        at,
        "3人到场",
        True,
    )
    event = events("report_to_whistle")[0]
    assert (event.actor, event.target_id, event.place_path) == (
        board.personas.handler,
        str(board.whistle.pk),
        board.city.community.path,
    )
    assert event.changes == {
        "organization": [None, board.unit.pk],
        "reported_at": [None, at.isoformat()],
        "late": [None, False],
        "note": [None, "3人到场"],
    }


def test_a_report_at_the_deadline_is_in_time(board: Board) -> None:
    due = board.whistle.report_due_at
    summons = report_to_whistle(
        board.whistle, by=board.personas.handler, organization=board.unit, now=due
    )
    assert WhistleSummons.objects.get(pk=summons.pk).reported_in_time is True
    assert events("report_to_whistle")[0].changes["late"] == [None, False]


def test_a_report_after_the_deadline_is_recorded_and_flagged_late(board: Board) -> None:
    late = board.whistle.report_due_at + timedelta(minutes=1)
    summons = report_to_whistle(
        board.whistle, by=board.personas.handler, organization=board.department, now=late
    )
    summons = WhistleSummons.objects.get(pk=summons.pk)
    assert (summons.reported_at, summons.reported_in_time) == (late, False)
    assert events("report_to_whistle")[0].changes == {
        "organization": [None, board.department.pk],
        "reported_at": [None, late.isoformat()],
        "late": [None, True],
    }


def _report_refusals() -> list[Any]:
    def case(name: str, error: type[DomainError], by: str, org: str, setup: str = "") -> Any:
        return pytest.param(error, by, org, setup, id=name)

    return [
        case("twice", Conflict, "handler", "unit", setup="reported"),
        case("department-not-summoned", NotAllowed, "fallback_handler", "fallback"),
        case("not-summoned-nor-handled", NotAllowed, "handler", "sibling_unit"),
        case("handler-of-another-unit", NotAllowed, "fallback_handler", "unit"),
        case("street-officer-for-a-unit", NotAllowed, "above", "unit"),
        case("community-worker", NotAllowed, "here", "department"),
        case("resident", NotAllowed, "resident", "unit"),
        case("closed-whistle", Conflict, "handler", "unit", setup="closed"),
        case("long-note", BadInput, "handler", "unit", setup="long"),
    ]


@pytest.mark.parametrize(("error", "by", "org", "setup"), _report_refusals())
def test_a_refused_report_leaves_no_trace(
    error: type[DomainError], by: str, org: str, setup: str, board: Board
) -> None:
    orgs = {
        "unit": board.unit,
        "department": board.department,
        "fallback": board.catalogue.fallback,
        "sibling_unit": board.city.sibling_unit,
    }
    user = board.fallback_handler if by == "fallback_handler" else getattr(board.personas, by)
    if setup == "reported":
        report_to_whistle(board.whistle, by=board.personas.handler, organization=board.unit)
    if setup == "closed":
        close_whistle(board.whistle, by=board.personas.above)
    note = "x" * 2001 if setup == "long" else "到场"
    before = state()
    with pytest.raises(error):
        report_to_whistle(board.whistle, by=user, organization=orgs[org], note=note)
    assert state() == before


# ── Closing ───────────────────────────────────────────────────────────────────────────────


def test_the_street_closes_an_open_whistle(board: Board) -> None:
    at = T0 + timedelta(hours=3)
    closed = close_whistle(board.whistle, by=board.personas.above, note="已修复", now=at)
    w = Whistle.objects.get(pk=closed.pk)
    assert (w.status, w.closed_at, w.closing_note) == (WhistleStatus.CLOSED, at, "已修复")
    event = events("close_whistle")[0]
    assert (event.actor, event.place_path) == (board.personas.above, board.city.community.path)
    assert event.changes == {"status": ["open", "closed"], "note": [None, "已修复"]}


@pytest.mark.parametrize("by", ["here", "sibling", "handler", "resident", "stranger"])
def test_only_the_street_closes_a_whistle(by: str, board: Board) -> None:
    before = state()
    with pytest.raises(NotAllowed):
        close_whistle(board.whistle, by=getattr(board.personas, by))
    assert state() == before


def test_closing_twice_is_refused_and_leaves_no_trace(board: Board) -> None:
    close_whistle(board.whistle, by=board.personas.above)
    before = state()
    with pytest.raises(Conflict, match="closed already"):
        close_whistle(board.whistle, by=board.personas.above, note="再关")
    assert state() == before


# ── Scoring ───────────────────────────────────────────────────────────────────────────────


def test_the_street_scores_each_party_after_closing(board: Board) -> None:
    close_whistle(board.whistle, by=board.personas.above)
    at = T0 + timedelta(days=1)
    for org, score in ((board.unit, 0), (board.department, 100)):
        summons = score_summons(
            board.whistle, by=board.personas.above, organization=org, score=score,
            comment="响应迅速" if score else "", now=at,
        )  # fmt: skip
        summons = WhistleSummons.objects.get(pk=summons.pk)
        assert (summons.score, summons.scored_at) == (score, at)
    assert [e.changes for e in events("score_summons")] == [
        {"organization": [None, board.unit.pk], "score": [None, 0]},
        {"organization": [None, board.department.pk], "score": [None, 100], "note": [None, "响应迅速"]},
    ]  # fmt: skip


def _score_refusals() -> list[Any]:
    def case(name: str, error: type[DomainError], **kw: Any) -> Any:
        return pytest.param(error, kw, id=name)

    return [
        case("open-whistle", Conflict, closed=False),
        case("below-range", BadInput, score=-1),
        case("above-range", BadInput, score=101),
        case("not-a-number", BadInput, score="90"),
        case("a-boolean", BadInput, score=True),
        case("twice", Conflict, scored=True),
        case("not-summoned", NotAllowed, org="fallback"),
        case("community-worker", NotAllowed, by="here"),
        case("handler", NotAllowed, by="handler"),
        case("long-comment", BadInput, comment="x" * 2001),
    ]


@pytest.mark.parametrize(("error", "kw"), _score_refusals())
def test_a_refused_score_leaves_no_trace(
    error: type[DomainError], kw: dict[str, Any], board: Board
) -> None:
    if kw.get("closed", True):
        close_whistle(board.whistle, by=board.personas.above)
    if kw.get("scored"):
        score_summons(board.whistle, by=board.personas.above, organization=board.unit, score=60)
    org = board.catalogue.fallback if kw.get("org") == "fallback" else board.unit
    before = state()
    with pytest.raises(error):
        score_summons(
            board.whistle,
            by=getattr(board.personas, kw.get("by", "above")),
            organization=org,
            score=kw.get("score", 80),
            comment=kw.get("comment", ""),
        )
    assert state() == before


# ── Who reads which whistle ───────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("above", {"whistle", "sibling_whistle"}),
        ("here", {"whistle"}),
        ("sibling", {"sibling_whistle"}),
        ("handler", {"whistle"}),
        ("fallback_handler", set()),
        ("resident", set()),
        ("stranger", set()),
        ("anonymous", set()),
    ],
)
def test_who_reads_which_whistle(persona: str, expected: set[str], board: Board) -> None:
    from django.contrib.auth.models import AnonymousUser

    user: Any = {
        "anonymous": AnonymousUser(),
        "fallback_handler": board.fallback_handler,
    }.get(persona) or getattr(board.personas, persona)
    ids = set(visible_whistles(user).values_list("pk", flat=True))
    assert ids == {getattr(board, name).pk for name in expected}


def test_a_handler_of_two_summoned_units_sees_the_whistle_once(board: Board) -> None:
    assert list(visible_whistles(board.personas.handler).values_list("pk", flat=True)) == [
        board.whistle.pk
    ]


def test_permissions(board: Board) -> None:
    p = board.personas
    assert [u.has_perm("demands.blow_whistle") for u in (p.above, p.here, p.handler)] == [
        True,
        False,
        False,
    ]
    assert [u.has_perm("demands.run_whistle", board.whistle) for u in (p.above, p.here)] == [
        True,
        False,
    ]
    reporters = (p.handler, board.fallback_handler, p.above)
    assert [u.has_perm("demands.report_to_whistle", board.whistle) for u in reporters] == [
        True,
        False,
        False,
    ]


# ── The unit's record for the scorecard ───────────────────────────────────────────────────


def test_the_unit_s_monthly_whistle_record(board: Board, django_assert_num_queries: Any) -> None:
    p, unit = board.personas, board.unit
    report_to_whistle(board.whistle, by=p.handler, organization=unit, now=T0)  # in time
    second = blow(board.city, p.above, board.city.street, [unit], title="二号", now=T0)
    report_to_whistle(second, by=p.handler, organization=unit, now=T0 + timedelta(hours=1))
    blow(board.city, p.above, board.city.street, [unit], title="三号", now=T0)  # no report
    april = blow(board.city, p.above, board.city.street, [unit], title="四月",
                 now=datetime(2025, 4, 1, 0, 0, tzinfo=SHANGHAI))  # fmt: skip
    for w, score in ((board.whistle, 90), (second, 75)):
        close_whistle(w, by=p.above)
        score_summons(w, by=p.above, organization=unit, score=score)
    close_whistle(april, by=p.above)
    score_summons(april, by=p.above, organization=unit, score=10)
    with django_assert_num_queries(1):
        march = unit_whistle_record(unit, date(2025, 3, 1))
    assert march == WhistleRecord(
        summoned=3, reported_in_time=1, reported_late=1, scored=2, average_score=Decimal("82.5")
    )
    assert march.not_reported == 1
    assert unit_whistle_record(unit, date(2025, 4, 1)) == WhistleRecord(1, 0, 0, 1, Decimal("10.0"))
    assert unit_whistle_record(unit, date(2025, 2, 1)) == WhistleRecord(0, 0, 0, 0, None)
    assert unit_whistle_record(board.department, date(2025, 3, 1)) == WhistleRecord(
        1, 0, 0, 0, None
    )


# ── Pages ─────────────────────────────────────────────────────────────────────────────────


def html(response: Any) -> str:
    return response.content.decode()


def listed(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-whistle="(\d+)"', page)]


def test_the_board_lists_open_whistles_first_then_closed_newest_first(
    board: Board, client_for: Any
) -> None:
    p = board.personas
    closed = blow(board.city, p.above, board.city.street, [board.unit], title="旧哨", now=T0)
    close_whistle(closed, by=p.above)
    newest = blow(board.city, p.above, board.city.street, [board.unit], title="新哨", now=T0)
    page = html(client_for(p.above).get("/demands/whistles/"))
    assert listed(page) == [newest.pk, board.sibling_whistle.pk, board.whistle.pk, closed.pk]
    assert 'href="/demands/whistles/new/"' in page
    assert page.count("0 of 1 reported on site") == 3
    assert page.count("0 of 2 reported on site") == 1


def test_the_board_per_persona(board: Board, client_for: Any) -> None:
    p = board.personas
    assert listed(html(client_for(p.here).get("/demands/whistles/"))) == [board.whistle.pk]
    assert listed(html(client_for(p.sibling).get("/demands/whistles/"))) == [
        board.sibling_whistle.pk
    ]
    handler_page = html(client_for(p.handler).get("/demands/whistles/"))
    assert listed(handler_page) == [board.whistle.pk]
    assert 'href="/demands/whistles/new/"' not in handler_page
    assert client_for(board.fallback_handler).get("/demands/whistles/").status_code == 200
    assert client_for(p.resident).get("/demands/whistles/").status_code == 404


def test_the_board_marks_overdue_whistles_and_counts_reports(board: Board, client_for: Any) -> None:
    report_to_whistle(board.whistle, by=board.personas.handler, organization=board.unit, now=T0)
    page = html(client_for(board.personas.here).get("/demands/whistles/"))
    assert "1 of 2 reported on site" in page
    assert page.count("overdue") == 1  # blown at T0, long ago: the department is missing


def test_the_board_pages_with_a_cursor(board: Board, client_for: Any, settings: Any) -> None:
    settings.PAGE_SIZE = 1
    client = client_for(board.personas.above)
    first = html(client.get("/demands/whistles/"))
    assert listed(first) == [board.sibling_whistle.pk]
    cursor = re.search(r'cursor=([\w-]+)"', first)
    assert cursor is not None
    second = client.get(f"/demands/whistles/?cursor={cursor[1]}", headers={"HX-Request": "true"})
    assert listed(html(second)) == [board.whistle.pk]
    assert next(t.name for t in second.templates) == "demands/whistle_list_rows.html"
    assert client.get("/demands/whistles/?cursor=broken!").status_code == 400


# Blowing through the page


def form_data(board: Board, **change: Any) -> dict[str, Any]:
    data = {
        "kind": "emergency",
        "title": "管道爆裂",
        "description": "草厂三条供水管道爆裂",
        "place": board.city.courtyard.code,
        "demand": "",
        "organizations": [board.unit.pk, board.department.pk],
    }
    data.update(change)
    return data


def test_the_form_offers_the_district_s_active_organizations_by_name(
    board: Board, client_for: Any
) -> None:
    page = html(client_for(board.personas.above).get("/demands/whistles/new/"))
    offered = re.findall(r'name="organizations" value="(\d+)"', page)
    expected = Organization.objects.filter(
        is_active=True, place_path__startswith=board.city.district.path
    ).order_by("name", "pk")
    assert [int(pk) for pk in offered] == [org.pk for org in expected]
    assert board.far_unit.pk not in [int(pk) for pk in offered]
    found = html(client_for(board.personas.above).get("/demands/whistles/new/?org_q=东城区"))
    assert [int(pk) for pk in re.findall(r'name="organizations" value="(\d+)"', found)] == [
        board.catalogue.fallback.pk,
        board.department.pk,
    ]


def test_the_street_blows_a_whistle_through_the_page(board: Board, client_for: Any) -> None:
    response = client_for(board.personas.above).post("/demands/whistles/new/", form_data(board))
    w = Whistle.objects.latest("pk")
    assert response.status_code == 302
    assert response["Location"] == f"/demands/whistles/{w.pk}/"
    assert (w.kind, w.title, w.place, w.street, w.demand) == (
        "emergency",
        "管道爆裂",
        board.city.courtyard,
        board.city.street,
        None,
    )
    assert sorted(w.summonses.values_list("organization_id", flat=True)) == sorted(
        [board.unit.pk, board.department.pk]
    )


def test_a_whistle_on_a_demand_takes_the_demand_s_place(board: Board, client_for: Any) -> None:
    client = client_for(board.personas.above)
    form = html(client.get(f"/demands/whistles/new/?demand={board.demand.pk}"))
    assert f'name="demand" value="{board.demand.pk}"' in form
    response = client.post(
        "/demands/whistles/new/", form_data(board, place="", demand=board.demand.pk)
    )
    assert response.status_code == 302
    w = Whistle.objects.latest("pk")
    assert (w.place, w.demand) == (board.city.courtyard, board.demand)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"place": "110108016001"}, "place", "No place with this code lies within your street."),
        ({"place": "nowhere"}, "place", "No place with this code lies within your street."),
        ({"place": "110101000000"}, "place", "No place with this code lies within your street."),
        ({"place": ""}, "place", "Give the place's code, or a demand's number."),
        ({"organizations": []}, "organizations", "Summon at least one department or unit."),
        ({"organizations": ["x"]}, "organizations", "Summon only active departments"),
        ({"organizations": [999999]}, "organizations", "Summon only active departments"),
        ({"kind": "siren"}, "kind", "Select a valid choice."),
        ({"title": ""}, "title", "This field is required."),
        ({"demand": "abc"}, "demand", "Enter a whole number."),
        ({"demand": "999999"}, "demand", "No demand with this number is within your street."),
    ],
)
def test_bad_whistles_are_400_and_store_nothing(
    change: dict[str, Any], field: str, message: str, board: Board, client_for: Any
) -> None:
    before = state()
    response = client_for(board.personas.above).post(
        "/demands/whistles/new/", form_data(board, **change)
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert any(message in e for e in errors[field]), errors
    assert state() == before


def test_a_party_of_another_district_is_refused_by_the_action(
    board: Board, client_for: Any
) -> None:
    """An officer of two districts' streets is offered both districts' units; a whistle in
    one may summon only that district's."""
    people_actions.assign_role(
        board.personas.above, by=None, kind=RoleKind.STREET_OFFICER,
        place=board.city.far_community.parent,
    )  # fmt: skip
    before = state()
    response = client_for(board.personas.above).post(
        "/demands/whistles/new/", form_data(board, organizations=[board.far_unit.pk])
    )
    assert response.status_code == 400
    assert response.context["form"].errors["organizations"]
    assert re.search(rf'value="{board.far_unit.pk}"[^>]*checked', html(response))
    assert state() == before


def test_a_demand_elsewhere_reads_like_a_missing_one(board: Board, client_for: Any) -> None:
    far = _far_demand(board)
    before = state()
    response = client_for(board.personas.above).post(
        "/demands/whistles/new/", form_data(board, demand=far.pk)
    )
    assert response.status_code == 400
    assert response.context["form"].errors["demand"] == [
        "No demand with this number is within your street."
    ]
    assert state() == before


# One whistle's page


def test_the_page_shows_each_summons_and_the_forms_of_the_viewer(
    board: Board, client_for: Any
) -> None:
    p = board.personas
    report_to_whistle(board.whistle, by=p.handler, organization=board.unit, note="两人到场",
                      now=T0 + timedelta(minutes=40))  # fmt: skip
    url = f"/demands/whistles/{board.whistle.pk}/"
    above = html(client_for(p.above).get(url))
    handler = html(client_for(p.handler).get(url))
    here = html(client_for(p.here).get(url))
    assert re.findall(r'data-summons="(\d+)"', above) == [
        str(board.unit.pk),
        str(board.department.pk),
    ]
    assert "两人到场" in above and above.count("data-late") == 1
    assert "Not reported: overdue" in above
    assert f'action="/demands/whistles/{board.whistle.pk}/close/"' in above
    assert "/report/" not in above and "/score/" not in above
    # The handler reported for the unit; the department's form remains.
    assert handler.count(f'action="/demands/whistles/{board.whistle.pk}/report/"') == 1
    assert f'name="organization" value="{board.department.pk}"' in handler
    assert "/close/" not in handler
    assert "/report/" not in here and "/close/" not in here and "/score/" not in here
    # The demand: a link for those who may open it.
    assert f'href="/demands/{board.demand.pk}/"' in above
    assert f'href="/demands/{board.demand.pk}/"' not in handler


def test_reporting_closing_and_scoring_through_the_page(board: Board, client_for: Any) -> None:
    p, pk = board.personas, board.whistle.pk
    handler, street = client_for(p.handler), client_for(p.above)
    response = handler.post(f"/demands/whistles/{pk}/report/",
                            {"organization": board.department.pk, "note": "已到场"})  # fmt: skip
    assert (response.status_code, response["Location"]) == (302, f"/demands/whistles/{pk}/")
    summons = WhistleSummons.objects.get(whistle=board.whistle, organization=board.department)
    assert (summons.report_note, summons.reported_in_time) == ("已到场", False)  # T0 is past
    response = street.post(f"/demands/whistles/{pk}/close/", {"note": "修复完毕"})
    assert response.status_code == 302
    assert Whistle.objects.get(pk=pk).status == WhistleStatus.CLOSED
    page = html(street.get(f"/demands/whistles/{pk}/"))
    assert page.count(f'action="/demands/whistles/{pk}/score/"') == 2
    assert f'id="score-{board.unit.pk}-score"' in page
    response = street.post(f"/demands/whistles/{pk}/score/",
                           {"organization": board.department.pk, "score": "88", "comment": "好"})  # fmt: skip
    assert response.status_code == 302
    summons.refresh_from_db()
    assert (summons.score, summons.score_comment) == (88, "好")
    page = html(street.get(f"/demands/whistles/{pk}/"))
    assert page.count(f'action="/demands/whistles/{pk}/score/"') == 1
    assert "<strong data-score>88</strong>" in page


def test_a_refused_step_shows_its_message_and_changes_nothing(
    board: Board, client_for: Any
) -> None:
    p, pk = board.personas, board.whistle.pk
    handler = client_for(p.handler)
    handler.post(f"/demands/whistles/{pk}/report/", {"organization": board.unit.pk})
    before = state()
    twice = handler.post(f"/demands/whistles/{pk}/report/", {"organization": board.unit.pk})
    not_summoned = handler.post(
        f"/demands/whistles/{pk}/report/", {"organization": board.city.sibling_unit.pk}
    )
    unknown = handler.post(f"/demands/whistles/{pk}/report/", {"organization": 999999})
    early = client_for(p.above).post(
        f"/demands/whistles/{pk}/score/", {"organization": board.unit.pk, "score": "90"}
    )
    assert twice.status_code == 409 and "reported on site at" in html(twice)
    assert not_summoned.status_code == 403 and "You do not act for" in html(not_summoned)
    assert unknown.status_code == 400
    assert early.status_code == 409 and "Close the whistle before scoring" in html(early)
    assert state() == before


def test_a_score_out_of_range_is_a_400_on_the_page(board: Board, client_for: Any) -> None:
    close_whistle(board.whistle, by=board.personas.above)
    before = state()
    for score in ("101", "-1", "ninety", ""):
        response = client_for(board.personas.above).post(
            f"/demands/whistles/{board.whistle.pk}/score/",
            {"organization": board.unit.pk, "score": score},
        )
        assert response.status_code == 400
        assert 'role="alert"' in html(response)
    assert state() == before


def test_texts_are_escaped_everywhere(board: Board, client_for: Any) -> None:
    p = board.personas
    w = blow(board.city, p.above, board.city.community, [board.unit], title=XSS, description=XSS)
    report_to_whistle(w, by=p.handler, organization=board.unit, note=XSS)
    close_whistle(w, by=p.above, note=XSS)
    score_summons(w, by=p.above, organization=board.unit, score=50, comment=XSS)
    for page in (
        html(client_for(p.above).get(f"/demands/whistles/{w.pk}/")),
        html(client_for(p.above).get("/demands/whistles/")),
    ):
        assert "&lt;script&gt;" in page
        assert "<script>alert" not in page and "<svg" not in page


def test_the_search_is_never_reflected_raw(board: Board, client_for: Any) -> None:
    client = client_for(board.personas.above)
    page = html(client.get("/demands/whistles/new/", {"org_q": XSS[:50], "demand": XSS[:50]}))
    assert "<script>alert" not in page and "<svg" not in page
    assert "&lt;script&gt;" in page


def test_the_requester_s_details_never_show(board: Board, client_for: Any) -> None:
    for user in (board.personas.above, board.personas.handler):
        page = html(client_for(user).get(f"/demands/whistles/{board.whistle.pk}/"))
        assert "13800138000" not in page and "王秀兰" not in page


# Fixed query counts


def grow(board: Board, n: int) -> None:
    """n more whistles in 草厂, each summoning the unit and n more units of the street."""
    p = board.personas
    extra = [
        org_actions.create_organization(
            by=None, name=f"前门单位{i:03d}", kind=OrganizationKind.ENTERPRISE,
            place=board.city.community, credit_code=credit_code(100 + i),
        )
        for i in range(n)
    ]  # fmt: skip
    for i in range(n):
        w = blow(board.city, p.above, board.city.community, [board.unit, *extra], title=f"哨{i}")
        report_to_whistle(w, by=p.handler, organization=board.unit)
        if i % 2:
            close_whistle(w, by=p.above)
    # The main whistle: n more parties.
    WhistleSummons.objects.bulk_create(WhistleSummons(whistle=board.whistle, organization=o)
                                       for o in extra)  # fmt: skip


@dataclass(frozen=True)
class Page:
    name: str
    persona: str
    url: Callable[[Board], str]
    queries: int
    closed: bool = False  # the main whistle closed first: the street's page has score forms


# Session, user (2); unread-notifications badge (1); staff scope (1); the page (1), or for a handler without a staff role
# "handles any unit?" (1) and the page (1). The form: + the organizations (1). The whistle:
# the whistle (1), its summonses (1), the viewer's units among them (1), may the viewer open
# the demand (1), and for a handler "does the user answer this whistle" is not asked on GET.
PAGES = [
    Page("board-street", "above", lambda b: "/demands/whistles/", 5),
    Page("board-community", "here", lambda b: "/demands/whistles/", 5),
    Page("board-handler", "handler", lambda b: "/demands/whistles/", 6),
    Page("form", "above", lambda b: "/demands/whistles/new/", 5),
    Page("detail-street", "above", lambda b: f"/demands/whistles/{b.whistle.pk}/", 8),
    Page("detail-handler", "handler", lambda b: f"/demands/whistles/{b.whistle.pk}/", 8),
    Page("detail-closed", "above", lambda b: f"/demands/whistles/{b.whistle.pk}/", 8, True),
]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_pages_cost_a_fixed_number_of_queries(
    page: Page, board: Board, client_for: Any, django_assert_num_queries: Any
) -> None:
    client: Client = client_for(getattr(board.personas, page.persona))
    url = page.url(board)
    if page.closed:
        close_whistle(board.whistle, by=board.personas.above)
    with django_assert_num_queries(page.queries):
        assert client.get(url).status_code == 200
    grow(board, 6)
    with django_assert_num_queries(page.queries):
        response = client.get(url)
    assert response.status_code == 200
    if "detail" in page.name:
        assert html(response).count("data-summons=") == 8


def test_now_is_used_when_no_time_is_given(board: Board) -> None:
    before = timezone.now()
    w = blow(board.city, board.personas.above, board.city.street, [board.unit], title="现在")
    assert before <= w.blown_at <= timezone.now()


# The unit's scorecard


def record_on_scorecard(page: str) -> list[tuple[str, str]]:
    section = page.split('id="whistle-record"', 1)[1].split("</dl>", 1)[0]
    return [
        (dt, re.sub(r"<[^>]+>", "", dd))
        for dt, dd in re.findall(r"<dt>([^<]+)</dt><dd>(.*?)</dd>", section)
    ]


def test_the_unit_scorecard_shows_how_it_answered_the_month_s_whistles(
    board: Board, client_for: Any, django_assert_num_queries: Any
) -> None:
    p, dept = board.personas, board.department
    client = client_for(p.handler)
    url = f"/demands/scorecard/unit/{dept.pk}/?month=2025-03"
    empty = html(client.get(f"/demands/scorecard/unit/{dept.pk}/?month=2025-02"))
    assert "No street summoned this unit by a whistle in this month." in empty
    report_to_whistle(board.whistle, by=p.handler, organization=dept, now=T0)
    close_whistle(board.whistle, by=p.above)
    score_summons(board.whistle, by=p.above, organization=dept, score=87)
    late = blow(board.city, p.above, board.city.street, [dept], title="二号", now=T0)
    report_to_whistle(late, by=p.handler, organization=dept, now=T0 + timedelta(minutes=31))
    close_whistle(late, by=p.above)
    score_summons(late, by=p.above, organization=dept, score=60)
    with django_assert_num_queries(8):  # test_scorecard.PAGES: unit-handler
        page = html(client.get(url))
    assert record_on_scorecard(page) == [
        ("Summoned", "2"),
        ("Reported on site in time", "1"),
        ("Reported late", "1"),
        ("Not reported", "0"),
        ("Average score", "73.5"),
    ]
    assert "2 summonses scored by the street." in page
    for i in range(5):
        blow(board.city, p.above, board.city.street, [dept], title=f"更多{i}", now=T0)
    with django_assert_num_queries(8):
        page = html(client.get(url))
    assert record_on_scorecard(page)[0] == ("Summoned", "7")
    assert record_on_scorecard(page)[3] == ("Not reported", "5")
