"""Checking a row: every reason it cannot be imported, found before anything is written.

`check_row` reads the cells (times, codes, yes/no, satisfaction) and checks the history's
order; `check_as_actions` then refuses what the actions themselves would refuse when the
history is replayed through them (`submit_demand`'s texts and extra questions, an inactive
category, the answer or the reply), with the same sentence and in the same order, so that
a row the bulk import refuses is the row the actions would have refused. Which unit a
dispatch goes to is decided when the batch is prepared (`lookups.Lookups.route`), and
whether it is still active in the batch's transaction (`.lock_units`, in `running`).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core.errors import BadInput, DomainError
from courtyard.demands import actions
from courtyard.demands.actions import DESCRIPTION_MAX, TEXT_MAX
from courtyard.demands.importer.reading import ATTRIBUTE_RE, REQUIRED
from courtyard.demands.models import Channel, Demand, Satisfaction, ServiceCategory, Status
from courtyard.organizations.models import Organization
from courtyard.places.models import Place

if TYPE_CHECKING:
    from courtyard.demands.importer.lookups import Lookups

LIMITS = {
    "external_id": Demand._meta.get_field("external_id").max_length or 64,
    "description": DESCRIPTION_MAX,
    "address": 300,
    "requester_name": 100,
    "requester_phone": 20,
    "reply": TEXT_MAX,
}
CHANNELS = {
    **{value: value for value in Channel.values},
    "12345": Channel.HOTLINE,
    "热线": Channel.HOTLINE,
    "12345热线": Channel.HOTLINE,
    "电话": Channel.PHONE,
    "网站": Channel.WEB,
    "网上": Channel.WEB,
    "网络": Channel.WEB,
    "来访": Channel.WALK_IN,
    "walk-in": Channel.WALK_IN,
    "网格巡查": Channel.GRID_PATROL,
    "接口": Channel.API,
}
STATUSES = {
    **{value: value for value in Status.values},
    "待受理": Status.SUBMITTED,
    "已受理": Status.ACCEPTED,
    "已派单": Status.DISPATCHED,
    "已签收": Status.SIGNED,
    "处理中": Status.CONTACTED,
    "已回复": Status.REPLIED,
    "已办结": Status.CLOSED,
    "直接答复": Status.ANSWERED,
    "不予受理": Status.DECLINED,
    "已合并": Status.MERGED,
}
YES = {"是", "yes", "y", "true", "1", "已解决"}
NO = {"否", "no", "n", "false", "0", "未解决"}
SATISFACTIONS = {
    "满意": Satisfaction.SATISFIED,
    "satisfied": Satisfaction.SATISFIED,
    "基本满意": Satisfaction.BASIC,
    "basic": Satisfaction.BASIC,
    "basically satisfied": Satisfaction.BASIC,
    "不满意": Satisfaction.UNSATISFIED,
    "unsatisfied": Satisfaction.UNSATISFIED,
    "not satisfied": Satisfaction.UNSATISFIED,
}
# The steps of a dispatched order, in the order they happen.
STEPS = ["received_at", "dispatched_at", "signed_at", "contacted_at", "replied_at"]
CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
SLASH_FORMATS = ("%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S")


@dataclass
class Order:
    """One row, checked and resolved to database rows, ready to be planned (`writing.plan`).
    `later_problem`: what `reply_demand` would refuse, reported only when the dispatch
    before it goes through (the replay stopped at the first refusal)."""

    line: int
    external_id: str
    received_at: datetime
    channel: str
    category: ServiceCategory
    place: Place
    description: str
    address: str = ""
    requester_name: str = ""
    requester_phone: str = ""
    unit: Organization | None = None
    stamps: dict[str, datetime] = field(default_factory=dict)
    reply: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    resolved: bool | None = None
    satisfaction: str = ""
    status: str = ""
    later_problem: str = ""

    @property
    def direct(self) -> bool:
        """Answered or declined without a dispatch."""
        return self.status in (Status.ANSWERED, Status.DECLINED)

    @property
    def dispatched(self) -> bool:
        return "dispatched_at" in self.stamps and not self.direct and self.status != Status.ACCEPTED


class BadRow(Exception):
    """The reasons a row cannot be imported."""


def parse_moment(value: Any, zone: tzinfo | None = None) -> datetime:
    """An ISO 8601 time (with an offset, or local), "YYYY-MM-DD HH:MM" or a spreadsheet
    date cell; raises ValueError for anything else. A local time is in `zone` (the current
    time zone when not given)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date | time):
        raise ValueError("a date without a time")
    else:
        text = str(value).strip()
        if ":" not in text:
            raise ValueError("no time of day")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            for pattern in SLASH_FORMATS:
                try:
                    moment = datetime.strptime(text, pattern)  # made aware below
                    break
                except ValueError:
                    continue
            else:
                raise
    if not 2000 <= moment.year <= 2100:  # a typo; near year 1 or 9999 it cannot even be stored
        raise ValueError("out of range")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, zone)
    return moment


def check_row(line: int, row: dict[str, Any], lookups: Lookups, now: datetime) -> Order:
    """The row as an Order, or BadRow with every reason found in its cells."""
    problems: list[str] = []

    def text(name: str) -> str:
        value = row.get(name, "")
        value = value if isinstance(value, str) else str(value)
        limit = LIMITS.get(name)
        if limit and len(value) > limit:
            problems.append(
                _("%(column)s is %(n)d characters long (at most %(limit)d)")
                % {"column": name, "n": len(value), "limit": limit}
            )
        return value

    for name in REQUIRED:
        if row.get(name, "") == "":
            problems.append(_("%(column)s is empty") % {"column": name})
    external_id = text("external_id")
    description = text("description")
    address, requester_name = text("address"), text("requester_name")
    requester_phone, reply = text("requester_phone"), text("reply")

    stamps: dict[str, datetime] = {}
    for name in [*STEPS, "evaluated_at", "closed_at"]:
        value = row.get(name, "")
        if value == "":
            continue
        try:
            stamps[name] = parse_moment(value, lookups.zone)
        except ValueError:
            problems.append(
                _("%(column)s is not a date and time (YYYY-MM-DD HH:MM, or ISO 8601): %(value)s")
                % {"column": name, "value": value}
            )
            continue
        if stamps[name] > now:
            problems.append(_("%(column)s is in the future") % {"column": name})

    channel = CHANNELS.get(str(row.get("channel", "")).lower() or Channel.HOTLINE)
    if channel is None:
        problems.append(_("unknown channel %(value)s") % {"value": row["channel"]})
    category = lookups.categories.get(str(row.get("service_code", "")))
    if row.get("service_code", "") != "" and category is None:
        problems.append(_("unknown service code %(value)s") % {"value": row["service_code"]})
    place = lookups.places.get(str(row.get("place_code", "")))
    if row.get("place_code", "") != "" and place is None:
        problems.append(_("unknown place %(value)s") % {"value": row["place_code"]})
    status = ""
    if row.get("status", "") != "":
        status = STATUSES.get(str(row["status"]).lower(), "")
        if not status:
            problems.append(_("unknown status %(value)s") % {"value": row["status"]})
        elif status == Status.MERGED:
            problems.append(
                _("a merged order is not imported: import the order it was merged into")
            )
    resolved: bool | None = None
    if row.get("resolved", "") != "":
        flag = str(row["resolved"]).lower()
        resolved = True if flag in YES else False if flag in NO else None
        if resolved is None:
            problems.append(_("resolved must be 是/否 or yes/no, not %(v)s") % {"v": flag})
    satisfaction = ""
    if row.get("satisfaction", "") != "":
        satisfaction = SATISFACTIONS.get(str(row["satisfaction"]).lower(), "")
        if not satisfaction:
            problems.append(
                _("satisfaction must be 满意, 基本满意 or 不满意, not %(v)s")
                % {"v": row["satisfaction"]}
            )
    unit: Organization | None = None
    if row.get("unit", "") != "":
        found = lookups.unit(str(row["unit"]))
        if isinstance(found, str):
            problems.append(found)
        else:
            unit = found
        if row.get("dispatched_at", "") == "":
            problems.append(_("a unit is given but no dispatched_at"))

    unreadable = (row.get("resolved", "") != "" and resolved is None) or (
        row.get("satisfaction", "") != "" and not satisfaction
    )
    problems += check_history(stamps, status, reply, resolved, satisfaction, unreadable)
    if not status:
        status = history_status(stamps)
        if status == Status.REPLIED and "closed_at" in stamps:
            status = Status.CLOSED
    if problems:
        raise BadRow("; ".join(problems))
    assert category is not None and place is not None and channel is not None
    return Order(
        line=line,
        external_id=external_id,
        received_at=stamps["received_at"],
        channel=channel,
        category=category,
        place=place,
        description=description,
        address=address,
        requester_name=requester_name,
        requester_phone=requester_phone,
        unit=unit,
        stamps=stamps,
        reply=reply,
        attributes={
            match[1]: str(value)
            for name, value in row.items()
            if value != "" and name[:10] == "attribute[" and (match := ATTRIBUTE_RE.match(name))
        },
        resolved=resolved,
        satisfaction=satisfaction,
        status=status,
    )


def history_status(stamps: dict[str, datetime]) -> str:
    """The status the recorded steps lead to."""
    if "evaluated_at" in stamps:
        return Status.CLOSED
    for name, status in (
        ("replied_at", Status.REPLIED),
        ("contacted_at", Status.CONTACTED),
        ("signed_at", Status.SIGNED),
        ("dispatched_at", Status.DISPATCHED),
    ):
        if name in stamps:
            return status
    return Status.SUBMITTED


def check_history(
    stamps: dict[str, datetime],
    status: str,
    reply: str,
    resolved: bool | None,
    satisfaction: str,
    unreadable_rating: bool = False,
) -> list[str]:
    """Why the recorded steps cannot have happened in this order, if they cannot
    (`unreadable_rating`: resolved or satisfaction could not be read, and was reported)."""
    problems: list[str] = []
    if "received_at" not in stamps:
        return problems  # reported already
    direct = status in (Status.ANSWERED, Status.DECLINED)
    order = [*STEPS, "evaluated_at"]
    # Each step needs the one before it (an answer or a refusal needs no dispatch).
    for before, after in itertools.pairwise(order):
        if after in stamps and before not in stamps and not (direct and after == "replied_at"):
            problems.append(
                _("%(after)s is given without %(before)s") % {"after": after, "before": before}
            )
    # … and none may come before the previous one.
    previous = "received_at"
    for name in [*order[1:], "closed_at"]:
        if name not in stamps:
            continue
        if stamps[name] < stamps[previous]:
            problems.append(
                _("%(later)s (%(at)s) is before %(earlier)s (%(then)s)")
                % {
                    "later": name,
                    "at": timezone.localtime(stamps[name]).strftime("%Y-%m-%d %H:%M"),
                    "earlier": previous,
                    "then": timezone.localtime(stamps[previous]).strftime("%Y-%m-%d %H:%M"),
                }
            )
        previous = name
    if "replied_at" in stamps and not reply:
        problems.append(_("replied_at is given without the reply"))
    if reply and "replied_at" not in stamps:
        problems.append(_("a reply is given without replied_at"))
    evaluated = "evaluated_at" in stamps
    if evaluated and (resolved is None or not satisfaction) and not unreadable_rating:
        problems.append(_("an evaluation needs both resolved and satisfaction"))
    if not evaluated and (resolved is not None or satisfaction):
        problems.append(_("resolved and satisfaction need evaluated_at"))
    derived = history_status(stamps)
    if direct:
        if "dispatched_at" in stamps or evaluated:
            problems.append(
                _("an order that was %(status)s cannot have been dispatched") % {"status": status}
            )
        elif not reply:
            problems.append(_("an answered or declined order needs the answer or reason in reply"))
    elif "closed_at" in stamps and not (
        status in ("", Status.CLOSED) and derived == Status.REPLIED
    ):
        problems.append(_("closed_at is only for an order closed without an evaluation"))
    elif status and status != derived:
        reachable = (status, derived) in {
            (Status.CLOSED, Status.REPLIED),
            (Status.ACCEPTED, Status.SUBMITTED),
        }
        if not reachable:
            problems.append(
                _("the status is %(status)s but the history ends at %(derived)s")
                % {"status": status, "derived": derived}
            )
    return problems


def reason(exc: DomainError) -> str:
    """A refusal as the replay through the actions reported it: "field: sentence"."""
    where = f"{exc.field}: " if exc.field else ""
    return f"{where}{exc.message}"


def check_as_actions(order: Order) -> None:
    """Refuse (BadRow) what the actions would refuse of this history, before the dispatch:
    `submit_demand`'s checks in its order (category in use, the texts, the extra questions),
    then the answer or the reason of a direct answer or refusal. The texts are kept as the
    actions store them. What `reply_demand` would refuse comes after the dispatch in the
    replay: it is kept in `order.later_problem`."""
    try:
        if not order.category.is_active:
            raise BadInput(_("This service category is no longer in use."), field="category")
        order.description = actions._text(order.description, "description", limit=DESCRIPTION_MAX)
        order.attributes = actions._check_attributes(order.category, order.attributes)
        order.address = actions._text(order.address, "address", required=False, limit=300)
        order.requester_name = actions._text(
            order.requester_name, "requester_name", required=False, limit=100
        )
        order.requester_phone = actions._text(
            order.requester_phone, "requester_phone", required=False, limit=20
        )
        if order.status == Status.ANSWERED:
            order.reply = actions._text(order.reply, "answer")
        elif order.status == Status.DECLINED:
            order.reply = actions._text(order.reply, "reason")
    except DomainError as exc:
        raise BadRow(reason(exc)) from exc
    if order.status != Status.ACCEPTED and "replied_at" in order.stamps and not order.direct:
        try:
            order.reply = actions._text(order.reply, "reply")
        except DomainError as exc:
            order.later_problem = reason(exc)
