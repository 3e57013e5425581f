"""The default service catalogue (诉求分类), as data, and its loader (`courtyard load_catalogue`).

Modelled on the way Beijing's 12345 hotline sorts orders: seven groups — public works,
water/power/gas/heating, sanitation, property management, housing safety, community
services and consultations, emergencies — with about twenty categories below them. Each
category has a stable `service_code` (Open311 clients and imported hotline orders refer to
it, so a code is never renamed or reused), Chinese and English names, search keywords, a
feedback class (emergency 2 h, utilities 24 h, general 7 days, complex 15 days by default:
`demands.conf`) and, for a few, extra questions the intake form asks (the format of
`ServiceCategory.attributes`).

Invariant: loading is idempotent by `service_code`. A code that exists is left as it is
(staff may have tuned it in the admin) unless `update=True`, which brings its names,
keywords, class, questions and parent back to the values here; nothing is ever deleted.
The catalogue is configuration, edited in the admin, so it is written directly (it has no
audit trail, like every other admin-edited configuration).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from courtyard.demands.models import FeedbackClass, ServiceCategory

FC = FeedbackClass


def _choice(
    code: str, zh: str, en: str, values: list[tuple[str, str, str]], *, required: bool = False
) -> dict[str, Any]:
    return {
        "code": code,
        "datatype": "singlevaluelist",
        "required": required,
        "description": zh,
        "description_en": en,
        "values": [{"key": key, "name": name, "name_en": name_en} for key, name, name_en in values],
    }


def _text(code: str, zh: str, en: str, *, datatype: str = "string") -> dict[str, Any]:
    return {
        "code": code,
        "datatype": datatype,
        "required": False,
        "description": zh,
        "description_en": en,
    }


OUTAGE_SCOPE = _choice(
    "scope",
    "影响范围",
    "How far does it reach?",
    [
        ("home", "仅本户", "only my home"),
        ("building", "整栋楼", "the whole building"),
        ("compound", "整个小区或胡同", "the whole compound or hutong"),
    ],
)


@dataclass(frozen=True)
class CategorySpec:
    """One node of the catalogue; `parent` is the parent's service code ("" for a group)."""

    service_code: str
    name: str
    name_en: str
    feedback_class: str = FC.GENERAL
    keywords: str = ""
    description: str = ""
    parent: str = ""
    attributes: list[dict[str, Any]] = field(default_factory=list)

    def values(self) -> dict[str, Any]:
        """The fields a load writes (not the parent, which is resolved to a row)."""
        return {
            "name": self.name,
            "name_en": self.name_en,
            "feedback_class": self.feedback_class,
            "keywords": self.keywords,
            "description": self.description,
            "attributes": self.attributes,
        }


def _group(code: str, name: str, name_en: str, feedback_class: str = FC.GENERAL) -> CategorySpec:
    return CategorySpec(code, name, name_en, feedback_class)


# Groups first, then their categories: a parent always comes before its children.
CATALOGUE: list[CategorySpec] = [
    # 市政设施 — street lights, roads, manhole covers (城市管理委员会 in most districts).
    _group("public-works", "市政设施", "Public works"),
    CategorySpec(
        "streetlight", "路灯不亮", "Street light out",
        keywords="路灯 灯不亮 灯坏了 照明 夜里太黑 灯杆",
        description="路灯不亮、闪烁、白天常亮或灯杆倾斜。",
        parent="public-works",
        attributes=[_text("pole", "灯杆编号（如能看到）", "Number on the pole, if visible")],
    ),
    CategorySpec(
        "road-damage", "道路破损", "Damaged road or pavement",
        keywords="路面 坑 塌陷 破损 人行道 步道砖 积水",
        description="路面坑洼、塌陷、人行步道砖松动或缺失。",
        parent="public-works",
    ),
    CategorySpec(
        "manhole-cover", "井盖缺失或破损", "Missing or broken manhole cover",
        keywords="井盖 窨井 下水井 丢失 破损 响动",
        description="井盖丢失、破损、松动或发出响声。",
        parent="public-works",
    ),
    # 供水供电供气供热 — the utilities class (24 h).
    _group("utilities", "供水供电供气供热", "Water, power, gas and heating", FC.UTILITIES),
    CategorySpec(
        "water-outage", "停水", "No water",
        FC.UTILITIES,
        keywords="停水 没水 水压低 自来水 断水",
        description="没有自来水或水压过低。",
        parent="utilities",
        attributes=[OUTAGE_SCOPE],
    ),
    CategorySpec(
        "power-outage", "停电", "Power cut",
        FC.UTILITIES,
        keywords="停电 没电 跳闸 断电 电压",
        description="停电、频繁跳闸或电压不稳。",
        parent="utilities",
        attributes=[OUTAGE_SCOPE],
    ),
    CategorySpec(
        "gas-supply", "燃气供应", "Gas supply",
        FC.UTILITIES,
        keywords="燃气 天然气 没气 气压低 燃气表 煤气",
        description="没有燃气、气压低或燃气表故障（闻到燃气味请选“燃气泄漏”）。",
        parent="utilities",
    ),
    CategorySpec(
        "heating", "供暖不热", "Heating not warm enough",
        FC.UTILITIES,
        keywords="暖气 供暖 不热 暖气片 温度低 采暖",
        description="供暖期内室内温度低于 18℃、暖气不热或漏水。",
        parent="utilities",
        attributes=[
            _text("temperature", "室内温度（℃）", "Indoor temperature (°C)", datatype="number")
        ],
    ),
    # 环境卫生 — rubbish, noise, public toilets.
    _group("sanitation", "环境卫生", "Sanitation and environment"),
    CategorySpec(
        "garbage", "垃圾清运", "Rubbish not collected",
        keywords="垃圾 清运 垃圾桶 满溢 堆放 分类 大件垃圾",
        description="垃圾桶满溢、垃圾未及时清运、乱堆乱放。",
        parent="sanitation",
    ),
    CategorySpec(
        "noise", "噪音扰民", "Noise nuisance",
        keywords="噪音 扰民 施工 吵 广场舞 夜间",
        description="施工、经营或活动噪音影响休息。",
        parent="sanitation",
        attributes=[
            _choice(
                "when",
                "什么时候",
                "When does it happen?",
                [
                    ("day", "白天", "in the daytime"),
                    ("night", "夜间（22:00—次日6:00）", "at night (22:00–06:00)"),
                ],
            )
        ],
    ),
    CategorySpec(
        "public-toilet", "公厕保洁", "Public toilet cleaning",
        keywords="公厕 厕所 异味 保洁 堵塞",
        description="胡同公厕不干净、有异味、设施损坏或堵塞。",
        parent="sanitation",
    ),
    # 物业管理 — property services, lifts, parking in the compound.
    _group("property", "物业管理", "Property management"),
    CategorySpec(
        "property-service", "物业服务", "Property management service",
        keywords="物业 服务 保洁 保安 物业费 维修",
        description="物业公司服务不到位、报修无人处理、收费问题。",
        parent="property",
    ),
    CategorySpec(
        "lift-fault", "电梯故障", "Lift out of order",
        keywords="电梯 故障 停运 困人 异响",
        description="电梯停运、异响或经常故障（有人被困请直接拨打 96333 或 119）。",
        parent="property",
        attributes=[_text("building", "楼号及单元", "Building and stairwell")],
    ),
    CategorySpec(
        "parking", "小区停车", "Parking in the compound",
        keywords="停车 车位 乱停 占道 消防通道",
        description="小区内乱停车、占用消防通道、车位管理。",
        parent="property",
    ),
    # 房屋安全 — leaks, unsafe buildings, lifts for old buildings, renovation (complex).
    _group("housing", "房屋安全", "Housing and building safety"),
    CategorySpec(
        "roof-leak", "房屋漏雨", "Leaking roof",
        keywords="漏雨 漏水 屋顶 房顶 渗水 墙皮",
        description="屋顶漏雨、外墙渗水（平房、老楼）。",
        parent="housing",
    ),
    CategorySpec(
        "building-hazard", "房屋安全隐患", "Unsafe building",
        keywords="危房 裂缝 墙体 脱落 隐患 安全",
        description="墙体开裂、外墙或构件脱落等安全隐患。",
        parent="housing",
    ),
    CategorySpec(
        "lift-retrofit", "老旧小区加装电梯", "Adding a lift to an old building",
        FC.COMPLEX,
        keywords="加装电梯 老楼 电梯 加梯 上下楼难",
        description="老旧住宅楼加装电梯的申请、协商和施工问题。",
        parent="housing",
        attributes=[_text("building", "楼号", "Building")],
    ),
    CategorySpec(
        "old-compound-renovation", "老旧小区综合整治", "Old compound renovation",
        FC.COMPLEX,
        keywords="老旧小区 改造 整治 抗震加固 外墙保温 管线",
        description="老旧小区综合整治、抗震加固、管线改造中的问题。",
        parent="housing",
    ),
    # 社区服务 — consultations, elder care, community activities.
    _group("community", "社区服务与咨询", "Community services and enquiries"),
    CategorySpec(
        "policy-enquiry", "政策咨询", "Policy question",
        keywords="咨询 政策 怎么办理 证明 补贴 社保 户口",
        description="政策、办事流程和证明材料的咨询。",
        parent="community",
    ),
    CategorySpec(
        "elder-care", "养老助餐", "Elder care and meals",
        keywords="养老 助餐 老人 驿站 送餐 助浴 居家养老",
        description="养老驿站、老年餐桌、助浴助洁等居家养老服务。",
        parent="community",
    ),
    CategorySpec(
        "community-activity", "社区文化活动", "Community cultural activities",
        keywords="活动 文化 展览 培训 兴趣班 场地",
        description="社区文化活动、场地开放和兴趣班。",
        parent="community",
    ),
    # 紧急 — the emergency class (2 h).
    _group("emergency", "紧急事项", "Emergencies", FC.EMERGENCY),
    CategorySpec(
        "gas-leak", "燃气泄漏", "Gas leak",
        FC.EMERGENCY,
        keywords="燃气泄漏 煤气味 漏气 燃气味 危险",
        description="闻到燃气味或燃气管线泄漏。请先离开现场，不要开关电器，并拨打 96777。",
        parent="emergency",
    ),
    CategorySpec(
        "burst-pipe", "水管爆裂", "Burst water pipe",
        FC.EMERGENCY,
        keywords="爆管 水管爆裂 跑水 冒水 淹",
        description="供水管线爆裂、大量跑水。",
        parent="emergency",
    ),
]  # fmt: skip

CATALOGUE_BY_CODE: dict[str, CategorySpec] = {spec.service_code: spec for spec in CATALOGUE}


@dataclass
class CatalogueResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _differs(category: ServiceCategory, spec: CategorySpec, parent_id: int | None) -> bool:
    current = {name: getattr(category, name) for name in spec.values()}
    return current != spec.values() or category.parent_id != parent_id


@transaction.atomic
def load_catalogue(
    specs: list[CategorySpec] | None = None, *, update: bool = False
) -> CatalogueResult:
    """Create the categories whose service code is missing; with `update`, also bring the
    existing ones back to the catalogue's values. Returns what it did."""
    specs = CATALOGUE if specs is None else specs
    existing = {
        c.service_code: c
        for c in ServiceCategory.objects.filter(service_code__in=[s.service_code for s in specs])
    }
    result = CatalogueResult()
    for spec in specs:
        parent = existing.get(spec.parent) if spec.parent else None
        if spec.parent and parent is None:  # not in `specs`: look it up
            parent = existing[spec.parent] = ServiceCategory.objects.get(service_code=spec.parent)
        parent_id = parent.pk if parent else None
        category = existing.get(spec.service_code)
        if category is None:
            existing[spec.service_code] = ServiceCategory.objects.create(
                service_code=spec.service_code, parent=parent, **spec.values()
            )
            result.created += 1
        elif update and _differs(category, spec, parent_id):
            for name, value in spec.values().items():
                setattr(category, name, value)
            category.parent = parent
            category.save()
            result.updated += 1
        else:
            result.unchanged += 1
    return result
