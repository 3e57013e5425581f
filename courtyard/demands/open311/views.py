"""The Open311 resources: plain Django views, since the standard fixes its own formats and
error lists. Decisions are in the package docstring.

Reads use no session and show the same public fields to everyone. The one write, POST
requests, is authenticated by its `api_key` alone and never reads the session: it is exempt
from CSRF like any key-authenticated API call (a browser's cookie grants nothing here).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime, time, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from courtyard.core.errors import Conflict, DomainError
from courtyard.core.text import localized_name
from courtyard.demands import actions
from courtyard.demands.models import (
    OPEN_STATUSES,
    Channel,
    Demand,
    ServiceCategory,
    Status,
)
from courtyard.demands.open311.keys import client_for_key
from courtyard.demands.open311.render import error, respond, w3c
from courtyard.places.models import Place

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-26T00:00:00Z"  # when these resources last changed shape
MAX_RESULTS = 1000
WINDOW = timedelta(days=90)
READ = ("GET", "HEAD")
# Open for Open311 while the requester still waits for something: a reply, or its rating.
OPEN_HERE = frozenset(OPEN_STATUSES | {Status.REPLIED})
STAMPS = (
    "submitted_at",
    "accepted_at",
    "dispatched_at",
    "signed_at",
    "contacted_at",
    "replied_at",
    "evaluated_at",
    "closed_at",
)
ID = re.compile(r"[0-9]{1,18}")
ATTRIBUTE = re.compile(r"attribute\[([^\]]{1,64})\]")
CJK = re.compile(r"[\u3400-\u9fff]")
# The action's field names → the parameters an Open311 client sent.
POSTED_AS = {
    "address": "address_string",
    "requester_name": "first_name/last_name",
    "requester_phone": "phone",
}


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def resource(*methods: str) -> Callable[..., Callable[..., HttpResponse]]:
    """A view of a resource in either format: refuses other methods (405) and turns every
    refusal into the standard's error list in the format asked for."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def run(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = error(fmt, 405, _("This resource does not take this method."))
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, fmt, **kwargs)
            except Open311Error as exc:
                return error(fmt, exc.status, exc.description)
            except DomainError as exc:
                text = f"{exc.field}: {exc.message}" if exc.field else exc.message
                return error(fmt, exc.status, text)

        return run

    return decorate


# ── Discovery and services ────────────────────────────────────────────────────────────────


@resource(*READ)
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    here = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt}))
    return respond(
        fmt,
        "discovery",
        {
            "changeset": CHANGESET,
            "contact": getattr(settings, "OPEN311_CONTACT", "")
            or _("The operators of this Courtyard platform."),
            "key_service": getattr(settings, "OPEN311_KEY_SERVICE", "")
            or _("Ask the operators for a key: they create one with `courtyard create_api_key`."),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": here.rsplit("/", 1)[0],
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


def _service(category: ServiceCategory) -> dict[str, Any]:
    return {
        "service_code": category.service_code,
        "service_name": category.display_name,
        "description": category.description,
        "metadata": bool(category.attributes),
        "type": "realtime",
        "keywords": category.keywords,
        "group": category.parent.display_name if category.parent else "",
    }


@resource(*READ)
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    rows = ServiceCategory.objects.active().select_related("parent").order_by("service_code")
    return respond(fmt, "services", [_service(category) for category in rows])


def _attribute(question: dict[str, Any], order: int) -> dict[str, Any]:
    datatype = question.get("datatype") or "string"
    item: dict[str, Any] = {
        "variable": True,
        "code": question.get("code", ""),
        "datatype": datatype,
        "required": bool(question.get("required")),
        "datatype_description": "",
        "order": order,
        "description": localized_name(
            question.get("description", ""), question.get("description_en", "")
        ),
    }
    values = question.get("values") or []
    if values or datatype in ("singlevaluelist", "multivaluelist"):
        item["values"] = [
            {
                "key": value.get("key", ""),
                "name": localized_name(value.get("name", ""), value.get("name_en", "")),
            }
            for value in values
        ]
    return item


def _category(service_code: str) -> ServiceCategory:
    category = ServiceCategory.objects.active().filter(service_code=service_code).first()
    if category is None:
        raise Open311Error(404, _("There is no service with this service_code."))
    return category


@resource(*READ)
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    category = _category(service_code)
    return respond(
        fmt,
        "service_definition",
        {
            "service_code": category.service_code,
            "attributes": [
                _attribute(question, order)
                for order, question in enumerate(category.attributes, start=1)
            ],
        },
    )


# ── Service requests: public fields only ──────────────────────────────────────────────────


def _status_notes(demand: Demand) -> str:
    if demand.status == Status.MERGED and demand.primary_id:
        return _("Merged into request %(id)s.") % {"id": demand.primary_id}
    # Never the unit's free-text reply: it may quote the requester in ways no pattern
    # catches ("王女士 138-0013-8000"). A fixed sentence says where the request stands.
    if demand.status == Status.REPLIED:
        return _("The responsible unit has replied.")
    if demand.status == Status.CLOSED:
        return _("Handled and closed.")
    return ""


def _request(demand: Demand) -> dict[str, Any]:
    stamps = [stamp for name in STAMPS if (stamp := getattr(demand, name)) is not None]
    return {
        "service_request_id": demand.pk,
        "status": "open" if demand.status in OPEN_HERE else "closed",
        "status_notes": _status_notes(demand),
        "service_name": demand.category.display_name,
        "service_code": demand.category.service_code,
        "description": demand.public_summary,
        "agency_responsible": demand.assignee.display_name if demand.assignee else "",
        "service_notice": "",
        "requested_datetime": w3c(demand.submitted_at),
        "updated_datetime": w3c(max(stamps)),
        "expected_datetime": w3c(demand.feedback_due_at),
        "address": demand.place.display_name,  # not the free-text address: it may name a flat
        "address_id": demand.place.code,
        "zipcode": "",
        "lat": float(demand.latitude) if demand.latitude is not None else None,
        "long": float(demand.longitude) if demand.longitude is not None else None,
        "media_url": "",
    }


def _public() -> Any:
    return Demand.objects.select_related("category", "assignee", "place")


def _words(value: str | None) -> list[str]:
    return [word.strip() for word in (value or "").split(",") if word.strip()]


def _ids(value: str) -> list[int]:
    words = _words(value)
    if not words or len(words) > MAX_RESULTS or not all(ID.fullmatch(w) for w in words):
        raise Open311Error(
            400,
            _("service_request_id takes up to %(n)d request ids separated by commas.")
            % {"n": MAX_RESULTS},
        )
    return [int(word) for word in words]


def _datetime(value: str, name: str) -> datetime:
    """A W3C datetime (an offset or Z; without one, the configured time zone), or a date."""
    value = value.strip()
    try:
        parsed = parse_datetime(value)
        if parsed is None and (day := parse_date(value)) is not None:
            parsed = datetime.combine(day, time.min)
    except ValueError:
        parsed = None
    if parsed is None:
        raise Open311Error(
            400,
            _("%(name)s is not a W3C datetime such as 2026-05-01T09:30:00+08:00.") % {"name": name},
        )
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _window(start_value: str | None, end_value: str | None) -> tuple[datetime, datetime]:
    start = _datetime(start_value, "start_date") if start_value else None
    end = _datetime(end_value, "end_date") if end_value else None
    try:
        if start and end:
            if end < start:
                raise Open311Error(400, _("end_date comes before start_date."))
            if end - start > WINDOW:
                raise Open311Error(400, _("start_date and end_date span at most 90 days."))
            return start, end
        if start:
            return start, start + WINDOW
        if end:
            return end - WINDOW, end
    except OverflowError as exc:
        raise Open311Error(400, _("This date is out of range.")) from exc
    now = timezone.now()
    return now - WINDOW, now


def _list_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    query = request.GET
    demands = _public()
    if query.get("service_request_id", "").strip():
        # The standard: a list of ids overrides every other parameter.
        demands = demands.filter(pk__in=_ids(query["service_request_id"]))
    else:
        codes = _words(query.get("service_code"))
        if codes:
            known = dict(
                ServiceCategory.objects.filter(service_code__in=codes).values_list(
                    "service_code", "pk"
                )
            )
            if any(code not in known for code in codes):
                raise Open311Error(404, _("There is no service with this service_code."))
            demands = demands.filter(category_id__in=known.values())
        start, end = _window(query.get("start_date"), query.get("end_date"))
        demands = demands.filter(submitted_at__gte=start, submitted_at__lte=end)
        statuses = set(_words(query.get("status")))
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status is open or closed (or both, comma separated)."))
        if statuses == {"open"}:
            demands = demands.filter(status__in=OPEN_HERE)
        elif statuses == {"closed"}:
            demands = demands.exclude(status__in=OPEN_HERE)
    rows = demands.order_by("-id")[:MAX_RESULTS]
    return respond(fmt, "service_requests", [_request(demand) for demand in rows])


def _full_name(first: str, last: str) -> str:
    """Chinese names put the family name first, without a space."""
    first, last = first.strip(), last.strip()
    if CJK.search(first + last):
        return last + first
    return " ".join(part for part in (first, last) if part)


def _created(fmt: str, demand: Demand, status: int) -> HttpResponse:
    answer = [{"service_request_id": demand.pk, "service_notice": "", "account_id": None}]
    return respond(fmt, "service_requests", answer, status=status)


def _create_request(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.POST
    raw_key = data.get("api_key", "").strip()
    if not raw_key:
        raise Open311Error(400, _("api_key is required to post a request."))
    client = client_for_key(raw_key)
    if client is None:
        raise Open311Error(403, _("This api_key is not valid."))

    retry = request.headers.get("Idempotency-Key", "").strip()
    key = None
    if retry:
        digest = hashlib.sha256(f"{client.pk}\n{retry}".encode()).hexdigest()
        key = f"o311:{digest[:59]}"  # per client: one client's key never finds another's
        if earlier := Demand.objects.filter(idempotency_key=key).first():
            return _created(fmt, earlier, 200)

    service_code = data.get("service_code", "").strip()
    if not service_code:
        raise Open311Error(400, _("service_code is required."))
    category = _category(service_code)
    address_id = data.get("address_id", "").strip()
    if not address_id:
        raise Open311Error(
            400,
            _(
                "address_id (a place code) is required: requests are routed by place. "
                "lat, long and address_string are kept with the request as given."
            ),
        )
    place = Place.objects.filter(code=address_id).first()
    if place is None:
        raise Open311Error(400, _("address_id is not the code of a known place."))
    lat, long = data.get("lat", "").strip(), data.get("long", "").strip()
    if bool(lat) != bool(long):
        raise Open311Error(400, _("Give lat and long together."))
    attributes = {
        match.group(1): ",".join(data.getlist(name))
        for name in data
        if (match := ATTRIBUTE.fullmatch(name))
    }
    try:
        demand = actions.submit_demand(
            by=None,
            channel=Channel.OPEN311,
            place=place,
            category=category,
            description=data.get("description", ""),
            requester_name=_full_name(data.get("first_name", ""), data.get("last_name", "")),
            requester_phone=data.get("phone", ""),
            address=data.get("address_string", ""),
            latitude=lat,
            longitude=long,
            attributes=attributes,
            idempotency_key=key,
        )
    except Conflict:
        if key and (earlier := Demand.objects.filter(idempotency_key=key).first()):
            return _created(fmt, earlier, 200)
        raise
    except DomainError as exc:  # named by the parameter the client sent
        name = POSTED_AS.get(exc.field or "", exc.field)
        raise Open311Error(exc.status, f"{name}: {exc.message}" if name else exc.message) from exc
    return _created(fmt, demand, 201)


@csrf_exempt  # authenticated by api_key, never by the session: see the module docstring
@resource(*READ, "POST")
def service_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create_request(request, fmt)
    return _list_requests(request, fmt)


def _id(value: str) -> int:
    if not ID.fullmatch(value):
        raise Open311Error(404, _("There is no request with this id."))
    return int(value)


@resource(*READ)
def service_request(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    demand = _public().filter(pk=_id(request_id)).first()
    if demand is None:
        raise Open311Error(404, _("There is no request with this id."))
    return respond(fmt, "service_requests", [_request(demand)])


@resource(*READ)
def service_request_token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    """Requests are created at once: a token is the request's id."""
    if not (ID.fullmatch(token) and Demand.objects.filter(pk=int(token)).exists()):
        raise Open311Error(404, _("There is no request with this token."))
    return respond(fmt, "service_requests", [{"service_request_id": int(token), "token": token}])
