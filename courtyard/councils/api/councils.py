"""Councils in the API: /api/v1/councils … (the council, its charter and members) and the
owners' rolls (/api/v1/councils/{id}/rolls, /api/v1/rolls/{id}).

- Active councils are public, members' names included (councils post them); an inactive
  council is for the staff over its place only.
- Creating a council, changing its charter, seating and unseating members and importing
  rolls are for the staff over the council's place (`councils.manage`).
- A roll lists owners' names: personal data, read only by the staff over the place
  (`councils.see_owners`); anyone else gets 404, as for a roll that does not exist.
- A roll is imported from a CSV upload or from a JSON list of parts; both go through the one
  action `import_roll` (the JSON list is written as that CSV): every row checked, all
  written or none. Bad rows answer 400 with every row's number and reason.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, UploadedFile
from ninja.responses import Status as HttpStatus

from courtyard.core.api import page_response
from courtyard.core.errors import BadInput, NotAllowed
from courtyard.councils import actions
from courtyard.councils.actions.rolls import MAX_BYTES, RollImportError
from courtyard.councils.api.common import (
    LIST,
    READ,
    STEP,
    WRITE,
    PageParams,
    account,
    allow,
    area_text,
    logged_in,
    named,
    organization_named,
    utc,
    visible,
)
from courtyard.councils.models import (
    Council,
    CouncilMember,
    DecisionRule,
    ExclusivePart,
    MemberRole,
    OwnersRoll,
)
from courtyard.people.scopes import administers
from courtyard.places.models import Place

router = Router(tags=["councils"])


# ── Schemas ───────────────────────────────────────────────────────────────────────────────


class CharterOut(Schema):
    decision_rule: DecisionRule
    custom_rule: dict[str, Any] | None
    notice_days: int
    publication_working_days: int
    objection_days: int
    objection_threshold: int
    support_threshold: int
    screening_days: int
    meets_every_days: int
    speech_minutes: int
    speeches_per_motion: int
    secret_ballots: bool
    results_hidden_until_close: bool


class CharterIn(Schema):
    """Only the fields sent change; the action checks the bounds."""

    decision_rule: DecisionRule | None = None
    custom_rule: dict[str, Any] | None = None
    notice_days: int | None = None
    publication_working_days: int | None = None
    objection_days: int | None = None
    objection_threshold: int | None = None
    support_threshold: int | None = None
    screening_days: int | None = None
    meets_every_days: int | None = None
    speech_minutes: int | None = None
    speeches_per_motion: int | None = None
    secret_ballots: bool | None = None
    results_hidden_until_close: bool | None = None


class MemberOut(Schema):
    id: int
    name: str
    role: MemberRole
    role_name: str
    organization_id: int | None
    organization_name: str | None
    joined_at: datetime


class CouncilOut(Schema):
    id: int
    name: str
    description: str
    place_id: int
    place_name: str
    is_active: bool
    created_at: datetime
    member_count: int


class CouncilDetailOut(CouncilOut):
    charter: CharterOut
    members: list[MemberOut] = Field(..., description="Current members (public)")


class CouncilPage(Schema):
    items: list[CouncilOut]
    next_cursor: str | None


class CouncilFilters(PageParams):
    place: int | None = Field(None, description="Only councils within this place id (its subtree)")


class CouncilIn(CharterIn):
    place: int = Field(..., description="The id of the place the council sits at")
    name: str = Field(..., description="At most 200 characters")
    description: str = ""


class MemberIn(Schema):
    user: int = Field(..., description="The id of the person's account")
    role: MemberRole
    organization: int | None = Field(None, description="The unit or organization represented")


class RollOut(Schema):
    id: int
    council_id: int
    name: str
    imported_at: datetime
    part_count: int
    owner_count: int
    total_area: str = Field(..., description="m², as a decimal string")


class RollPage(Schema):
    items: list[RollOut]
    next_cursor: str | None


class PartOut(Schema):
    id: int
    part: str
    area: str
    owner_id: str
    owner_name: str
    has_account: bool


class PartPage(Schema):
    items: list[PartOut]
    next_cursor: str | None


class PartIn(Schema):
    part: str = Field(..., description="The exclusive part's id, e.g. 1-101")
    area: str = Field(..., description="Registered area in m², a decimal such as 85.50")
    owner_id: str = Field(..., description="The same id on every part of one owner")
    owner_name: str
    username: str = Field("", description="The owner's account, for online ballots")


class RollIn(Schema):
    name: str
    parts: list[PartIn] = Field(..., max_length=100_000)


class RowErrorOut(Schema):
    line: int = Field(..., description="CSV: the file's line; JSON: the part's number from 1")
    message: str


class RollErrorOut(Schema):
    detail: str
    field: str | None = None
    errors: list[RowErrorOut] = []


# ── Helpers ───────────────────────────────────────────────────────────────────────────────

CHARTER_FIELDS = list(CharterOut.model_fields)


def _member_out(member: CouncilMember) -> dict[str, Any]:
    org = member.organization
    return {
        "id": member.pk,
        "name": member.display_name,
        "role": member.role,
        "role_name": member.get_role_display(),
        "organization_id": member.organization_id,
        "organization_name": org.display_name if org else None,
        "joined_at": utc(member.joined_at),
    }


def _out(council: Council) -> dict[str, Any]:
    return {
        "id": council.pk,
        "name": council.name,
        "description": council.description,
        "place_id": council.place_id,
        "place_name": council.place.display_name,
        "is_active": council.is_active,
        "created_at": utc(council.created_at),
        "member_count": council.member_count,  # type: ignore[attr-defined]
    }


def _readable(user: Any) -> Any:
    current = Count("members", filter=Q(members__left_at__isnull=True))
    return Council.objects.visible_to(user).select_related("place").annotate(member_count=current)


def _detail(request: HttpRequest, council_id: int) -> dict[str, Any]:
    members = CouncilMember.objects.current().select_related("user", "organization")
    council = visible(
        _readable(request.user).prefetch_related(
            Prefetch("members", queryset=members.order_by("joined_at", "pk"), to_attr="seated")
        ),
        council_id,
    )
    return {
        **_out(council),
        "charter": {name: getattr(council, name) for name in CHARTER_FIELDS},
        "members": [_member_out(m) for m in council.seated],
    }


def council_for(request: HttpRequest, council_id: int, perm: str) -> Council:
    """A visible council (404 otherwise) on which the caller holds `perm` (403 otherwise)."""
    council = visible(Council.objects.visible_to(request.user), council_id)
    allow(request, perm, council)
    return council


def _roll_out(roll: OwnersRoll) -> dict[str, Any]:
    return {
        "id": roll.pk,
        "council_id": roll.council_id,
        "name": roll.name,
        "imported_at": utc(roll.imported_at),
        "part_count": roll.part_count,
        "owner_count": roll.owner_count,
        "total_area": area_text(roll.total_area),
    }


def _staff_roll(request: HttpRequest, roll_id: int) -> OwnersRoll:
    """A roll for the staff over its council's place; 404 for anyone else."""
    councils = Council.objects.visible_to(request.user)
    roll = visible(
        OwnersRoll.objects.filter(council__in=councils).select_related("council"), roll_id
    )
    if not request.user.has_perm("councils.see_owners", roll.council):
        raise Http404
    return roll


def _import(request: HttpRequest, council_id: int, name: str, data: bytes, *, numbered: str) -> Any:
    """Call `import_roll`; bad rows answer 400 with every row's number and reason."""
    council = council_for(request, council_id, "councils.manage")
    try:
        roll = actions.import_roll(council, by=request.user, name=name, data=data)
    except RollImportError as exc:
        errors = [
            {"line": e.line if numbered == "line" else e.line - 1, "message": e.message}
            for e in exc.errors
        ]
        detail = exc.message if numbered == "line" else _import_failed(errors)
        return HttpStatus(400, {"detail": detail, "field": exc.field, "errors": errors})
    return HttpStatus(201, _roll_out(roll))


def _import_failed(errors: list[dict[str, Any]]) -> str:
    shown = "; ".join(
        _("part %(number)d: %(message)s") % {"number": e["line"], "message": e["message"]}
        for e in errors[:20]
    )
    message = _("The roll was not imported (%(count)d bad rows): %(rows)s") % {
        "count": len(errors),
        "rows": shown,
    }
    if len(errors) > 20:
        message += " " + _("and %(more)d more.") % {"more": len(errors) - 20}
    return message


# ── Councils ──────────────────────────────────────────────────────────────────────────────


@router.get(
    "/councils",
    response={200: CouncilPage, **LIST},
    summary="Councils (public), by place and name",
)
def list_councils(request: HttpRequest, filters: Query[CouncilFilters]) -> Any:
    qs = _readable(request.user)
    if filters.place is not None:
        place = Place.objects.filter(pk=filters.place).first()
        if place is None:
            raise BadInput(_("There is no such place."), field="place")
        qs = qs.within(place)
    page = page_response(qs, filters.cursor, filters.limit, ("place_path", "name", "id"))
    page["items"] = [_out(council) for council in page["items"]]
    return page


@router.post(
    "/councils",
    response={201: CouncilDetailOut, **WRITE},
    summary="Create a council at a place (the staff over the place)",
)
def create_council(request: HttpRequest, payload: CouncilIn) -> Any:
    user = logged_in(request)
    place = named(
        Place.objects.all(), payload.place, field="place", missing=_("There is no such place.")
    )
    if not administers(user, place.path):
        raise NotAllowed(_("Only the staff over a place create its councils."))
    charter = payload.model_dump(exclude_unset=True, exclude={"place", "name", "description"})
    council = actions.create_council(
        by=user, place=place, name=payload.name, description=payload.description, **charter
    )
    return HttpStatus(201, _detail(request, council.pk))


@router.get(
    "/councils/{council_id}",
    response={200: CouncilDetailOut, **READ},
    summary="One council with its charter and members",
)
def get_council(request: HttpRequest, council_id: int) -> Any:
    return _detail(request, council_id)


@router.patch(
    "/councils/{council_id}/charter",
    response={200: CouncilDetailOut, **STEP},
    summary="Change charter fields (open votes keep their rule)",
)
def change_charter(request: HttpRequest, council_id: int, payload: CharterIn) -> Any:
    council = council_for(request, council_id, "councils.manage")
    actions.change_charter(council, by=request.user, **payload.model_dump(exclude_unset=True))
    return _detail(request, council_id)


@router.post(
    "/councils/{council_id}/members",
    response={201: CouncilDetailOut, **STEP},
    summary="Seat a person on the council",
)
def add_member(request: HttpRequest, council_id: int, payload: MemberIn) -> Any:
    council = council_for(request, council_id, "councils.manage")
    person = account(payload.user, field="user")
    organization = organization_named(payload.organization)
    actions.add_member(
        council, by=request.user, user=person, role=payload.role, organization=organization
    )
    return HttpStatus(201, _detail(request, council_id))


@router.post(
    "/councils/{council_id}/members/{member_id}/remove",
    response={200: CouncilDetailOut, **STEP},
    summary="End a member's seat",
)
def remove_member(request: HttpRequest, council_id: int, member_id: int) -> Any:
    council = council_for(request, council_id, "councils.manage")
    member = visible(CouncilMember.objects.filter(council=council), member_id)
    actions.remove_member(member, by=request.user)
    return _detail(request, council_id)


# ── Owners' rolls ─────────────────────────────────────────────────────────────────────────


@router.get(
    "/councils/{council_id}/rolls",
    response={200: RollPage, **LIST},
    summary="The council's owners' rolls (the staff over its place)",
)
def list_rolls(request: HttpRequest, council_id: int, params: Query[PageParams]) -> Any:
    council = visible(Council.objects.visible_to(request.user), council_id)
    if not request.user.has_perm("councils.see_owners", council):
        raise Http404
    page = page_response(council.rolls.all(), params.cursor, params.limit, ("-id",))
    page["items"] = [_roll_out(roll) for roll in page["items"]]
    return page


@router.post(
    "/councils/{council_id}/rolls",
    response={201: RollOut, **STEP, 400: RollErrorOut},
    summary="Import an owners' roll from a JSON list of parts (all or nothing)",
)
def import_roll(request: HttpRequest, council_id: int, payload: RollIn) -> Any:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["part", "area", "owner_id", "owner_name", "username"])
    for part in payload.parts:
        writer.writerow([part.part, part.area, part.owner_id, part.owner_name, part.username])
    data = buffer.getvalue().encode()
    return _import(request, council_id, payload.name, data, numbered="part")


@router.post(
    "/councils/{council_id}/rolls/csv",
    response={201: RollOut, **STEP, 400: RollErrorOut},
    summary="Import an owners' roll from a CSV upload (columns part, area, owner_id, "
    "owner_name, optional username; all or nothing)",
)
def import_roll_csv(
    request: HttpRequest, council_id: int, name: Form[str], file: File[UploadedFile]
) -> Any:
    data = file.read(MAX_BYTES + 1)
    return _import(request, council_id, name, data, numbered="line")


@router.get(
    "/rolls/{roll_id}",
    response={200: RollOut, **READ},
    summary="One owners' roll (the staff over the council's place)",
)
def get_roll(request: HttpRequest, roll_id: int) -> Any:
    return _roll_out(_staff_roll(request, roll_id))


@router.get(
    "/rolls/{roll_id}/parts",
    response={200: PartPage, **LIST},
    summary="The roll's exclusive parts with their owners (the staff over the place)",
)
def list_parts(request: HttpRequest, roll_id: int, params: Query[PageParams]) -> Any:
    roll = _staff_roll(request, roll_id)
    qs = ExclusivePart.objects.filter(roll=roll)
    page = page_response(qs, params.cursor, params.limit, ("part", "id"))
    page["items"] = [
        {
            "id": p.pk,
            "part": p.part,
            "area": area_text(p.area),
            "owner_id": p.owner_key,
            "owner_name": p.owner_name,
            "has_account": p.owner_user_id is not None,
        }
        for p in page["items"]
    ]
    return page
