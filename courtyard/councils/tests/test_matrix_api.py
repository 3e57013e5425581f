"""The permission matrix of the councils API: every operation × every persona, each with its
own Bearer token.

Personas: `anonymous`; `stranger` (an account, no role); `resident` (home in a 草厂
courtyard, the proposer); `member` (a resident representative on the council); `secretary`
(the council's secretary); `here` (community worker at 草厂社区, where the council sits);
`above` (street officer); `sibling` (community worker next door).

What may not be seen answers 404 like a missing object; a visible object on which the rules
refuse a step answers 403 (401 when anonymous); an allowed step that the state refuses is
the action's 409. A request that may not write leaves no trace: no row in any table of the
councils, demands, people or audit trail changes. `test_every_council_operation_is_in_the_
matrix` fails when the OpenAPI document declares a council operation that no case sends.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from conftest import City, Personas
from courtyard.councils import actions
from courtyard.councils.models import FollowUpTask, Resolution, ResolutionStatus
from courtyard.councils.tests.conftest import Board
from courtyard.demands.models import ServiceCategory
from courtyard.people.actions import issue_token

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "stranger", "resident", "member", "secretary", "here", "above", "sibling")
STAFF = ("here", "above")
RUNNERS = (*STAFF, "secretary")
MEMBERS = ("member", "secretary")
MISSING = 999_999
STATE_APPS = ("core", "people", "councils", "demands")
VOLATILE = {"last_used_at", "last_login"}
PARTS = [{"part": "1-101", "area": "85.50", "owner_id": "O1", "owner_name": "业主甲"}]


def expect(default: int, **allowed: str | tuple[str, ...]) -> dict[str, int]:
    """The status per persona: `default` (401 for anonymous where it is 403), and
    overrides given as s<code>=persona or s<code>=(personas…)."""
    table = dict.fromkeys(PERSONAS, default)
    table["anonymous"] = 401 if default == 403 else default
    for key, names in allowed.items():
        code = int(key.removeprefix("s"))
        for name in names if isinstance(names, tuple) else (names,):
            table[name] = code
    return table


def staff(ok: int) -> dict[str, int]:
    return expect(403, **{f"s{ok}": STAFF})


def runners(ok: int) -> dict[str, int]:
    return expect(403, **{f"s{ok}": RUNNERS})


def logged_in(ok: int) -> dict[str, int]:
    return {**dict.fromkeys(PERSONAS, ok), "anonymous": 401}


PUBLIC = dict.fromkeys(PERSONAS, 200)
NOBODY = dict.fromkeys(PERSONAS, 404)


@dataclass
class World:
    ids: dict[str, int]
    tokens: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def world(board: Board, city: City, personas: Personas) -> World:
    here, now = personas.here, timezone.now()
    council = board.council
    sibling_council = actions.create_council(by=personas.sibling, place=city.sibling, name="西街")
    proposal = actions.raise_proposal(council, by=personas.resident, title="晾衣架", body="b")
    screened = actions.screen_proposal(
        actions.raise_proposal(council, by=personas.resident, title="路灯", body="b"), by=here
    )

    draft = actions.schedule_meeting(
        council, by=here, title="草稿", location="居委会", starts_at=now + timedelta(days=10)
    )
    actions.add_motion(draft, by=here, title="议题")
    starts = now + timedelta(minutes=30)
    earlier = starts - timedelta(days=4)

    def announced(title: str) -> Any:
        meeting = actions.schedule_meeting(
            council, by=here, title=title, location="居委会", starts_at=starts, now=earlier
        )
        motion = actions.add_motion(meeting, by=here, title="议题", now=earlier)
        actions.add_motion(meeting, by=here, title="议题二", now=earlier)
        return actions.announce_meeting(meeting, by=here, now=earlier), motion

    ready, _motion = announced("待开")
    live, motion = announced("进行中")
    actions.open_meeting(live, by=here)
    actions.record_attendance(live, by=here, members=board.members[:3])
    actions.start_debate(motion, by=here)
    speech = actions.give_floor(motion, by=here, member=board.members[2], stance="for")
    pending = live.motions.get(position=2)

    draft_vote = actions.create_vote(council, by=here, title="草稿表决")
    online = actions.open_vote(
        actions.create_vote(
            council, by=here, title="网上表决",
            online_opens_at=now - timedelta(minutes=1), online_closes_at=now + timedelta(hours=1),
        ),
        by=here,
    )  # fmt: skip
    closed = actions.close_vote(
        actions.open_vote(actions.create_vote(council, by=here, title="已结束"), by=here), by=here
    )
    voter = online.voters.order_by("key").first()
    assert voter is not None

    def resolution(status: str, **fields: Any) -> Resolution:
        return Resolution.objects.create(
            council=council, place_path=council.place_path, title=status, text="t",
            status=status, **fields,
        )  # fmt: skip

    draft_res = resolution(ResolutionStatus.DRAFT)
    published = resolution(
        ResolutionStatus.PUBLISHED, published_at=now, objection_ends_at=now + timedelta(days=7),
        publication_ends_at=now + timedelta(days=7), objection_threshold=5,
    )  # fmt: skip
    in_effect = resolution(ResolutionStatus.IN_EFFECT, took_effect_at=now)
    task = actions.add_task(
        in_effect,
        by=here,
        title="采购",
        owner=board.members[2].user,
        due_at=now + timedelta(days=9),
    )
    other_task = actions.add_task(
        in_effect, by=here, title="派单", organization=city.unit, due_at=now + timedelta(days=9)
    )
    ServiceCategory.objects.create(service_code="lamp", name="路灯", name_en="Street light")
    roll = actions.import_roll(
        council,
        by=here,
        name="名册",
        data=b"part,area,owner_id,owner_name\n1-101,80,O1,\xe7\x94\xb2\n",
    )
    ids = {
        "council": council.pk, "sibling_council": sibling_council.pk, "proposal": proposal.pk,
        "screened": screened.pk, "draft": draft.pk, "ready": ready.pk, "live": live.pk,
        "motion": motion.pk, "pending": pending.pk, "speech": speech.pk,
        "draft_vote": draft_vote.pk, "online": online.pk, "closed": closed.pk,
        "voter": voter.pk, "draft_res": draft_res.pk, "published": published.pk,
        "in_effect": in_effect.pk, "task": task.pk, "other_task": other_task.pk,
        "roll": roll.pk, "member": board.members[2].pk, "fifth": board.members[4].pk,
        "place": city.community.pk, "user": personas.stranger.pk, "unit": city.unit.pk,
        "missing": MISSING,
    }  # fmt: skip
    w = World(ids)
    users = {
        **{name: getattr(personas, name) for name in ("stranger", "resident", "here", "above")},
        "sibling": personas.sibling,
        "member": board.members[2].user,
        "secretary": board.secretary.user,
    }
    for persona, user in users.items():
        _token, w.tokens[persona] = issue_token(user, by=user, name="matrix")
    return w


@dataclass(frozen=True)
class Case:
    label: str
    method: str
    path: str  # as the OpenAPI document names it, with the world's keys in braces
    expect: dict[str, int]
    body: Callable[[World], dict[str, Any]] | None = None
    multipart: bool = False

    def url(self, w: World) -> str:
        import re

        return "/api/v1" + re.sub(r"\{(\w+)\}", lambda m: str(w.ids[m.group(1)]), self.path)

    @property
    def operation(self) -> tuple[str, str]:
        """(the OpenAPI path, method) this case sends."""
        import re

        generic = re.sub(
            r"\{(\w+)\}", lambda m: "{" + PARAM.get(m.group(1), m.group(1)) + "}", self.path
        )
        return "/api/v1" + generic, self.method.lower()


PARAM = {
    "council": "council_id", "sibling_council": "council_id", "missing": "id",
    "proposal": "proposal_id", "screened": "proposal_id",
    "draft": "meeting_id", "ready": "meeting_id", "live": "meeting_id",
    "motion": "motion_id", "pending": "motion_id", "speech": "speech_id",
    "draft_vote": "vote_id", "online": "vote_id", "closed": "vote_id",
    "draft_res": "resolution_id", "published": "resolution_id", "in_effect": "resolution_id",
    "task": "task_id", "other_task": "task_id", "roll": "roll_id",
    "fifth": "member_id",
}  # fmt: skip


def body(**fields: Any) -> Callable[[World], dict[str, Any]]:
    """A request body; string values "@key" are the world's ids."""

    def make(w: World) -> dict[str, Any]:
        def value(v: Any) -> Any:
            if isinstance(v, str) and v.startswith("@"):
                return w.ids[v[1:]]
            if isinstance(v, list):
                return [value(x) for x in v]
            if isinstance(v, dict):
                return {k: value(x) for k, x in v.items()}
            return v

        return {k: value(v) for k, v in fields.items()}

    return make


FUTURE = (timezone.now() + timedelta(days=30)).isoformat()
DRAFT_READERS = expect(404, s200=STAFF)
VOTE_DRAFT_READERS = expect(404, s200=RUNNERS)
RES_DRAFT_READERS = expect(404, s200=(*STAFF, *MEMBERS))

CASES: list[Case] = [
    # Councils, charter, members
    Case("councils", "GET", "/councils", PUBLIC),
    Case("create", "POST", "/councils", staff(201), body(place="@place", name="新议事会")),
    Case("council", "GET", "/councils/{council}", PUBLIC),
    Case("council-missing", "GET", "/councils/{missing}", NOBODY),
    Case("charter", "PATCH", "/councils/{council}/charter", staff(200), body(notice_days=5)),
    Case("charter-sibling", "PATCH", "/councils/{sibling_council}/charter",
         expect(403, s200=("above", "sibling")), body(notice_days=5)),
    Case("seat", "POST", "/councils/{council}/members", staff(201),
         body(user="@user", role="resident")),
    Case("unseat", "POST", "/councils/{council}/members/{fifth}/remove", staff(200)),
    # Rolls
    Case("rolls", "GET", "/councils/{council}/rolls", expect(404, s200=STAFF)),
    Case("import", "POST", "/councils/{council}/rolls", staff(201), body(name="新", parts=PARTS)),
    Case("import-csv", "POST", "/councils/{council}/rolls/csv", staff(201), multipart=True),
    Case("roll", "GET", "/rolls/{roll}", expect(404, s200=STAFF)),
    Case("parts", "GET", "/rolls/{roll}/parts", expect(404, s200=STAFF)),
    # Proposals
    Case("proposals", "GET", "/councils/{council}/proposals", PUBLIC),
    Case("raise", "POST", "/councils/{council}/proposals", logged_in(201),
         body(title="新议题", body="理由")),
    Case("proposal", "GET", "/proposals/{proposal}", PUBLIC),
    Case("support", "POST", "/proposals/{proposal}/support", {**logged_in(200), "resident": 409}),
    Case("withdraw", "POST", "/proposals/{proposal}/withdraw", expect(403, s200="resident")),
    Case("screen", "POST", "/proposals/{proposal}/screen", staff(200)),
    Case("decline", "POST", "/proposals/{proposal}/decline", staff(200), body(reason="不属于")),
    # Meetings
    Case("meetings", "GET", "/councils/{council}/meetings", PUBLIC),
    Case("schedule", "POST", "/councils/{council}/meetings", staff(201),
         body(title="会", location="居委会", starts_at=FUTURE)),
    Case("meeting-draft", "GET", "/meetings/{draft}", DRAFT_READERS),
    Case("meeting", "GET", "/meetings/{live}", PUBLIC),
    Case("motion", "POST", "/meetings/{draft}/motions", expect(404, s201=STAFF),
         body(proposal="@screened")),
    Case("announce", "POST", "/meetings/{draft}/announce", expect(404, s200=STAFF)),
    Case("open", "POST", "/meetings/{ready}/open", runners(200)),
    Case("cancel", "POST", "/meetings/{ready}/cancel", staff(200)),
    Case("attendance", "POST", "/meetings/{live}/attendance", runners(200),
         body(members=["@fifth"])),
    Case("close", "POST", "/meetings/{live}/close", runners(200), body(minutes="纪要")),
    Case("debate", "POST", "/motions/{pending}/debate", runners(200)),
    Case("floor", "POST", "/motions/{motion}/floor", runners(200),
         body(member="@member", stance="against")),
    Case("defer", "POST", "/motions/{motion}/defer", runners(200)),
    Case("end", "POST", "/speeches/{speech}/end", runners(200)),
    # Votes
    Case("votes", "GET", "/councils/{council}/votes", PUBLIC),
    Case("vote-create", "POST", "/councils/{council}/votes", runners(201), body(title="表决")),
    Case("vote-draft", "GET", "/votes/{draft_vote}", VOTE_DRAFT_READERS),
    Case("vote", "GET", "/votes/{online}", PUBLIC),
    Case("result", "GET", "/votes/{closed}/result", PUBLIC),
    Case("result-open", "GET", "/votes/{online}/result", dict.fromkeys(PERSONAS, 409)),
    Case("voters", "GET", "/votes/{online}/voters", runners(200)),
    Case("vote-open", "POST", "/votes/{draft_vote}/open", expect(404, s200=RUNNERS)),
    Case("vote-cancel", "POST", "/votes/{draft_vote}/cancel", expect(404, s200=RUNNERS)),
    Case("vote-close", "POST", "/votes/{online}/close", runners(409)),  # the window runs
    Case("ballot", "POST", "/votes/{online}/ballot", expect(403, s200=MEMBERS), body(choice="yes")),
    Case("paper", "POST", "/votes/{online}/paper", runners(200),
         body(voter="@voter", choice="no", paper_ref="P-1")),
    Case("hands", "POST", "/votes/{online}/hands", runners(409),  # not at a meeting
         body(choices=[{"member": "@member", "choice": "yes"}])),
    # Resolutions and tasks
    Case("resolutions", "GET", "/resolutions", PUBLIC),
    Case("resolution-draft", "GET", "/resolutions/{draft_res}", RES_DRAFT_READERS),
    Case("resolution", "GET", "/resolutions/{published}", PUBLIC),
    Case("sign", "POST", "/resolutions/{draft_res}/sign",
         expect(404, s403=STAFF, s200=MEMBERS)),
    Case("signature", "POST", "/resolutions/{draft_res}/signatures",
         expect(404, s200=RUNNERS, s403="member"), body(member="@member")),
    Case("publish", "POST", "/resolutions/{draft_res}/publish",
         expect(404, s409=STAFF, s403=MEMBERS)),  # no signatures yet
    Case("object", "POST", "/resolutions/{published}/objections",
         expect(403, s201=("resident", *MEMBERS)), body(reason="不同意")),
    Case("task", "POST", "/resolutions/{in_effect}/tasks", staff(201),
         body(title="新任务", due_at=FUTURE, organization="@unit")),
    Case("complete", "POST", "/tasks/{task}/complete", expect(403, s200=(*STAFF, "member"))),
    Case("dispatch", "POST", "/tasks/{other_task}/dispatch", staff(200),
         body(category="lamp", organization="@unit")),
    Case("evaluate", "POST", "/resolutions/{in_effect}/evaluations",
         expect(403, s201=MEMBERS), body(rating="basic")),
]  # fmt: skip


def db_state() -> dict[str, list[tuple[Any, ...]]]:
    state = {}
    for label in STATE_APPS:
        for model in apps.get_app_config(label).get_models():
            names = [f.attname for f in model._meta.concrete_fields if f.attname not in VOLATILE]
            state[model._meta.label] = list(
                model._default_manager.order_by("pk").values_list(*names)
            )
    return state


def send(case: Case, w: World, persona: str) -> Any:
    headers = {"Accept-Language": "en"}
    if persona != "anonymous":
        headers["Authorization"] = f"Bearer {w.tokens[persona]}"
    client = Client(headers=headers)
    url = case.url(w)
    if case.method == "GET":
        return client.get(url)
    if case.multipart:
        csv = "part,area,owner_id,owner_name\n2-101,70,O9,乙\n".encode()
        upload = SimpleUploadedFile("roll.csv", csv, content_type="text/csv")
        return client.post(url, {"name": "上传", "file": upload})
    data = json.dumps(case.body(w) if case.body else {})
    return client.generic(case.method, url, data, content_type="application/json")


@pytest.mark.parametrize(
    ("case", "persona"),
    [pytest.param(c, p, id=f"{c.label}-{p}") for c in CASES for p in PERSONAS],
)
def test_council_api(case: Case, persona: str, world: World) -> None:
    before = db_state()
    response = send(case, world, persona)
    expected = case.expect[persona]
    assert response.status_code == expected, response.content
    if expected == 404:
        assert response.json() == {"detail": "Not found."}
    if case.method != "GET" and expected not in (200, 201):
        assert db_state() == before, "a refused request left a trace"
    elif case.method != "GET":
        assert db_state() != before, "the allowed request did nothing"


def test_every_council_operation_is_in_the_matrix() -> None:
    from config.api import api

    sent = {case.operation for case in CASES}
    sent = {(path.replace("{id}", "{council_id}"), method) for path, method in sent}
    council_tags = {"councils"}
    declared = {
        (path, method)
        for path, item in api.get_openapi_schema()["paths"].items()
        for method, operation in item.items()
        if council_tags & set(operation.get("tags", []))
    }
    assert sorted(declared - sent) == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_proposer_shows_only_to_the_proposer_and_the_staff(persona: str, world: World) -> None:
    case = Case("proposals", "GET", "/councils/{council}/proposals", PUBLIC)
    names = {p["proposer_name"] for p in send(case, world, persona).json()["items"]}
    assert names == ({"王秀兰"} if persona in ("resident", *STAFF) else {None})


@pytest.mark.parametrize("persona", PERSONAS)
def test_draft_resolutions_are_listed_only_to_members_and_staff(persona: str, world: World) -> None:
    case = Case("resolutions", "GET", "/resolutions", PUBLIC)
    ids = {r["id"] for r in send(case, world, persona).json()["items"]}
    assert (world.ids["draft_res"] in ids) == (persona in (*STAFF, *MEMBERS))
    assert world.ids["published"] in ids


@pytest.mark.parametrize("persona", PERSONAS)
def test_task_owners_are_named_only_to_the_staff_and_the_owner(persona: str, world: World) -> None:
    case = Case("resolution", "GET", "/resolutions/{in_effect}", PUBLIC)
    tasks = send(case, world, persona).json()["tasks"]
    owner = next(t["owner_name"] for t in tasks if t["id"] == world.ids["task"])
    assert owner == ("委员3" if persona in (*STAFF, "member") else None)
    assert FollowUpTask.objects.count() == 2
