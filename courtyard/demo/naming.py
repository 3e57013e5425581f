"""Made-up names for generated places and organizations, Chinese with English.

Every function takes the caller's `random.Random`, so a seed fixes every name. Names are
plausible, not unique: real registers hold many 第一网格 and many 科技有限公司 too.
"""

from __future__ import annotations

import random
import re

from courtyard.demo import credit
from courtyard.organizations.models import OrganizationKind

OK = OrganizationKind

# Suffixes of official community/village names, longest first ("草厂社区居委会" → "草厂").
_SUFFIX = re.compile(r"(社区居民委员会|社区居委会|居民委员会|居委会|村民委员会|村委会|社区|村)$")

BRANDS = [
    ("华信", "Huaxin"), ("恒通", "Hengtong"), ("瑞丰", "Ruifeng"), ("嘉禾", "Jiahe"),
    ("永安", "Yong'an"), ("金桥", "Jinqiao"), ("博远", "Boyuan"), ("同仁", "Tongren"),
    ("泰和", "Taihe"), ("新源", "Xinyuan"), ("德胜", "Desheng"), ("京华", "Jinghua"),
    ("明远", "Mingyuan"), ("天成", "Tiancheng"), ("康宁", "Kangning"), ("广济", "Guangji"),
    ("宏达", "Hongda"), ("鼎盛", "Dingsheng"), ("汇通", "Huitong"), ("长青", "Changqing"),
    ("安和", "Anhe"), ("正阳", "Zhengyang"), ("清源", "Qingyuan"), ("锦程", "Jincheng"),
]  # fmt: skip
TRADES = [
    ("科技", "Technology"), ("商贸", "Trading"), ("餐饮管理", "Catering Management"),
    ("文化传媒", "Culture and Media"), ("建筑工程", "Construction"), ("信息咨询", "Consulting"),
    ("家政服务", "Household Services"), ("物流", "Logistics"), ("医药", "Pharmaceuticals"),
    ("教育科技", "Education Technology"), ("环保工程", "Environmental Engineering"),
    ("电子商务", "E-commerce"),
]  # fmt: skip
INSTITUTIONS = [
    ("文化馆", "Cultural Centre"), ("图书馆", "Library"), ("青少年活动中心", "Youth Centre"),
    ("体育中心", "Sports Centre"), ("档案馆", "Archives"), ("科技馆", "Science Centre"),
]  # fmt: skip
SCHOOLS = [
    ("小学", "Primary School"), ("中学", "Middle School"), ("幼儿园", "Kindergarten"),
    ("实验学校", "Experimental School"), ("职业学校", "Vocational School"),
]  # fmt: skip
HOSPITALS = [
    ("社区卫生服务中心", "Community Health Centre"), ("医院", "Hospital"),
    ("中医医院", "Traditional Chinese Medicine Hospital"), ("口腔诊所", "Dental Clinic"),
]  # fmt: skip
CENTRAL_BODIES = [
    ("国家档案研究所", "National Institute of Archival Research"),
    ("国家标准化研究院分院", "National Standardization Institute Branch"),
    ("中央机关服务中心", "Central Government Offices Service Centre"),
    ("国家气象信息中心分中心", "National Meteorological Information Sub-centre"),
    ("中国科学院研究所", "Chinese Academy of Sciences Institute"),
]  # fmt: skip
OTHERS = [
    ("商会", "Chamber of Commerce"), ("农贸市场", "Farmers' Market"),
    ("邮政所", "Post Office"), ("供销社", "Supply and Marketing Cooperative"),
]  # fmt: skip
SOCIAL_TOPICS = [
    ("养老服务", "Elder-care"), ("助残", "Disability Support"), ("青少年成长", "Youth"),
    ("文化艺术", "Arts and Culture"), ("环境保护", "Environmental"), ("邻里互助", "Neighbourly Help"),
    ("法律援助", "Legal Aid"), ("心理关爱", "Mental Health"), ("垃圾分类", "Waste Sorting"),
    ("体育健身", "Sports and Fitness"), ("书画", "Calligraphy and Painting"),
    ("合唱", "Choir"),
]  # fmt: skip
SOCIAL_FORMS = [
    ("协会", "Association", credit.SOCIAL_GROUP),
    ("促进会", "Promotion Society", credit.SOCIAL_GROUP),
    ("服务中心", "Service Centre", credit.PRIVATE_NON_ENTERPRISE),
    ("服务社", "Service Cooperative", credit.PRIVATE_NON_ENTERPRISE),
    ("志愿服务队", "Volunteer Team", credit.PRIVATE_NON_ENTERPRISE),
]  # fmt: skip
COMMITMENTS = [
    "每季度组织党员参加一次社区环境整治；节假日开放停车场供居民错峰停车。",
    "开放单位食堂为社区老人提供助餐服务；每月派志愿者入户探访独居老人。",
    "认领社区“老旧小区改造”议事协商岗位，提供专业技术咨询。",
    "每月举办一次健康义诊和健康讲座；为社区困难家庭提供就医绿色通道。",
    "寒暑假开放活动场地供社区青少年使用；派员参与垃圾分类桶前值守。",
    "捐赠图书设立社区书屋；每季度开展一次法律咨询进社区活动。",
]

# Units (驻区单位) by kind, with the share of each among generated units.
UNIT_KINDS = [
    (OK.ENTERPRISE, 45),
    (OK.PUBLIC_INSTITUTION, 10),
    (OK.CENTRAL_UNIT, 5),
    (OK.SCHOOL, 15),
    (OK.HOSPITAL, 8),
    (OK.PROPERTY_COMPANY, 12),
    (OK.OTHER, 5),
]
UNIT_AUTHORITY = {
    OK.ENTERPRISE: credit.ENTERPRISE,
    OK.PROPERTY_COMPANY: credit.ENTERPRISE,
    OK.OTHER: credit.ENTERPRISE,
    OK.PUBLIC_INSTITUTION: credit.PUBLIC_INSTITUTION,
    OK.CENTRAL_UNIT: credit.PUBLIC_INSTITUTION,
    OK.SCHOOL: credit.PUBLIC_INSTITUTION,
    OK.HOSPITAL: credit.PUBLIC_INSTITUTION,
}


def short_place_name(name: str) -> str:
    """草厂社区居委会 → 草厂; synthetic names (第3社区) give "" (they make poor prefixes)."""
    short = _SUFFIX.sub("", name)
    return "" if short.startswith("第") else short


def unit_name(rng: random.Random, kind: str, place: str) -> tuple[str, str]:
    """A unit's (name, English name); `place` is a short place name, possibly "". The
    English name cannot translate the place (no English is known for most of them)."""
    brand, brand_en = rng.choice(BRANDS)
    if kind in (OK.ENTERPRISE, OK.OTHER) and (kind == OK.ENTERPRISE or rng.random() < 0.5):
        trade, trade_en = rng.choice(TRADES)
        return f"北京{place}{brand}{trade}有限公司", f"Beijing {brand_en} {trade_en} Co., Ltd."
    if kind == OK.PROPERTY_COMPANY:
        return (
            f"北京{place}{brand}物业管理有限公司",
            f"Beijing {brand_en} Property Management Co., Ltd.",
        )
    pools: dict[str, list[tuple[str, str]]] = {
        OK.PUBLIC_INSTITUTION: INSTITUTIONS,
        OK.SCHOOL: SCHOOLS,
        OK.HOSPITAL: HOSPITALS,
        OK.CENTRAL_UNIT: CENTRAL_BODIES,
        OK.OTHER: OTHERS,
    }
    what, what_en = rng.choice(pools[kind])
    if kind == OK.CENTRAL_UNIT:
        return f"{what}{place}工作站", f"{what_en} Station"
    if kind == OK.SCHOOL:  # schools are numbered, as 北京市第十一中学 is
        n = rng.randint(1, 30)
        return f"北京市{place}第{n}{what}", f"Beijing No. {n} {what_en}"
    return f"{place}{brand}{what}", f"{brand_en} {what_en}"


def social_org_name(rng: random.Random, place: str) -> tuple[str, str, str]:
    """A social organization's (name, English name, credit-code authority prefix)."""
    topic, topic_en = rng.choice(SOCIAL_TOPICS)
    form, form_en, authority = rng.choice(SOCIAL_FORMS)
    brand, brand_en = rng.choice(BRANDS)
    return f"{place}{brand}{topic}{form}", f"{brand_en} {topic_en} {form_en}", authority


def building_name(rng: random.Random, number: int) -> tuple[str, str]:
    """A residential building (楼) or, one time in four, a courtyard (院)."""
    if rng.random() < 0.25:
        return f"{number}号院", f"No. {number} Courtyard"
    return f"{number}号楼", f"Building {number}"
