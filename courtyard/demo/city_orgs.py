"""The demo city's organizations, coordination committees and dual-reporting records.

Every name here is made up (plausible, not a real body), every credit code is fictitious
but valid (see `demo.credit`). Invariant: loading twice creates nothing — an organization
is found by its credit code, a committee by its place, a membership by (committee, unit)
among current ones, a dual report by (unit or member) among current ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from courtyard.demo import credit
from courtyard.demo.city_places import CAOCHANG, DONGCHENG, QIANMEN, XUEZHIYUAN
from courtyard.organizations.actions import (
    add_committee_member,
    create_committee,
    create_organization,
    register_dual_report,
)
from courtyard.organizations.models import (
    Committee,
    CommitteeMembership,
    DualReport,
    Organization,
    OrganizationKind,
    Position,
)
from courtyard.people.models import User
from courtyard.places.models import Place

OK = OrganizationKind
QIANMEN_EAST_STREET, DAJIANG = "110101011001", "110101011006"


@dataclass(frozen=True)
class OrgSpec:
    """One demo organization. `serial` fixes its credit code: never reuse or renumber one."""

    key: str
    serial: int
    kind: str
    authority: str
    place_code: str
    name: str
    name_en: str
    address: str = ""

    @property
    def credit_code(self) -> str:
        org_code = credit.counter_org_code(self.serial, lead=credit.DEMO_LEAD)
        return credit.credit_code(self.authority, self.place_code, org_code)


ORGANIZATIONS = [
    # Units (驻区单位) in 前门街道, most of them in 草厂社区.
    OrgSpec("hutong-culture", 1, OK.ENTERPRISE, credit.ENTERPRISE, CAOCHANG,
            "北京草厂胡同文化发展有限公司", "Beijing Caochang Hutong Culture Development Co., Ltd.",
            "草厂四条12号院"),
    OrgSpec("hutong-school", 2, OK.SCHOOL, credit.PUBLIC_INSTITUTION, CAOCHANG,
            "北京市东城区草厂胡同小学", "Caochang Hutong Primary School, Dongcheng District",
            "草厂八条27号院"),
    OrgSpec("qianmen-hospital", 3, OK.HOSPITAL, credit.PUBLIC_INSTITUTION, QIANMEN_EAST_STREET,
            "北京市东城区前门东区医院", "Qianmen East Hospital, Dongcheng District"),
    OrgSpec("heritage-centre", 4, OK.CENTRAL_UNIT, credit.PUBLIC_INSTITUTION, DAJIANG,
            "国家古建筑保护研究中心", "National Centre for Historic Architecture Conservation"),
    OrgSpec("hutong-property", 5, OK.PROPERTY_COMPANY, credit.ENTERPRISE, CAOCHANG,
            "北京前门胡同物业管理有限公司", "Beijing Qianmen Hutong Property Management Co., Ltd."),
    OrgSpec("xianyukou-food", 6, OK.ENTERPRISE, credit.ENTERPRISE, DAJIANG,
            "北京鲜鱼口老字号餐饮有限公司",
            "Beijing Xianyukou Time-honoured Restaurants Co., Ltd."),
    # Units in 学院路街道 (学知园社区).
    OrgSpec("xueyuan-tech", 7, OK.ENTERPRISE, credit.ENTERPRISE, XUEZHIYUAN,
            "北京学院路智联科技有限公司", "Beijing Xueyuan Road Zhilian Technology Co., Ltd."),
    OrgSpec("xuezhiyuan-school", 8, OK.SCHOOL, credit.PUBLIC_INSTITUTION, XUEZHIYUAN,
            "北京市海淀区学知园实验小学", "Xuezhiyuan Experimental Primary School, Haidian District"),
    OrgSpec("xueyuan-hospital", 9, OK.HOSPITAL, credit.PUBLIC_INSTITUTION, XUEZHIYUAN,
            "北京学院路社区医院", "Xueyuan Road Community Hospital"),
    OrgSpec("xueqing-property", 10, OK.PROPERTY_COMPANY, credit.ENTERPRISE, XUEZHIYUAN,
            "北京学清物业服务有限公司", "Beijing Xueqing Property Services Co., Ltd."),
    # Social organizations (社会组织).
    OrgSpec("elder-care", 11, OK.SOCIAL_ORGANIZATION, credit.PRIVATE_NON_ENTERPRISE, CAOCHANG,
            "东城区草厂社区养老服务驿站", "Caochang Community Elder-care Service Station",
            "草厂六条12号院"),
    OrgSpec("hutong-volunteers", 12, OK.SOCIAL_ORGANIZATION, credit.SOCIAL_GROUP, CAOCHANG,
            "前门草厂胡同志愿者协会", "Caochang Hutong Volunteer Association, Qianmen"),
    OrgSpec("xueyuan-youth", 13, OK.SOCIAL_ORGANIZATION, credit.PRIVATE_NON_ENTERPRISE,
            XUEZHIYUAN, "海淀区学院路青少年服务中心", "Xueyuan Road Youth Service Centre"),
    # Government departments (职能部门) of 东城区.
    OrgSpec("dongcheng-urban", 14, OK.GOVERNMENT_DEPARTMENT, credit.GOVERNMENT_ORGAN, DONGCHENG,
            "东城区城市管理委员会", "Dongcheng District Urban Management Commission"),
    OrgSpec("dongcheng-housing", 15, OK.GOVERNMENT_DEPARTMENT, credit.GOVERNMENT_ORGAN,
            DONGCHENG, "东城区住房和城市建设委员会",
            "Dongcheng District Housing and Urban-Rural Development Commission"),
    OrgSpec("dongcheng-civil", 16, OK.GOVERNMENT_DEPARTMENT, credit.GOVERNMENT_ORGAN, DONGCHENG,
            "东城区民政局", "Dongcheng District Civil Affairs Bureau"),
]  # fmt: skip

# (place code, name, name_en, [(organization key, position)]); the first member chairs.
COMMITTEES = [
    (
        QIANMEN,
        "前门街道党建工作协调委员会",
        "Qianmen Subdistrict Party-Building Coordination Committee",
        [
            ("heritage-centre", Position.CHAIR),
            ("qianmen-hospital", Position.DEPUTY),
            ("hutong-culture", Position.MEMBER),
            ("hutong-school", Position.MEMBER),
            ("hutong-property", Position.MEMBER),
            ("xianyukou-food", Position.MEMBER),
        ],
    ),
    (
        CAOCHANG,
        "草厂社区党建工作协调委员会",
        "Caochang Community Party-Building Coordination Committee",
        [
            ("hutong-culture", Position.CHAIR),
            ("hutong-property", Position.DEPUTY),
            ("hutong-school", Position.MEMBER),
        ],
    ),
]

UNIT_REPORTS = {
    "hutong-culture": "每月开放胡同文化展厅一次，供社区老人和孩子参观；"
    "每季度派两名党员参加胡同环境整治。",
    "hutong-school": "寒暑假向社区青少年开放操场和图书室；教师志愿者每周为困难家庭孩子辅导功课一次。",
}
MEMBER_REPORT = "认领社区“老旧小区加装电梯”议事协商的记录员岗位；每月参加一次楼门院志愿服务。"


def load_organizations() -> tuple[dict[str, Organization], int]:
    """Create the organizations that do not exist yet; returns ({key: org}, created)."""
    places = {
        p.code: p
        for p in Place.objects.filter(code__in={spec.place_code for spec in ORGANIZATIONS})
    }
    existing = {
        o.credit_code: o
        for o in Organization.objects.filter(
            credit_code__in=[spec.credit_code for spec in ORGANIZATIONS]
        )
    }
    orgs, created = {}, 0
    for spec in ORGANIZATIONS:
        org = existing.get(spec.credit_code)
        if org is None:
            org = create_organization(
                by=None,
                name=spec.name,
                name_en=spec.name_en,
                kind=spec.kind,
                place=places[spec.place_code],
                credit_code=spec.credit_code,
                address=spec.address,
            )
            created += 1
        orgs[spec.key] = org
    return orgs, created


def load_committees(orgs: dict[str, Organization]) -> int:
    """Found the committees and admit their members; returns how many rows were made."""
    made = 0
    for place_code, name, name_en, members in COMMITTEES:
        place = Place.objects.get(code=place_code)
        committee = Committee.objects.filter(place=place).first()
        if committee is None:
            committee = create_committee(by=None, place=place, name=name, name_en=name_en)
            made += 1
        current = set(
            CommitteeMembership.objects.current()
            .filter(committee=committee)
            .values_list("organization_id", flat=True)
        )
        for key, position in members:
            if orgs[key].pk not in current:
                add_committee_member(committee, by=None, organization=orgs[key], position=position)
                made += 1
    return made


def load_dual_reports(orgs: dict[str, Organization], users: dict[str, User]) -> int:
    """Two units and one in-service party member report to 草厂社区.

    `register_dual_report` stores `by` as the registrant, which may not be empty: a unit is
    registered by its handler (or, for the school, recorded by the community worker), the
    party member registers himself."""
    caochang = Place.objects.get(code=CAOCHANG)
    current = DualReport.objects.current()
    made = 0
    for key, commitments in UNIT_REPORTS.items():
        if not current.filter(kind="unit", organization=orgs[key]).exists():
            by = users["demo-unit"] if key == "hutong-culture" else users["demo-worker"]
            register_dual_report(
                by=by, community=caochang, commitments=commitments, organization=orgs[key]
            )
            made += 1
    member = users["demo-volunteer"]
    if not current.filter(kind="party_member", member=member).exists():
        register_dual_report(
            by=member, community=caochang, commitments=MEMBER_REPORT, member=member
        )
        made += 1
    return made
