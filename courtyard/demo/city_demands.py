"""The demo city's demands: the service catalogue, a responsibility table, the districts'
fallback governments and a few hundred demands in every state, made through the actions.

The demands are spread over the last three months (each step with `now=` its own time, so
the three rates have a history), with made-up requesters' names and 11-digit mobile
numbers as real hotline orders carry. Some are raised by `demo-resident` at her courtyard;
`demo-department` (东城区城市管理委员会) has street-light, road and sanitation orders in its
inbox, and `demo-unit` (草厂胡同文化发展有限公司) answers for community activities in 草厂.

Invariant: loading twice creates nothing. Categories are found by service code, the
fallback governments by credit code, responsibility rows by (category, place), demands by
their external id "DEMO-000123". Times are relative to the moment of the first run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from courtyard.demands import actions
from courtyard.demands.catalogue import load_catalogue
from courtyard.demands.conf import demand_settings
from courtyard.demands.generator import (
    ANSWERS,
    CATEGORY_WEIGHTS,
    CONSULTATION,
    DECLINE_REASONS,
    EXTENSION_REASONS,
    REOPEN_REASONS,
    RETURN_REASONS,
    Round,
    describe,
    minutes,
    one_round,
    person,
    reply_for,
    windows,
)
from courtyard.demands.models import (
    OPEN_STATUSES,
    Channel,
    Demand,
    Responsibility,
    ServiceCategory,
)
from courtyard.demo import credit
from courtyard.demo.city_orgs import OrgSpec
from courtyard.demo.city_places import (
    CAOCHANG,
    CHANGPING,
    DONGCHENG,
    HAIDIAN,
    HUILONGGUAN,
    QIANMEN,
    TIANTONGYUAN_N,
    TIANTONGYUAN_S,
    XUEYUAN_ROAD,
    XUEZHIYUAN,
    caochang_courtyard,
)
from courtyard.demo.naming import short_place_name
from courtyard.organizations.actions import create_organization
from courtyard.organizations.models import Organization, OrganizationKind
from courtyard.people.models import User
from courtyard.places.models import COMMUNITY_LEVEL_KINDS, Place, PlaceKind

DEMO_DEMANDS = 300
PREFIX = "DEMO-"
SEED = 12345
SPAN = timedelta(days=90)

# The districts' fallback owners (首接负责, 区政府兜底). Serials 101–103 fix their credit
# codes; the hand-written organizations of city_orgs count up from 1.
FALLBACKS = [
    OrgSpec("dongcheng-government", 101, OrganizationKind.GOVERNMENT_DEPARTMENT,
            credit.GOVERNMENT_ORGAN, DONGCHENG, "东城区人民政府",
            "Dongcheng District People's Government"),
    OrgSpec("haidian-government", 102, OrganizationKind.GOVERNMENT_DEPARTMENT,
            credit.GOVERNMENT_ORGAN, HAIDIAN, "海淀区人民政府",
            "Haidian District People's Government"),
    OrgSpec("changping-government", 103, OrganizationKind.GOVERNMENT_DEPARTMENT,
            credit.GOVERNMENT_ORGAN, CHANGPING, "昌平区人民政府",
            "Changping District People's Government"),
]  # fmt: skip

# (service code or None for the fallback, place code, organization key)
RESPONSIBILITIES: list[tuple[str | None, str, str]] = [
    ("public-works", DONGCHENG, "dongcheng-urban"),  # street lights, roads, manhole covers
    ("sanitation", DONGCHENG, "dongcheng-urban"),
    ("housing", DONGCHENG, "dongcheng-housing"),
    ("elder-care", DONGCHENG, "dongcheng-civil"),
    ("property", CAOCHANG, "hutong-property"),
    ("community-activity", CAOCHANG, "hutong-culture"),  # demo-unit's unit
    ("property", XUEZHIYUAN, "xueqing-property"),
    (None, DONGCHENG, "dongcheng-government"),
    (None, HAIDIAN, "haidian-government"),
    (None, CHANGPING, "changping-government"),
]

# Where demands are raised, and how often (share of the demands).
AREAS = [("caochang", 35), ("qianmen", 12), ("xuezhiyuan", 15), ("xueyuan", 15), ("changping", 23)]

# How the demands end up (share), for those not scripted below.
OUTCOMES = [
    ("closed", 44), ("closed_unrated", 3), ("replied", 7), ("contacted", 6),
    ("contacted_overdue", 3), ("signed", 3), ("signed_overdue", 2), ("dispatched", 3),
    ("dispatched_overdue", 3), ("accepted", 3), ("submitted", 6), ("declined", 3),
    ("merged", 3), ("reopened", 3), ("reopened_open", 2), ("returned", 3),
    ("extension", 1),
]  # fmt: skip

# demo-resident's own demands at her courtyard, and a few for demo-unit's inbox:
# (service code, outcome, raised by demo-resident?)
SCRIPTED = [
    ("streetlight", "closed", True),
    ("garbage", "replied", True),  # she can rate it now
    ("streetlight", "contacted", True),  # in demo-department's hands
    ("road-damage", "dispatched", True),  # waiting for demo-department to sign
    ("roof-leak", "signed", True),
    ("community-activity", "submitted", True),  # waiting for demo-worker's triage
    ("heating", "reopened_open", True),
    ("policy-enquiry", "answered", True),
    ("community-activity", "dispatched", False),  # demo-unit: to sign
    ("community-activity", "contacted", False),
    ("community-activity", "closed", False),
    ("streetlight", "dispatched_overdue", False),  # demo-department: overdue
    ("manhole-cover", "signed", False),
]


@dataclass
class Context:
    """What the planner needs: places, people, categories and the clock."""

    rng: random.Random
    now: datetime
    users: dict[str, User]
    orgs: dict[str, Organization]
    categories: dict[str, ServiceCategory]
    areas: dict[str, list[Place]]
    home: Place
    triage_by: dict[str, User | None]  # area → who triages there
    handler_by: dict[int, User]  # organization → its demo handler


def load_fallbacks(orgs: dict[str, Organization]) -> int:
    """Create the districts' fallback governments that are missing; adds them to `orgs`."""
    made = 0
    places = {p.code: p for p in Place.objects.filter(code__in={s.place_code for s in FALLBACKS})}
    existing = {
        o.credit_code: o
        for o in Organization.objects.filter(credit_code__in=[s.credit_code for s in FALLBACKS])
    }
    for spec in FALLBACKS:
        org = existing.get(spec.credit_code)
        if org is None:
            org = create_organization(
                by=None,
                name=spec.name,
                name_en=spec.name_en,
                kind=spec.kind,
                place=places[spec.place_code],
                credit_code=spec.credit_code,
            )
            made += 1
        orgs[spec.key] = org
    return made


def load_responsibilities(orgs: dict[str, Organization]) -> int:
    """The demo responsibility table; a row that exists for (category, place) is kept as is
    (staff may have changed its unit)."""
    codes = {code for code, _, _ in RESPONSIBILITIES if code}
    categories = {c.service_code: c for c in ServiceCategory.objects.filter(service_code__in=codes)}
    places = {p.code: p for p in Place.objects.filter(code__in={p for _, p, _ in RESPONSIBILITIES})}
    made = 0
    for code, place_code, key in RESPONSIBILITIES:
        category = categories[code] if code else None
        place = places[place_code]
        if not Responsibility.objects.filter(category=category, place=place).exists():
            Responsibility.objects.create(category=category, place=place, organization=orgs[key])
            made += 1
    return made


def _areas() -> dict[str, list[Place]]:
    def communities(*streets: str, but: tuple[str, ...] = ()) -> list[Place]:
        return list(
            Place.objects.filter(parent__code__in=streets, kind__in=COMMUNITY_LEVEL_KINDS)
            .exclude(code__in=but)
            .order_by("code")
        )

    caochang = Place.objects.get(code=CAOCHANG)
    xuezhiyuan = Place.objects.get(code=XUEZHIYUAN)
    return {
        "caochang": list(
            Place.objects.within(caochang).filter(kind=PlaceKind.BUILDING).order_by("code")
        ),
        "qianmen": communities(QIANMEN, but=(CAOCHANG,)),
        "xuezhiyuan": list(
            Place.objects.within(xuezhiyuan)
            .filter(kind__in=[PlaceKind.BUILDING, PlaceKind.UNIT])
            .order_by("code")
        ),
        "xueyuan": communities(XUEYUAN_ROAD, but=(XUEZHIYUAN,)),
        "changping": communities(HUILONGGUAN, TIANTONGYUAN_N, TIANTONGYUAN_S),
    }


def _where(place: Place) -> str:
    """The place in a requester's words: 草厂三条12号院, 学知园3号楼2单元, 育新社区."""
    if place.kind == PlaceKind.UNIT and place.parent is not None:
        return f"学知园{place.parent.name}{place.name}"
    if place.kind == PlaceKind.BUILDING and place.code.startswith(XUEZHIYUAN):
        return f"学知园{place.name}"
    if place.kind in COMMUNITY_LEVEL_KINDS:
        return f"{short_place_name(place.name)}社区"
    return place.name


class DemoDemands:
    """Plays each demo demand through the actions, step by step, at its recorded time."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.config = demand_settings()
        self.recent_open: list[Demand] = []

    # Planning ----------------------------------------------------------------------------

    def area_of(self, place: Place) -> str:
        for area, places in self.ctx.areas.items():
            if place in places:
                return area
        return "caochang"

    def run(self, number: int, code: str, outcome: str, place: Place, by_resident: bool) -> None:
        ctx, rng = self.ctx, self.ctx.rng
        category = ctx.categories[code]
        area = self.area_of(place)
        resident = ctx.users["demo-resident"] if by_resident else None
        triage = ctx.triage_by.get(area)
        recorder: User | None = resident
        if resident is not None:
            channel = Channel.WEB
        else:
            channel = rng.choices(
                [Channel.HOTLINE, Channel.PHONE, Channel.WALK_IN, Channel.GRID_PATROL],
                [75, 12, 7, 6],
            )[0]
            recorder = triage if channel != Channel.HOTLINE else None
        name, phone = ("", "") if resident else person(rng)
        if outcome == "returned" and not place.path.startswith(
            ctx.orgs["dongcheng-urban"].place_path
        ):
            outcome = "closed"  # only 东城区 has departments to misroute to
        # Dispatch 50 min–8 h after the demand came in (2.5 h later when it goes astray first).
        lead = minutes(rng.uniform(30, 300) + (150 if outcome == "returned" else 0))
        rounds = [one_round(rng, lead, category.feedback_class, self.config,
                            rng.uniform(0.6, 1.0))]  # fmt: skip
        if outcome.startswith("reopened"):
            rounds.append(
                one_round(
                    rng,
                    rounds[0].evaluate + minutes(rng.uniform(120, 1440)),
                    category.feedback_class,
                    self.config,
                    0.9,
                )
            )
        start = self.start_for(outcome, category.feedback_class, rounds)
        primary = None
        if outcome == "merged":
            primary = self.primary_for(place)
            if primary is None:
                outcome = "accepted"
            else:
                place, category = primary.place, primary.category
                start = min(primary.submitted_at + minutes(rng.uniform(60, 2880)),
                            ctx.now - minutes(30))  # fmt: skip
        demand = actions.submit_demand(
            by=recorder,
            channel=channel,
            place=place,
            category=category,
            description=describe(rng, category.service_code, _where(place)),
            requester=resident,
            requester_name=name,
            requester_phone=phone,
            address=_where(place) if place.kind not in COMMUNITY_LEVEL_KINDS else "",
            attributes=self.answers(category),
            external_id=f"{PREFIX}{number:06d}",
            submitted_at=start,
        )
        self.play(demand, outcome, rounds, triage, resident, primary)

    def answers(self, category: ServiceCategory) -> dict[str, str]:
        """Answers to the category's multiple-choice questions, picked at random."""
        found = {}
        for question in category.attributes:
            values = question.get("values") or []
            if values:
                found[question["code"]] = self.ctx.rng.choice(values)["key"]
        return found

    def start_for(self, outcome: str, feedback_class: str, rounds: list[Round]) -> datetime:
        """When the demand was raised, so that at `now` it stands where `outcome` says:
        waiting within its deadline, or past it for the *_overdue ones."""
        rng, now = self.ctx.rng, self.ctx.now
        last = rounds[-1]
        sign_window, response_window, feedback_window = windows(feedback_class, self.config)
        # (offset of the last step taken, offset of the next deadline) from the start.
        stages = {
            "submitted": (timedelta(0), minutes(rng.uniform(60, 4000))),
            "accepted": (minutes(20), minutes(rng.uniform(120, 4000))),
            "dispatched": (last.dispatch, last.dispatch + sign_window),
            "signed": (last.sign, last.dispatch + response_window),
            "contacted": (last.contact, last.dispatch + feedback_window),
            "replied": (last.reply, last.reply + timedelta(days=3)),
            "extension": (last.contact, last.dispatch + feedback_window),
            "reopened_open": (last.contact, last.dispatch + feedback_window),
        }
        base = outcome.removesuffix("_overdue")
        if base in stages:
            done, due = stages[base]
            if outcome.endswith("_overdue") or base == "extension":
                age = max(done, due) + minutes(rng.uniform(60, 6 * 1440))
            else:
                age = done + (max(due, done + minutes(10)) - done) * rng.uniform(0.1, 0.9)
        else:  # closed, answered, declined …: anywhere in the window, all steps done
            age = last.evaluate + timedelta(days=3) + (SPAN - last.evaluate) * rng.random()
        age = min(age, SPAN)
        return now - age

    def primary_for(self, place: Place) -> Demand | None:
        """An earlier open demo demand at the same place or community to merge into."""
        for demand in reversed(self.recent_open):
            if demand.place_path.startswith(place.path[:40]) and demand.status in OPEN_STATUSES:
                return demand
        return None

    # Playing -----------------------------------------------------------------------------

    def play(
        self,
        demand: Demand,
        outcome: str,
        rounds: list[Round],
        triage: User | None,
        resident: User | None,
        primary: Demand | None,
    ) -> None:
        rng, t0 = self.ctx.rng, demand.submitted_at
        triaged = t0 + minutes(rng.uniform(5, 25))
        if outcome == "submitted":
            self.recent_open.append(demand)
            return
        if outcome == "answered" or (
            demand.category.service_code == CONSULTATION and outcome.startswith("closed")
        ):
            actions.answer_demand(demand, by=triage, answer=rng.choice(ANSWERS), now=triaged)
            return
        if outcome == "declined":
            actions.decline_demand(
                demand, by=triage, reason=rng.choice(DECLINE_REASONS), now=triaged
            )
            return
        if outcome == "merged" and primary is not None:
            actions.merge_demand(demand, by=triage, primary=primary)
            return
        if demand.channel != Channel.HOTLINE:
            demand = actions.accept_demand(demand, by=triage, now=triaged)
        if outcome == "accepted":
            self.recent_open.append(demand)
            return
        base = outcome.removesuffix("_overdue")
        if outcome == "returned":
            demand = self.returned_first(demand, rounds[0], triage)
        first_stop = base if len(rounds) == 1 else "closed"
        demand = self.play_round(
            demand, rounds[0], first_stop, triage, resident, final=len(rounds) == 1
        )
        if len(rounds) > 1:
            demand = actions.reopen_demand(
                demand,
                by=resident or triage,
                reason=rng.choice(REOPEN_REASONS),
                now=t0 + rounds[0].evaluate + minutes(60),
            )
            final = "closed" if outcome == "reopened" else "contacted"
            demand = self.play_round(demand, rounds[1], final, triage, resident, final=True)
        if outcome == "extension":
            actions.request_extension(
                demand,
                by=self.handler(demand),
                until=(demand.feedback_due_at or self.ctx.now) + timedelta(days=7),
                reason=rng.choice(EXTENSION_REASONS),
                now=self.ctx.now - minutes(rng.uniform(30, 600)),
            )
        if demand.status in OPEN_STATUSES:
            self.recent_open.append(demand)

    def handler(self, demand: Demand) -> User | None:
        return self.ctx.handler_by.get(demand.assignee_id or 0)

    def returned_first(self, demand: Demand, steps: Round, triage: User | None) -> Demand:
        """Misrouted to another department of 东城区 first, which sends it back in time."""
        at = demand.submitted_at + steps.dispatch - minutes(100)
        wrong = self.ctx.orgs["dongcheng-civil"]
        demand = actions.dispatch_demand(demand, by=triage, organization=wrong, now=at)
        return actions.return_demand(
            demand, by=None, reason=self.ctx.rng.choice(RETURN_REASONS), now=at + minutes(45)
        )

    def play_round(
        self,
        demand: Demand,
        steps: Round,
        stop: str,
        triage: User | None,
        resident: User | None,
        *,
        final: bool,
    ) -> Demand:
        """Dispatch (by the table) and go as far as `stop`: dispatched, signed, contacted,
        replied, closed (rated), closed_unrated; a round before a reopening ends rated
        unresolved and unsatisfied."""
        t0, rng = demand.submitted_at, self.ctx.rng
        demand = actions.dispatch_demand(demand, by=triage, now=t0 + steps.dispatch)
        handler = self.handler(demand)
        if stop == "dispatched":
            return demand
        demand = actions.sign_demand(demand, by=handler, now=t0 + steps.sign)
        if stop == "signed":
            return demand
        demand = actions.contact_requester(demand, by=handler, now=t0 + steps.contact)
        if stop in ("contacted", "extension", "reopened_open"):
            return demand
        group = demand.category.parent.service_code if demand.category.parent else ""
        demand = actions.reply_demand(
            demand, by=handler, reply=reply_for(rng, group), now=t0 + steps.reply
        )
        if stop == "replied":
            return demand
        if stop == "closed_unrated":
            return actions.close_demand(demand, by=triage, now=t0 + steps.reply + timedelta(days=3))
        resolved, satisfaction = steps.resolved, steps.satisfaction
        if not final:
            resolved, satisfaction = False, "unsatisfied"
        return actions.evaluate_demand(
            demand,
            by=resident,
            resolved=resolved,
            satisfaction=satisfaction,
            now=t0 + steps.evaluate,
        )


def _context(orgs: dict[str, Organization], users: dict[str, User], now: datetime) -> Context:
    areas = _areas()
    street = users.get("demo-street")
    handler_by = {orgs["dongcheng-urban"].pk: users["demo-department"]}
    handler_by[orgs["hutong-culture"].pk] = users["demo-unit"]
    return Context(
        rng=random.Random(SEED),
        now=now,
        users=users,
        orgs=orgs,
        categories={c.service_code: c for c in ServiceCategory.objects.select_related("parent")},
        areas=areas,
        home=Place.objects.get(code=caochang_courtyard(3, 12)),
        triage_by={
            "caochang": users["demo-worker"],
            "qianmen": street,
            "xuezhiyuan": users["demo-worker-2"],
        },
        handler_by=handler_by,
    )


def load_demands(
    orgs: dict[str, Organization],
    users: dict[str, User],
    *,
    count: int = DEMO_DEMANDS,
    now: datetime | None = None,
) -> int:
    """Raise and play the demo demands that do not exist yet; returns how many were made."""
    existing = set(
        Demand.objects.filter(external_id__startswith=PREFIX).values_list("external_id", flat=True)
    )
    if len(existing) >= count:
        return 0
    ctx = _context(orgs, users, now or timezone.now())
    player = DemoDemands(ctx)
    rng = ctx.rng
    codes = [code for code in CATEGORY_WEIGHTS if code in ctx.categories]
    weights = [CATEGORY_WEIGHTS[code] for code in codes]
    area_names, area_weights = zip(*AREAS, strict=True)
    outcomes, outcome_weights = zip(*OUTCOMES, strict=True)
    made = 0
    for number in range(1, count + 1):
        # Plan every demand (consuming the generator in a fixed order), play the new ones.
        if number <= len(SCRIPTED):
            code, outcome, by_resident = SCRIPTED[number - 1]
            place = ctx.home if by_resident else rng.choice(ctx.areas["caochang"])
            if code in ("streetlight", "manhole-cover") and not by_resident:
                place = rng.choice(ctx.areas["caochang"])
        else:
            code = rng.choices(codes, weights)[0]
            outcome = rng.choices(outcomes, outcome_weights)[0]
            area = rng.choices(area_names, area_weights)[0]
            place, by_resident = rng.choice(ctx.areas[area]), False
        if f"{PREFIX}{number:06d}" in existing:
            continue
        player.run(number, code, outcome, place, by_resident)
        made += 1
    return made


def load_city_demands(
    orgs: dict[str, Organization], users: dict[str, User]
) -> tuple[int, int, int, int]:
    """Catalogue, fallbacks, responsibility table, demands; returns what each made."""
    categories = load_catalogue().created
    fallbacks = load_fallbacks(orgs)
    responsibilities = load_responsibilities(orgs)
    demands = load_demands(orgs, users)
    return categories, fallbacks, responsibilities, demands
