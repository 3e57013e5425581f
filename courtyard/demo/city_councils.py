"""The demo city's council: 草厂社区议事会 ("residents raise, discuss, decide, do and
evaluate"), made through the actions with times relative to the first run.

- members: 李建国 (demo-volunteer) chairs, 李娜 (demo-worker) is secretary, 王秀兰
  (demo-resident) represents residents, 孙强 (demo-unit) and 吴芳 (demo-socialorg) represent
  their organizations, and two residents without accounts;
- proposals in every state: collecting support, past the screening deadline, on the agenda,
  declined (it belongs to a court), decided;
- a closed meeting whose vote passed: a resolution in effect with a task done and a task
  dispatched as a demand to the district's urban management commission; a second closed
  meeting whose resolution is published now, with one objection, so demo-resident may object;
- an announced meeting in five days;
- the owners' roll of 草厂三条12号院 (12 parts; 王秀兰 owns two, the housing centre's three
  unlet parts count as one owner) with an online owners' vote on a charging shed in the
  courtyard (Civil Code Art. 278 item 8, special) open now; demo-resident has not voted yet.

Invariant: loading twice creates nothing — the council is found by place and name, and
when it exists nothing else is added.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from courtyard.councils import actions
from courtyard.councils.models import Council, CouncilMember, MemberRole, Proposal, Resolution
from courtyard.demands.models import ServiceCategory
from courtyard.demo.city_places import CAOCHANG
from courtyard.organizations.models import Organization
from courtyard.people.models import User
from courtyard.places.models import Place

COUNCIL_NAME = "草厂社区议事会"
ROLL_NAME = "草厂三条12号院业主名册"

# part, area (m²), owner id, owner name, account — the courtyard's exclusive parts.
ROLL = [
    ("12-1", "42.50", "o-01", "马桂芝", ""),
    ("12-2", "38.20", "o-02", "赵德顺", ""),
    ("12-3", "45.00", "o-03", "王秀兰", "demo-resident"),
    ("12-4", "21.30", "o-03", "王秀兰", "demo-resident"),
    ("12-5", "40.80", "o-04", "孙立平", ""),
    ("12-6", "36.60", "o-05", "周玉兰", ""),
    ("12-7", "44.10", "o-06", "吴建华", ""),
    ("12-8", "39.90", "o-07", "郑淑珍", ""),
    ("12-9", "41.20", "o-08", "冯国强", ""),
    ("12-10", "35.00", "o-housing", "东城区直管公房管理中心", ""),
    ("12-11", "35.00", "o-housing", "东城区直管公房管理中心", ""),
    ("12-12", "35.00", "o-housing", "东城区直管公房管理中心", ""),
]
PAPER_BALLOTS = [("o-01", "yes"), ("o-02", "yes"), ("o-04", "no"), ("o-05", "yes"), ("o-06", "yes")]


def _roll_csv() -> bytes:
    lines = ["part,area,owner_id,owner_name,username"]
    lines += [",".join(row) for row in ROLL]
    return ("\n".join(lines) + "\n").encode()


def _extra_residents() -> list[User]:
    """Two resident representatives without a login (their seats are on paper)."""
    people = []
    for username, name in (("caochang-rep-1", "马桂芝"), ("caochang-rep-2", "赵德顺")):
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, display_name=name)
            user.set_unusable_password()
            user.save(update_fields=["password"])
        people.append(user)
    return people


def load_city_councils(orgs: dict[str, Organization], users: dict[str, User]) -> int:
    """Build the demo council once; returns the number of councils created (0 or 1)."""
    place = Place.objects.get(code=CAOCHANG)
    if Council.objects.filter(place=place, name=COUNCIL_NAME).exists():
        return 0
    now = timezone.now()
    worker, resident = users["demo-worker"], users["demo-resident"]
    start = now - timedelta(days=60)
    council = actions.create_council(
        by=worker,
        place=place,
        name=COUNCIL_NAME,
        description="草厂社区的居民议事会：民事民提、民议、民决、民办、民评。",
        now=start,
    )
    rep1, rep2 = _extra_residents()
    seats = [
        (users["demo-volunteer"], MemberRole.CHAIR, None),
        (worker, MemberRole.SECRETARY, None),
        (resident, MemberRole.RESIDENT, None),
        (users["demo-unit"], MemberRole.UNIT, orgs["hutong-culture"]),
        (users["demo-socialorg"], MemberRole.SOCIAL_ORGANIZATION, orgs["elder-care"]),
        (rep1, MemberRole.RESIDENT, None),
        (rep2, MemberRole.RESIDENT, None),
    ]
    members = [
        actions.add_member(council, by=worker, user=u, role=r, organization=o, now=start)
        for u, r, o in seats
    ]
    supporters = [m.user for m in members if m.user != resident]

    def proposal(
        title: str, body: str, days_ago: int, support: int, by: User = resident
    ) -> Proposal:
        at = now - timedelta(days=days_ago)
        made = actions.raise_proposal(council, by=by, title=title, body=body, now=at)
        for user in [u for u in supporters if u != by][:support]:
            made = actions.support_proposal(made, by=user, now=at + timedelta(hours=2))
        return made

    benches = proposal("胡同口增设休息座椅", "草厂三条胡同口老人多，希望增设两张休息座椅。", 45, 5)
    childcare = proposal("暑期儿童托管服务", "请驿站和共建单位在暑期提供儿童托管。", 20, 5,
                         by=users["demo-socialorg"])  # fmt: skip
    parking = proposal("规范胡同停车秩序", "胡同内乱停车堵塞消防通道，建议划定停车位。", 12, 5)
    shed = proposal(
        "院内建设电动自行车充电棚", "12号院飞线充电隐患大，建议在院内公共区域建充电棚。", 10, 5
    )
    proposal(
        "楼道堆物清理", "院内公共通道堆放杂物，请组织清理。", 30, 5, by=users["demo-volunteer"]
    )
    proposal("胡同里增加绿植", "在胡同墙根摆放花箱。", 3, 2)
    lawsuit = proposal("撤销物业服务合同", "要求判定物业合同无效。", 25, 0)
    actions.decline_proposal(
        lawsuit,
        by=worker,
        reason="合同效力属于法院管辖，议事会不作决定；社区可协助联系法律援助。",
        now=now - timedelta(days=24),
    )
    for item in (benches, childcare, parking, shed):
        actions.screen_proposal(item, by=worker, now=item.raised_at + timedelta(days=2))

    # A closed meeting: the benches pass; the resolution is in effect with its tasks.
    in_effect = _meeting_that_passes(council, members, benches, worker, now - timedelta(days=35))
    actions.check_council_clocks(now=now - timedelta(days=20))
    road = ServiceCategory.objects.get(service_code="road-damage")
    task = actions.add_task(in_effect, by=worker, title="采购并安装两张座椅", owner=members[0].user,
                            due_at=now + timedelta(days=10), now=now - timedelta(days=19))  # fmt: skip
    actions.complete_task(
        task, by=members[0].user, note="已在胡同口安装两张座椅。", now=now - timedelta(days=5)
    )
    paving = actions.add_task(in_effect, by=worker, title="修补座椅旁破损路面", organization=orgs["dongcheng-urban"],
                              due_at=now + timedelta(days=20), now=now - timedelta(days=19))  # fmt: skip
    actions.dispatch_task(paving, by=worker, category=road, now=now - timedelta(days=18))

    # A second closed meeting, three days ago: child care passes and is published now.
    published = _meeting_that_passes(council, members, childcare, worker, now - timedelta(days=3))
    actions.object_to_resolution(
        published, by=users["demo-volunteer"], reason="托管场地请避开午休时间，减少噪音。",
        now=now - timedelta(hours=20),
    )  # fmt: skip

    # The next meeting, announced with its agenda.
    upcoming = actions.schedule_meeting(
        council, by=worker, title="2026年第四次议事会", location="草厂四条44号院",
        starts_at=now + timedelta(days=5), now=now - timedelta(days=1),
    )  # fmt: skip
    actions.add_motion(upcoming, by=worker, proposal=parking, now=now - timedelta(days=1))
    actions.announce_meeting(upcoming, by=worker, now=now - timedelta(days=1))

    # The owners' vote on the charging shed, online now.
    roll = actions.import_roll(
        council, by=worker, name=ROLL_NAME, data=_roll_csv(), now=now - timedelta(days=3)
    )
    vote = actions.create_vote(
        council, by=worker, title="在12号院公共区域建设电动自行车充电棚", roll=roll, matter="8",
        online_opens_at=now - timedelta(days=2), online_closes_at=now + timedelta(days=12),
        now=now - timedelta(days=3),
    )  # fmt: skip
    actions.open_vote(vote, by=worker, now=now - timedelta(days=2))
    voters = {v.key: v for v in vote.voters.all()}
    for number, (owner, choice) in enumerate(PAPER_BALLOTS, 1):
        actions.record_paper_ballot(vote, by=worker, voter=voters[owner], choice=choice,
                                    paper_ref=f"12-{number:03d}", now=now - timedelta(days=1))  # fmt: skip
    actions.check_council_clocks(now=now)  # marks the proposal past its screening deadline
    return 1


def _meeting_that_passes(
    council: Council,
    members: list[CouncilMember],
    proposal: Proposal,
    worker: User,
    at: datetime,
) -> Resolution:
    """A meeting at `at` (announced five days before) that passes `proposal` by a show of
    hands, with the resolution signed and published; returns the resolution."""
    secretary = members[1].user
    meeting = actions.schedule_meeting(council, by=worker, title=f"议事会：{proposal.title}",
                                       location="草厂四条44号院", starts_at=at, now=at - timedelta(days=6))  # fmt: skip
    motion = actions.add_motion(meeting, by=worker, proposal=proposal, now=at - timedelta(days=6))
    actions.announce_meeting(meeting, by=worker, now=at - timedelta(days=5))
    actions.open_meeting(meeting, by=secretary, now=at)
    present = members[:6]
    actions.record_attendance(meeting, by=secretary, members=present, now=at)
    actions.start_debate(motion, by=members[0].user, now=at)
    for minute, (member, stance) in enumerate(
        [(members[2], "for"), (members[5], "against"), (members[3], "for")]
    ):
        speech = actions.give_floor(motion, by=members[0].user, member=member, stance=stance,
                                    now=at + timedelta(minutes=2 * minute))  # fmt: skip
        actions.end_speech(
            speech, by=members[0].user, now=speech.started_at + timedelta(seconds=100)
        )
    vote = actions.create_vote(council, by=secretary, motion=motion, now=at + timedelta(minutes=10))
    vote = actions.open_vote(vote, by=secretary, now=at + timedelta(minutes=10))
    voters = {v.key: v for v in vote.voters.all()}
    hands = ["yes", "yes", "yes", "yes", "no", "abstain"]
    actions.record_hands(
        vote,
        by=secretary,
        choices={voters[f"member:{m.pk}"]: c for m, c in zip(present, hands, strict=True)},
        now=at + timedelta(minutes=12),
    )
    actions.close_vote(vote, by=secretary, now=at + timedelta(minutes=13))
    resolution = Resolution.objects.get(vote=vote)
    for member in present[:4]:
        actions.record_signature(
            resolution, by=secretary, member=member, now=at + timedelta(minutes=20)
        )
    actions.close_meeting(meeting, by=secretary, minutes=f"会议讨论了“{proposal.title}”，举手表决通过。",
                          now=at + timedelta(minutes=30))  # fmt: skip
    return actions.publish_resolution(resolution, by=worker, now=at + timedelta(hours=2))
