"""Made-up demands: the words and the timing of hotline orders, shared by the demo city
(`courtyard demo`, through the actions) and the bulk generator (`courtyard generate
--demands N`, without them).

The bulk generator writes Demand and Dispatch rows with `bulk_create` in batches: every
stamp, deadline and count is computed here the way the actions compute it (the deadlines
with the same `clock.add_time` and `conf` numbers), so the rows look as if the actions had
made them — except that they have no audit rows (they are not the doing of any person)
and the rates' rollup is left to `courtyard rebuild_demand_rates`, run at the end when that
command exists.

Invariants:
- One `random.Random`, consumed in a fixed order: the same seed and the same day give the
  same demands on any database. Times are spread over the `months` before the start of the
  day the generator runs, so "this month" always has data.
- Each demand's steps follow one another; a step later than the end of the window has not
  happened yet, so recent demands are open and old ones closed, as in a live system.
- The unit a demand is dispatched to is the one the responsibility table (made here too)
  names for its category and place, unless it was returned as misrouted first.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max
from django.db.models.base import ModelState
from django.utils import timezone

from courtyard.demands.catalogue import load_catalogue
from courtyard.demands.clock import add_time
from courtyard.demands.conf import DemandSettings, demand_settings
from courtyard.demands.models import (
    Channel,
    Demand,
    Dispatch,
    FeedbackClass,
    Responsibility,
    Satisfaction,
    ServiceCategory,
    Status,
)
from courtyard.organizations.models import Organization, OrganizationKind
from courtyard.places.models import Place, PlaceKind, path_ids

# Words -----------------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖文"
GIVEN_NAMES = [
    "秀英", "桂英", "秀兰", "玉兰", "淑珍", "凤英", "建华", "建国", "建军", "国强",
    "志强", "永刚", "海燕", "丽娟", "晓东", "红梅", "文静", "金凤", "德顺", "玉珍",
    "宝山", "振华", "淑华", "桂兰", "俊杰", "雪梅", "立新", "卫东", "春生", "子涵",
    "浩然", "欣怡", "一鸣", "思远", "雨桐", "家豪", "佳怡", "明轩", "婉婷", "伟",
    "磊", "静", "敏", "勇", "洋", "艳", "杰", "娜", "强", "军",
]  # fmt: skip
# Mobile prefixes of the three carriers: 11-digit numbers, made up.
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "176", "177", "178", "180", "181", "182",
    "183", "185", "186", "187", "188", "189", "191", "198", "199",
]  # fmt: skip

# What requesters say, by category; {where} is the place in words.
DESCRIPTIONS: dict[str, list[str]] = {
    "streetlight": [
        "{where}门口的路灯已经连续三天晚上不亮了，老人晚上出门看不清路，希望尽快修理。",
        "{where}附近有两盏路灯一直闪，晚上走路很不安全。",
        "{where}的路灯白天一直亮着，浪费电，请有关部门看一下。",
    ],
    "road-damage": [
        "{where}门口路面有一个大坑，下雨天积水，电动车经过容易摔倒。",
        "{where}人行道的步道砖松动翘起，已经有老人绊倒，请尽快维修。",
    ],
    "manhole-cover": [
        "{where}路边的井盖缺了一块，晚上看不见，很危险。",
        "{where}门口的井盖松动，车一压就哐哐响，晚上影响休息。",
    ],
    "water-outage": [
        "{where}从早上开始停水，没有接到任何通知，请问什么时候恢复？",
        "{where}最近水压特别低，高层基本没水，做饭洗澡都困难。",
    ],
    "power-outage": [
        "{where}突然停电两个多小时了，家里有老人用制氧机，请尽快处理。",
        "{where}最近经常跳闸停电，怀疑线路老化，请派人检查。",
    ],
    "gas-supply": [
        "{where}燃气灶火很小，怀疑燃气压力不足，请燃气公司来看看。",
        "{where}刚充了燃气费，燃气表还是显示没有气。",
    ],
    "heating": [
        "{where}暖气一直不热，室内只有十五六度，家里有老人孩子，请尽快解决。",
        "{where}的暖气片上热下凉，放过气也不管用。",
    ],
    "garbage": [
        "{where}旁边的垃圾桶已经满了两天没人清运，气味很大。",
        "{where}门口堆了很多装修垃圾和大件家具，占了半条胡同。",
    ],
    "noise": [
        "{where}附近工地每天晚上十一点以后还在施工，噪音太大，严重影响休息。",
        "{where}楼下的烧烤店经营到凌晨，吵得睡不着觉。",
        "{where}旁边的空调外机噪音很大，晚上影响休息。",
    ],
    "public-toilet": [
        "{where}附近的公厕好几天没打扫了，味道很大，洗手池也坏了。",
        "{where}的公厕冬天没有热水，老人用着不方便。",
    ],
    "property-service": [
        "{where}楼道里的灯坏了一个月，报给物业好几次都没人来修。",
        "{where}物业不清理楼道堆物，存在消防隐患。",
    ],
    "lift-fault": [
        "{where}的电梯这个月已经停了三次，住高层的老人上下楼很困难。",
        "{where}电梯运行时有异响，大家都担心安全。",
    ],
    "parking": [
        "{where}消防通道经常被私家车占用，物业不管。",
        "{where}门口有外来车辆长期停放，居民的车停不进来。",
    ],
    "roof-leak": [
        "{where}平房屋顶漏雨，下雨天屋里要用盆接水，请帮忙协调修缮。",
        "{where}顶层墙面渗水，墙皮大面积脱落。",
    ],
    "building-hazard": [
        "{where}外墙有砖块松动，担心掉下来砸到人。",
        "{where}楼梯间墙体出现裂缝，越来越大，请派人鉴定。",
    ],
    "lift-retrofit": [
        "{where}是六层老楼，住了很多老人，想咨询加装电梯的政策和怎么申请。",
        "{where}加装电梯的方案一楼住户不同意，希望社区帮助协调。",
    ],
    "old-compound-renovation": [
        "{where}老旧小区改造以后外墙保温层有脱落，请施工单位回来维修。",
        "{where}小区改造工期一拖再拖，楼下的管沟挖开一个多月没回填。",
    ],
    "policy-enquiry": [
        "想咨询一下老年人优待卡在哪里办理，需要带什么材料？（住{where}）",
        "请问{where}的居民办理居住证明需要去哪里？",
        "想了解高龄老人津贴怎么申请。（住{where}）",
    ],
    "elder-care": [
        "家里老人行动不便，想了解{where}附近养老驿站有没有助餐送餐服务。",
        "{where}的老年餐桌最近饭菜质量下降，价格还涨了。",
    ],
    "community-activity": [
        "{where}的居民想问社区活动室周末能不能开放，孩子们想有地方看书。",
        "希望在{where}附近多组织一些胡同文化讲座和书法班。",
    ],
    "gas-leak": [
        "{where}楼道里有很浓的燃气味，已经打开窗户，请马上来人处理！",
        "{where}邻居家燃气管道漏气，味道很大。",
    ],
    "burst-pipe": [
        "{where}门口的自来水管爆了，水漫到院子里了，请马上派人抢修！",
        "{where}地下管道跑水，路面一直往外冒水。",
    ],
}
# How units answer, by category group.
REPLIES: dict[str, list[str]] = {
    "public-works": [
        "已安排养护单位到现场维修，已恢复正常，并电话告知诉求人。",
        "经现场核实，已完成维修并设置警示标志，后续加强巡查。",
    ],
    "utilities": [
        "经查为管线检修所致，已恢复供应，已向诉求人解释原因。",
        "已派维修人员上门检查，更换了故障部件，现已恢复正常。",
    ],
    "sanitation": [
        "已通知环卫作业单位清理完毕，并调整了清运频次。",
        "执法人员已到现场核查并责令整改，后续持续跟踪。",
    ],
    "property": [
        "已约谈物业公司，物业已完成维修，承诺建立报修台账。",
        "已协调物业加强管理，问题已处理，诉求人表示认可。",
    ],
    "housing": [
        "已组织专业人员现场查勘，纳入修缮计划并先行做了临时处置。",
        "已会同街道和社区召开协调会，明确了整改时间表，将持续跟进。",
    ],
    "community": [
        "社区已电话联系诉求人详细说明情况，并安排了相应服务。",
        "已与相关机构对接，服务已安排到位。",
    ],
    "emergency": [
        "抢修人员已第一时间到场处置，险情已排除。",
        "已关阀止漏并完成抢修，现场已恢复正常。",
    ],
}
ANSWERS = [
    "已电话告知：持身份证到街道政务服务中心办理，当场可取。",
    "已告知办理流程和所需材料，并提供了社区服务站的电话。",
    "已告知相关政策：年满80周岁的本市户籍老人可申请高龄津贴，由社区代为申报。",
]
DECLINE_REASONS = [
    "该事项属于民事纠纷，已告知诉求人可通过人民调解或诉讼途径解决。",
    "该事项正在法院审理中，不属于热线受理范围，已向诉求人解释。",
    "诉求人反映的是外省市事项，已告知当地的热线电话。",
]
RETURN_REASONS = [
    "经核实，该事项不属于本单位职责范围，请重新派单。",
    "该地点不在本单位管辖范围内，申请退回。",
]
REOPEN_REASONS = [
    "回访时诉求人表示问题仍未解决，重新派单。",
    "诉求人反映维修后问题再次出现。",
]
EXTENSION_REASONS = [
    "需要协调多个产权单位，申请延期办理。",
    "需要等待配件到货，申请延长办理时限。",
]
# How often each category is raised (a rough 12345 mix: noise, heating and lights lead).
CATEGORY_WEIGHTS: dict[str, int] = {
    "streetlight": 8, "road-damage": 6, "manhole-cover": 3,
    "water-outage": 6, "power-outage": 4, "gas-supply": 3, "heating": 7,
    "garbage": 7, "noise": 9, "public-toilet": 3,
    "property-service": 7, "lift-fault": 3, "parking": 5,
    "roof-leak": 4, "building-hazard": 2, "lift-retrofit": 3, "old-compound-renovation": 2,
    "policy-enquiry": 8, "elder-care": 4, "community-activity": 3,
    "gas-leak": 1, "burst-pipe": 1,
}  # fmt: skip
CONSULTATION = "policy-enquiry"


def person(rng: random.Random) -> tuple[str, str]:
    """A made-up requester: a name as the hotline records it and an 11-digit mobile number."""
    surname = rng.choice(SURNAMES)
    roll = rng.random()
    if roll < 0.3:
        name = surname + ("先生" if rng.random() < 0.5 else "女士")
    else:
        name = surname + rng.choice(GIVEN_NAMES)
    return name, rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def describe(rng: random.Random, service_code: str, where: str) -> str:
    templates = DESCRIPTIONS.get(service_code) or ["{where}的问题希望尽快处理。"]
    return rng.choice(templates).format(where=where)


def reply_for(rng: random.Random, group_code: str) -> str:
    return rng.choice(REPLIES.get(group_code) or REPLIES["community"])


# Timing ----------------------------------------------------------------------------------


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@dataclass
class Round:
    """One dispatch and what followed, as offsets from the demand's submission."""

    dispatch: timedelta
    sign: timedelta
    contact: timedelta
    reply: timedelta
    evaluate: timedelta
    resolved: bool
    satisfaction: str


def dispatch_deadlines(
    at: datetime, feedback_class: str, config: DemandSettings
) -> tuple[datetime, datetime, datetime]:
    """(sign, response, feedback) deadlines of a dispatch at `at`, as `dispatch_demand`
    computes them: the reply by the feedback class, first contact and signing capped by it."""
    working = config.working_days
    feedback = add_time(at, config.feedback_time(feedback_class), working)
    response = min(add_time(at, timedelta(hours=config.response_hours), working), feedback)
    sign = min(add_time(at, timedelta(hours=config.sign_hours), working), response)
    return sign, response, feedback


def stamp_dispatch(demand: Demand, at: datetime, unit_id: int, config: DemandSettings) -> datetime:
    """Set on an unsaved demand the fields `dispatch_demand` sets when it dispatches at
    `at` to the unit `unit_id` (not `times_dispatched`); returns the first-contact deadline.
    Shared by the bulk generator and the bulk hotline import."""
    sign_due, response_due, feedback_due = dispatch_deadlines(at, demand.feedback_class, config)
    demand.status, demand.assignee_id = Status.DISPATCHED, unit_id
    demand.accepted_at = demand.accepted_at or at
    demand.dispatched_at, demand.sign_due_at = at, sign_due
    demand.response_due_at, demand.feedback_due_at = response_due, feedback_due
    demand.return_until = at + timedelta(hours=config.return_hours)
    demand.due_at = sign_due
    demand.signed_at = demand.contacted_at = demand.replied_at = None
    return response_due


def windows(feedback_class: str, config: DemandSettings) -> tuple[timedelta, timedelta, timedelta]:
    """(sign, first contact, reply) windows after a dispatch, as dispatch_demand caps them
    (calendar time; the actions' exact deadlines come from `clock.add_time`)."""
    feedback = config.feedback_time(feedback_class)
    response = min(timedelta(hours=config.response_hours), feedback)
    sign = min(timedelta(hours=config.sign_hours), response)
    return sign, response, feedback


def one_round(
    rng: random.Random,
    after: timedelta,
    feedback_class: str,
    config: DemandSettings,
    quality: float = 0.9,
) -> Round:
    """A dispatch some time `after` an offset, then sign, contact, reply and evaluation.
    `quality` (0–1) is how good the unit and the community are: on-time steps and
    satisfied requesters are likelier the higher it is."""
    sign_window, response_window, feedback_window = windows(feedback_class, config)
    urgent = feedback_class == FeedbackClass.EMERGENCY
    on_time = 0.75 + 0.24 * quality
    dispatch = after + minutes(rng.uniform(3, 15) if urgent else rng.uniform(20, 180))
    if rng.random() < on_time:
        sign = dispatch + sign_window * rng.uniform(0.05, 0.9)
    else:
        sign = dispatch + sign_window * rng.uniform(1.05, 3)
    if rng.random() < on_time:
        contact = max(sign + minutes(2), dispatch + response_window * rng.uniform(0.1, 0.95))
    else:
        contact = max(sign, dispatch + response_window) + minutes(rng.uniform(30, 2880))
    if rng.random() < on_time + 0.05:
        reply = dispatch + feedback_window * rng.uniform(0.3, 0.97)
    else:
        reply = dispatch + feedback_window + minutes(rng.uniform(60, 5760))
    reply = max(reply, contact + minutes(rng.uniform(10, 120)))
    evaluate = reply + minutes(rng.uniform(120, 4320))
    resolved = rng.random() < 0.7 + 0.28 * quality
    roll = rng.random()
    if resolved:
        satisfaction = (
            Satisfaction.SATISFIED
            if roll < 0.8 + 0.18 * quality
            else Satisfaction.BASIC
            if roll < 0.97 + 0.02 * quality
            else Satisfaction.UNSATISFIED
        )
    else:
        satisfaction = (
            Satisfaction.BASIC if roll < 0.25 + 0.3 * quality else Satisfaction.UNSATISFIED
        )
    return Round(dispatch, sign, contact, reply, evaluate, resolved, satisfaction)


# Bulk generation -------------------------------------------------------------------------

GROUP_OWNERS = [
    # (key, name suffix, English suffix, category groups it answers for at its district)
    ("urban", "城市管理委员会", "Urban Management Commission", ("public-works", "sanitation")),
    ("housing", "住房和城市建设委员会", "Housing and Urban-Rural Development Commission",
     ("housing",)),
    ("civil", "民政局", "Civil Affairs Bureau", ("community",)),
    ("government", "人民政府", "People's Government", ()),  # the fallback: category empty
]  # fmt: skip
UTILITIES = [
    # (key, name, English name, categories it answers for, at every district)
    ("water", "自来水集团", "Water Group", ("water-outage", "burst-pipe")),
    ("power", "供电公司", "Power Supply Company", ("power-outage",)),
    ("gas", "燃气集团", "Gas Group", ("gas-supply", "gas-leak")),
    ("heat", "热力集团", "Heating Group", ("heating",)),
]
# Serials of the generated departments' credit codes: far above those of the generated
# units (see demo.credit.counter_org_code), so they never collide.
OWNER_SERIAL_BASE = 800_000_000


@dataclass
class Owners:
    """Who answers for what in a generated city (the responsibility table, in memory)."""

    by_district: dict[tuple[int, str], int] = field(default_factory=dict)  # (district, group)
    utilities: dict[str, int] = field(default_factory=dict)  # category code → org
    fallback: dict[int, int] = field(default_factory=dict)  # district → government
    property: dict[int, int] = field(default_factory=dict)  # community → property company

    def unit_for(self, code: str, group: str, community: int, district: int) -> int:
        """What `routing.responsible_unit` answers with the rows `make_owners` wrote."""
        if group == "property" and community in self.property:
            return self.property[community]
        if (district, group) in self.by_district:
            return self.by_district[(district, group)]
        if code in self.utilities:
            return self.utilities[code]
        return self.fallback[district]


def make_owners(root: Place, categories: dict[str, ServiceCategory]) -> tuple[Owners, int, int]:
    """The departments of every district, the city's utility companies and the
    responsibility rows that route to them (and to each community's property company).
    Returns (owners, organizations made, responsibility rows made)."""
    from courtyard.demo.credit import GOVERNMENT_ORGAN, counter_org_code, credit_code

    owners = Owners()
    districts = list(
        Place.objects.within(root)
        .filter(kind=PlaceKind.DISTRICT)
        .order_by("code")
        .values_list("pk", "code", "name", "name_en", "path")
    )
    serial = OWNER_SERIAL_BASE
    planned: list[tuple[Organization, tuple[str, int | None]]] = []
    for key, name, name_en, _codes in UTILITIES:
        planned.append(
            (
                Organization(
                    name=f"{root.name.removesuffix('市')}{name}",
                    name_en=f"{root.name_en} {name_en}".strip(),
                    kind=OrganizationKind.ENTERPRISE,
                    credit_code=credit_code("91", root.code, counter_org_code(serial)),
                    place_id=root.pk,
                    place_path=root.path,
                ),
                (key, None),
            )
        )
        serial += 1
    for pk, code, name, name_en, path in districts:
        for key, suffix, suffix_en, _groups in GROUP_OWNERS:
            planned.append(
                (
                    Organization(
                        name=f"{name}{suffix}",
                        name_en=f"{name_en.removesuffix(' District')} District {suffix_en}"
                        if name_en
                        else "",
                        kind=OrganizationKind.GOVERNMENT_DEPARTMENT,
                        credit_code=credit_code(GOVERNMENT_ORGAN, code, counter_org_code(serial)),
                        place_id=pk,
                        place_path=path,
                    ),
                    (key, pk),
                )
            )
            serial += 1
    made = Organization.objects.bulk_create([org for org, _ in planned])
    rows: list[Responsibility] = []
    for org, (key, district) in planned:  # bulk_create set their primary keys
        if district is None:
            codes = next(c for k, _, _, c in UTILITIES if k == key)
            for code in codes:
                owners.utilities[code] = org.pk
            continue
        groups = next(g for k, _, _, g in GROUP_OWNERS if k == key)
        if key == "government":
            owners.fallback[district] = org.pk
            rows.append(Responsibility(category=None, place_id=district, organization_id=org.pk))
        for group in groups:
            owners.by_district[(district, group)] = org.pk
            rows.append(
                Responsibility(
                    category=categories[group], place_id=district, organization_id=org.pk
                )
            )
    for district, *_ in districts:
        for code, org_pk in owners.utilities.items():
            rows.append(
                Responsibility(category=categories[code], place_id=district, organization_id=org_pk)
            )
    properties = (
        Organization.objects.within(root)
        .filter(kind=OrganizationKind.PROPERTY_COMPANY)
        .order_by("pk")
        .values_list("pk", "place_id")
    )
    for org_pk, community in properties:
        if community not in owners.property:
            owners.property[community] = org_pk
            rows.append(
                Responsibility(
                    category=categories["property"], place_id=community, organization_id=org_pk
                )
            )
    Responsibility.objects.bulk_create(rows, batch_size=1000)
    return owners, len(made), len(rows)


@dataclass
class Spot:
    """A place a demand can be raised at, with what the generator needs of it."""

    pk: int
    path: str
    name: str
    community: int
    district: int


def spots(root: Place) -> list[Spot]:
    """Buildings under `root` (grids if there are none, communities if no grids)."""
    from courtyard.places.models import COMMUNITY_LEVEL_KINDS

    for kinds in ([PlaceKind.BUILDING], [PlaceKind.GRID], sorted(COMMUNITY_LEVEL_KINDS)):
        rows = list(
            Place.objects.within(root)
            .filter(kind__in=kinds)
            .order_by("path")
            .values_list("pk", "path", "name")
        )
        if rows:
            break
    found = []
    for pk, path, name in rows:
        ids = path_ids(path)
        if len(ids) >= 4:  # city › district › street › community …
            found.append(Spot(pk, path, name, ids[3], ids[1]))
    return found


@dataclass
class Planned:
    demand: Demand
    dispatches: list[Dispatch]


def _group_of(category: ServiceCategory) -> str:
    """The service code of the category's group (its own for a group)."""
    parent = category.parent
    return parent.service_code if parent is not None else category.service_code


class DemandMaker:
    """Builds demands (unsaved) one by one; see the module docstring."""

    def __init__(
        self,
        rng: random.Random,
        *,
        categories: dict[str, ServiceCategory],
        owners: Owners,
        places: list[Spot],
        community_names: dict[int, str],
        until: datetime,
        months: int,
    ) -> None:
        self.rng = rng
        self.config = demand_settings()
        self.categories = categories
        self.owners = owners
        self.places = places
        self.community_names = community_names
        self.until = until
        self.span = timedelta(days=round(30.44 * months)).total_seconds()
        self.leaves = [c for c in CATEGORY_WEIGHTS if c in categories]
        self.weights = [CATEGORY_WEIGHTS[c] for c in self.leaves]
        self.parents = {code: _group_of(categories[code]) for code in self.leaves}
        self.quality: dict[int, float] = {}
        # (category, community) → a demand saved earlier, that duplicates may merge into
        self.primaries: dict[tuple[int, int], int] = {}

    def due(self, at: datetime, feedback_class: str) -> tuple[datetime, datetime, datetime]:
        """(sign, response, feedback) deadlines of a dispatch at `at`, as dispatch_demand."""
        return dispatch_deadlines(at, feedback_class, self.config)

    def make(self) -> Planned:
        rng = self.rng
        code = rng.choices(self.leaves, self.weights)[0]
        category = self.categories[code]
        group = self.parents[code]
        spot = rng.choice(self.places)
        quality = self.quality.setdefault(spot.community, rng.uniform(0.55, 1.0))
        start = self.until - timedelta(seconds=rng.uniform(0, self.span))
        name, phone = person(rng)
        where = spot.name
        short = self.community_names.get(spot.community, "")
        if short and not where.startswith(short):
            where = f"{short}{where}"
        channel = rng.choices(
            [Channel.HOTLINE, Channel.WEB, Channel.PHONE, Channel.WALK_IN, Channel.GRID_PATROL],
            [70, 15, 7, 4, 4],
        )[0]
        demand = Demand(
            channel=channel,
            place_id=spot.pk,
            place_path=spot.path,
            category=category,
            feedback_class=category.feedback_class,
            description=describe(rng, code, where),
            public_summary=f"{category.name} · {spot.name}"[:200],
            address=where,
            requester_name=name,
            requester_phone=phone,
            submitted_at=start,
        )
        dispatches: list[Dispatch] = []
        roll = rng.random()
        triage = start + minutes(rng.uniform(10, 600))
        if code == CONSULTATION and roll < 0.85:
            self._close_directly(demand, triage, Status.ANSWERED, rng.choice(ANSWERS))
        elif roll < 0.02:
            self._close_directly(demand, triage, Status.DECLINED, rng.choice(DECLINE_REASONS))
        elif roll < 0.035 and (category.pk, spot.community) in self.primaries:
            if triage <= self.until:
                demand.status = Status.MERGED
                demand.primary_id = self.primaries[(category.pk, spot.community)]
        else:
            owner = self.owners.unit_for(code, group, spot.community, spot.district)
            self._dispatch(demand, dispatches, owner, spot, group, quality)
        return Planned(demand, dispatches)

    def _close_directly(self, demand: Demand, at: datetime, status: str, text: str) -> None:
        if at > self.until:
            return  # not triaged yet
        demand.status, demand.closed_at = status, at
        if status == Status.ANSWERED:
            demand.answer = text
        else:
            demand.decline_reason = text

    def _dispatch(
        self,
        demand: Demand,
        dispatches: list[Dispatch],
        owner: int,
        spot: Spot,
        group: str,
        quality: float,
    ) -> None:
        rng, until, fc = self.rng, self.until, demand.feedback_class
        if demand.channel != Channel.HOTLINE:  # the community triages it first
            accepted = demand.submitted_at + minutes(rng.uniform(5, 240))
            if accepted > until:
                return
            demand.status, demand.accepted_at = Status.ACCEPTED, accepted
        after = (demand.accepted_at or demand.submitted_at) - demand.submitted_at
        if rng.random() < 0.02 and owner != self.owners.fallback[spot.district]:
            # Misrouted to the district government first, which returns it.
            first = demand.submitted_at + after + minutes(rng.uniform(20, 180))
            if first > until:
                return
            back = first + minutes(rng.uniform(30, 600))
            response_due = self.due(first, fc)[1]
            dispatches.append(
                Dispatch(
                    organization_id=self.owners.fallback[spot.district],
                    dispatched_at=first,
                    response_due_at=response_due,
                    returned_at=back if back <= until else None,
                    return_reason=rng.choice(RETURN_REASONS) if back <= until else "",
                )
            )
            demand.times_dispatched = 1
            self._stamp_dispatch(demand, first, fc, self.owners.fallback[spot.district])
            if back > until:
                return
            demand.status, demand.assignee_id = Status.ACCEPTED, None
            demand.due_at = demand.sign_due_at = demand.response_due_at = None
            demand.feedback_due_at = None
            after = back - demand.submitted_at
        first_round = one_round(rng, after, fc, self.config, quality)
        reopen = (
            not first_round.resolved
            and first_round.satisfaction == Satisfaction.UNSATISFIED
            and rng.random() < 0.5
        )
        self._play_round(demand, dispatches, owner, first_round, group, final=not reopen)
        if not reopen or demand.status != Status.CLOSED:
            return
        reopened = demand.submitted_at + first_round.evaluate + minutes(rng.uniform(60, 1440))
        if reopened > until:
            return
        demand.status, demand.times_reopened = Status.ACCEPTED, 1
        demand.resolved, demand.satisfaction = None, ""
        demand.evaluated_at = demand.closed_at = demand.assignee_id = None
        demand.due_at = None
        second = one_round(rng, reopened - demand.submitted_at, fc, self.config, quality)
        self._play_round(demand, dispatches, owner, second, group, final=True)

    def _stamp_dispatch(self, demand: Demand, at: datetime, fc: str, owner: int) -> datetime:
        """Set what dispatch_demand sets; returns the first-contact deadline."""
        return stamp_dispatch(demand, at, owner, self.config)

    def _play_round(
        self,
        demand: Demand,
        dispatches: list[Dispatch],
        owner: int,
        steps: Round,
        group: str,
        *,
        final: bool,
    ) -> None:
        """Apply the steps of one round that happened by `until`."""
        start, until, fc = demand.submitted_at, self.until, demand.feedback_class
        at = start + steps.dispatch
        if at > until:
            return
        response_due = self._stamp_dispatch(demand, at, fc, owner)
        demand.times_dispatched += 1
        dispatch = Dispatch(organization_id=owner, dispatched_at=at, response_due_at=response_due)
        dispatches.append(dispatch)
        if start + steps.sign > until:
            return
        demand.status, demand.signed_at = Status.SIGNED, start + steps.sign
        demand.due_at = demand.response_due_at
        if start + steps.contact > until:
            return
        demand.status, demand.contacted_at = Status.CONTACTED, start + steps.contact
        dispatch.contacted_at = demand.contacted_at
        demand.due_at = demand.feedback_due_at
        if start + steps.reply > until:
            return
        demand.status, demand.replied_at = Status.REPLIED, start + steps.reply
        demand.reply = reply_for(self.rng, group)
        demand.due_at = None
        evaluated = start + steps.evaluate
        if self.rng.random() < 0.1 and final:  # never reached for the call-back
            closed = demand.replied_at + timedelta(days=3)
            if closed <= until:
                demand.status, demand.closed_at = Status.CLOSED, closed
            return
        if evaluated > until:
            return
        demand.status = Status.CLOSED
        demand.evaluated_at = demand.closed_at = evaluated
        demand.resolved, demand.satisfaction = steps.resolved, steps.satisfaction


@dataclass
class DemandReport:
    demands: int = 0
    dispatches: int = 0
    owners: int = 0
    responsibilities: int = 0
    categories: int = 0
    rates_rebuilt: bool = False


def rebuild_rates_if_possible() -> bool:
    """Run `courtyard rebuild_demand_rates` when the project has it; False when not."""
    if "rebuild_demand_rates" not in get_commands():
        return False
    call_command("rebuild_demand_rates", stdout=io.StringIO())
    return True


def make_demands(
    rng: random.Random,
    root: Place,
    count: int,
    *,
    months: int = 12,
    until: datetime | None = None,
    batch_size: int = 2000,
    bar: Any = None,
) -> DemandReport:
    """`count` demands at the places under `root`, with their dispatches, in bulk; the
    catalogue, the departments and the responsibility table first. Call inside a
    transaction (the generator's)."""
    report = DemandReport()
    report.categories = load_catalogue().created
    categories = {c.service_code: c for c in ServiceCategory.objects.select_related("parent").all()}
    owners, report.owners, report.responsibilities = make_owners(root, categories)
    places = spots(root)
    if not places:
        return report
    from courtyard.demo.naming import short_place_name

    communities = dict(
        Place.objects.filter(pk__in={spot.community for spot in places}).values_list("pk", "name")
    )
    maker = DemandMaker(
        rng,
        categories=categories,
        owners=owners,
        places=places,
        community_names={pk: short_place_name(name) for pk, name in communities.items()},
        until=until or timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0),
        months=months,
    )
    writer = FastInsert(Demand, Dispatch)
    for batch in _batches((maker.make() for _ in range(count)), batch_size):
        saved = [p.demand for p in batch]
        writer.insert(saved)
        rows = []
        for planned, demand in zip(batch, saved, strict=True):
            for dispatch in planned.dispatches:
                dispatch.demand_id = demand.pk
                rows.append(dispatch)
            if demand.status not in (Status.MERGED, Status.ANSWERED, Status.DECLINED):
                community = path_ids(demand.place_path)[3]
                maker.primaries[(demand.category_id, community)] = demand.pk
        writer.insert(rows)
        report.demands += len(saved)
        report.dispatches += len(rows)
        if bar is not None:
            bar.update(len(saved))
    writer.finish()
    if bar is not None:
        bar.close()
    report.rates_rebuilt = rebuild_rates_if_possible()
    return report


def _datetime_adapter() -> Callable[[datetime], Any]:
    """`connection.ops.adapt_datetimefield_value` for values that are not None; on SQLite
    its arithmetic without the per-value settings look-ups (a third of a bulk insert's
    time): an aware time as the naive time in the connection's zone, as text."""
    if connection.vendor != "sqlite" or not settings.USE_TZ:
        return connection.ops.adapt_datetimefield_value
    zone = connection.timezone

    def adapt(value: datetime) -> str:
        if value.utcoffset() is not None:
            value = value.astimezone(zone).replace(tzinfo=None)
        return str(value)

    return adapt


class RowWriter:
    """INSERTs of whole model rows whose primary keys are already set, with `executemany`.

    `bulk_create` spends most of its time compiling one SQL expression per value; here
    each column's conversion is chosen once and the rows go to the driver as tuples. The
    caller decides the ids: `FastInsert` below for a generator that owns the tables, the
    hotline import (`demands.importer.writing`) from ids reserved under concurrency.
    `new()` makes an unsaved instance without `Model.__init__` (which costs tens of µs for
    a model of fifty fields): the fields' defaults, then the values given by attname.
    `copy=True`: on PostgreSQL the rows go in with COPY … FROM STDIN, which the server
    takes several times faster than one INSERT per row (each parsed on its own); SQLite's
    `executemany` reuses one prepared statement already, faster than multi-row INSERTs."""

    def __init__(self, *tables: type[models.Model], copy: bool = False) -> None:
        self.tables = tables
        self.copies: dict[type[models.Model], str] = {}
        self.plans: dict[type[models.Model], tuple[str, list[tuple[str, Any]]]] = {}
        self.getters: dict[type[models.Model], Callable[[dict[str, Any]], tuple[Any, ...]]] = {}
        self.converted: dict[type[models.Model], list[tuple[int, Any]]] = {}
        self.blanks: dict[type[models.Model], tuple[dict[str, Any], list[tuple[str, Any]]]] = {}
        ops = connection.ops
        for model in tables:
            fields = list(model._meta.concrete_fields)
            quote = ops.quote_name
            # Table and column names from the model's own metadata, quoted; values as params.
            sql = (
                f"INSERT INTO {quote(str(model._meta.db_table))} "  # noqa: S608
                f"({', '.join(quote(str(f.column)) for f in fields)}) "
                f"VALUES ({', '.join(['%s'] * len(fields))})"
            )
            if copy and connection.vendor == "postgresql":
                self.copies[model] = (
                    f"COPY {quote(str(model._meta.db_table))} "
                    f"({', '.join(quote(str(f.column)) for f in fields)}) FROM STDIN"
                )
            convert: list[tuple[str, Any]] = []
            adapt_datetime = _datetime_adapter()
            for f in fields:
                if isinstance(f, models.DateTimeField):
                    convert.append((f.attname, adapt_datetime))
                elif isinstance(f, models.JSONField) and model in self.copies:
                    # COPY takes the JSON text itself, as the jsonb column's input
                    convert.append((f.attname, lambda v, f=f: json.dumps(v, cls=f.encoder)))
                elif isinstance(f, models.JSONField):
                    convert.append((f.attname, lambda v, f=f: ops.adapt_json_value(v, f.encoder)))
                elif isinstance(f, models.DecimalField):
                    convert.append((f.attname, lambda v, f=f: f.get_db_prep_save(v, connection)))
                else:
                    convert.append((f.attname, None))
            self.plans[model] = (sql, convert)
            self.converted[model] = [(i, fn) for i, (_, fn) in enumerate(convert) if fn]
            self.getters[model] = itemgetter(*(name for name, _ in convert))
            made = [
                (f.attname, f.default) for f in fields if f.has_default() and callable(f.default)
            ]
            fixed = {f.attname: f.get_default() for f in fields if f.attname not in dict(made)}
            self.blanks[model] = (fixed, made)

    def new[M: models.Model](self, model: type[M], **values: Any) -> M:
        """An unsaved `model` with its defaults and `values` (by attname: `place_id`)."""
        fixed, made = self.blanks[model]
        obj = model.__new__(model)
        obj.__dict__.update(fixed)
        for name, default in made:
            obj.__dict__[name] = default()
        obj.__dict__.update(values)
        obj._state = ModelState()
        return obj

    def columns(self, model: type[models.Model]) -> list[str]:
        """The attnames of `model`'s columns, in the order of the rows `insert_rows` takes."""
        return [name for name, _ in self.plans[model][1]]

    def blank_row(self, model: type[models.Model]) -> list[Any]:
        """A row of `model`'s defaults in column order (Python values)."""
        return list(self.getters[model](self.new(model).__dict__))

    def values(self, obj: models.Model) -> list[Any]:
        """The object's Python values in column order."""
        try:
            return list(self.getters[type(obj)](obj.__dict__))  # every attname is there …
        except KeyError:  # … unless a field was deferred
            return [getattr(obj, name) for name in self.columns(type(obj))]

    def convert(
        self, model: type[models.Model], row: list[Any], known: dict[int, Any] | None = None
    ) -> list[Any]:
        """A row of Python values (column order) made the database's, in place. `known`:
        id of a value → its database value, converted already (the caller keeps the values
        alive)."""
        for i, fn in self.converted[model]:
            value = row[i]
            if value is not None:
                found = known.get(id(value)) if known else None
                row[i] = fn(value) if found is None else found
        return row

    def write(self, objects: list[Any]) -> None:
        """Insert `objects` (all of one model, primary keys set) as they are."""
        if objects:
            model = type(objects[0])
            self.insert_rows(model, [self.convert(model, self.values(obj)) for obj in objects])

    def insert_rows(self, model: type[models.Model], rows: list[list[Any]]) -> None:
        """Insert rows already converted (`convert`), in column order."""
        if not rows:
            return
        with connection.cursor() as cursor:
            if model in self.copies:
                # the driver's cursor: Django's has no COPY; its errors made Django's
                # (IntegrityError …) as on every other query
                with (
                    connection.wrap_database_errors,
                    cursor.cursor.copy(self.copies[model]) as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
                if connection.queries_logged:  # counted like the INSERT it replaces
                    sql = f"{self.copies[model]} -- {len(rows)} rows"
                    connection.queries_log.append({"sql": sql, "time": "0.000"})
            else:
                cursor.executemany(self.plans[model][0], rows)


class FastInsert(RowWriter):
    """A `RowWriter` that numbers the rows itself: only for a generator that owns the
    tables while it runs (the ids are max(id) + 1, 2, …); `finish()` moves PostgreSQL's
    sequences past them (SQLite's AUTOINCREMENT follows by itself)."""

    def __init__(self, *tables: type[models.Model]) -> None:
        super().__init__(*tables)
        self.next_id = {
            model: (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1
            for model in tables
        }

    def insert(self, objects: list[Any]) -> None:
        if not objects:
            return
        model = type(objects[0])
        start = self.next_id[model]
        for offset, obj in enumerate(objects):
            obj.pk = start + offset
        self.next_id[model] = start + len(objects)
        self.write(objects)

    def finish(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), list(self.tables))
        if statements:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)


def _batches(items: Iterator[Planned], size: int) -> Iterator[list[Planned]]:
    batch: list[Planned] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
