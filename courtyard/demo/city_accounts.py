"""The demo accounts: one person per kind of user, all with the password `courtyard-demo`.

Invariant: loading twice creates nothing and writes no audit row the second time — a user
is created only when the username is free, the password is set only when it does not match,
the profile, home and roles are written (through the actions) only when they differ.
"""

from __future__ import annotations

from dataclasses import dataclass

from courtyard.demo.city_places import (
    CAOCHANG,
    CITY,
    DONGCHENG,
    QIANMEN,
    XUEZHIYUAN,
    caochang_courtyard,
)
from courtyard.organizations.models import Organization
from courtyard.people.actions import assign_role, set_home, update_profile
from courtyard.people.models import Role, RoleKind, User
from courtyard.places.models import Place

DEMO_PASSWORD = "courtyard-demo"
R = RoleKind


@dataclass(frozen=True)
class Grant:
    """A role held at a place (by code) or in an organization (by `city_orgs` key)."""

    kind: str
    place_code: str | None = None
    org_key: str | None = None


@dataclass(frozen=True)
class AccountSpec:
    username: str
    display_name: str
    phone: str
    role_zh: str
    role_en: str
    grants: tuple[Grant, ...]
    home_code: str | None = None
    is_superuser: bool = False


ACCOUNTS = [
    AccountSpec("demo-resident", "王秀兰", "13800138001",
                "居民 · 草厂社区（家住草厂三条12号院）",
                "Resident · Caochang Community (home: No. 12 Courtyard, Caochang 3rd Lane)",
                (Grant(R.RESIDENT, caochang_courtyard(3, 12)),),
                home_code=caochang_courtyard(3, 12)),
    AccountSpec("demo-worker", "李娜", "13800138002",
                "社区工作者 · 草厂社区", "Community worker · Caochang Community",
                (Grant(R.COMMUNITY_WORKER, CAOCHANG),)),
    AccountSpec("demo-worker-2", "张伟", "13800138003",
                "社区工作者 · 学知园社区（学院路街道）",
                "Community worker · Xuezhiyuan Community (Xueyuan Road Subdistrict)",
                (Grant(R.COMMUNITY_WORKER, XUEZHIYUAN),)),
    AccountSpec("demo-street", "刘洋", "13800138004",
                "街道干部 · 前门街道", "Street officer · Qianmen Subdistrict",
                (Grant(R.STREET_OFFICER, QIANMEN),)),
    AccountSpec("demo-district", "陈静", "13800138005",
                "区级干部 · 东城区", "District officer · Dongcheng District",
                (Grant(R.DISTRICT_OFFICER, DONGCHENG),)),
    AccountSpec("demo-city", "赵敏", "13800138006",
                "市级管理员 · 北京市（可进入管理后台）",
                "City administrator · Beijing (Django admin too)",
                (Grant(R.CITY_ADMIN, CITY),), is_superuser=True),
    AccountSpec("demo-unit", "孙强", "13800138007",
                "驻区单位联络人 · 北京草厂胡同文化发展有限公司（前门街道协调委员会成员单位）",
                "Unit handler · Beijing Caochang Hutong Culture Development Co., Ltd. "
                "(member of the Qianmen committee)",
                (Grant(R.UNIT_HANDLER, org_key="hutong-culture"),)),
    AccountSpec("demo-department", "周磊", "13800138008",
                "职能部门承办人 · 东城区城市管理委员会",
                "Department handler · Dongcheng District Urban Management Commission",
                (Grant(R.DEPARTMENT_HANDLER, org_key="dongcheng-urban"),)),
    AccountSpec("demo-socialorg", "吴芳", "13800138009",
                "社会组织工作人员 · 东城区草厂社区养老服务驿站",
                "Social organization staff · Caochang Community Elder-care Service Station",
                (Grant(R.SOCIALORG_STAFF, org_key="elder-care"),)),
    AccountSpec("demo-volunteer", "李建国", "13800138010",
                "志愿者 · 草厂社区；居民（家住草厂五条27号院）；在职党员双报到",
                "Volunteer · Caochang Community; resident (home: No. 27 Courtyard, "
                "Caochang 5th Lane); in-service party member reporting to Caochang",
                (Grant(R.VOLUNTEER, CAOCHANG), Grant(R.RESIDENT, caochang_courtyard(5, 27))),
                home_code=caochang_courtyard(5, 27)),
]  # fmt: skip


def _ensure_user(spec: AccountSpec) -> tuple[User, bool]:
    user = User.objects.filter(username=spec.username).first()
    created = user is None
    if user is None:
        # An existing account keeps its password: someone may have changed it on purpose.
        user = User.objects.create_user(username=spec.username, password=DEMO_PASSWORD)
    if (user.display_name, user.phone) != (spec.display_name, spec.phone):
        update_profile(
            user,
            by=None,
            display_name=spec.display_name,
            phone=spec.phone,
            preferred_language=user.preferred_language,
        )
    if spec.is_superuser and not (user.is_staff and user.is_superuser):
        # No action grants Django-admin rights: they are deployment configuration, not a
        # role in the domain. Set directly, as `createsuperuser` would.
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    return user, created


def load_accounts(orgs: dict[str, Organization]) -> tuple[dict[str, User], int]:
    """Create or complete every demo account; returns ({username: user}, users created)."""
    codes = {g.place_code for a in ACCOUNTS for g in a.grants if g.place_code}
    codes |= {a.home_code for a in ACCOUNTS if a.home_code}
    places = {p.code: p for p in Place.objects.filter(code__in=codes)}
    users, created = {}, 0
    for spec in ACCOUNTS:
        user, is_new = _ensure_user(spec)
        created += is_new
        if spec.home_code and user.home_id != places[spec.home_code].pk:
            set_home(user, by=None, home=places[spec.home_code])
        for grant in spec.grants:
            place = places[grant.place_code] if grant.place_code else None
            org = orgs[grant.org_key] if grant.org_key else None
            held = Role.objects.active().filter(
                user=user, kind=grant.kind, place=place, organization=org
            )
            if not held.exists():
                assign_role(user, by=None, kind=grant.kind, place=place, organization=org)
        users[spec.username] = user
    return users, created
