"""Resident demands (诉求) from intake to rated resolution — Beijing's 接诉即办.

A demand is raised at a place, in a service category, through a channel; it is accepted,
answered directly or declined; dispatched to the responsible unit (by the responsibility
table, falling back to the district); signed for, the requester contacted (the "response"),
handled and replied to; then evaluated by the requester and closed, or reopened.

Invariants:
- `status` changes only through `demands.actions`, along `TRANSITIONS`.
- Every deadline is a stored column (`sign_due_at`, `response_due_at`, `feedback_due_at`)
  swept by `courtyard check_slas`; `due_at` is the one that matters now (indexed).
- The requester's name and phone are personal data: only those who handle the demand see
  them (`Demand.objects.handled_by(user)`, the `demands.see_requester` permission);
  everyone else sees `public_summary`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Substr
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from courtyard.core.text import localized_name
from courtyard.organizations.models import Organization
from courtyard.places.models import SEGMENT, Place, path_range


class FeedbackClass(models.TextChoices):
    EMERGENCY = "emergency", _("emergency")  # 2 h by default
    UTILITIES = "utilities", _("water, power, gas, heating")  # 24 h
    GENERAL = "general", _("general")  # 7 days
    COMPLEX = "complex", _("complex")  # 15 days


class ServiceCategoryQuerySet(models.QuerySet["ServiceCategory"]):
    def visible_to(self, user: Any) -> ServiceCategoryQuerySet:
        """The service catalogue is public."""
        return self.all()

    def active(self) -> ServiceCategoryQuerySet:
        return self.filter(is_active=True)


class ServiceCategory(models.Model):
    """A node of the service catalogue (the Open311 "service"). `service_code` is stable
    forever: clients and imported hotline orders refer to it."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    service_code = models.CharField(_("service code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    keywords = models.CharField(_("keywords"), max_length=300, blank=True)
    feedback_class = models.CharField(
        _("feedback class"),
        max_length=16,
        choices=FeedbackClass.choices,
        default=FeedbackClass.GENERAL,
    )
    # Extra questions the intake form asks, Open311 attribute definitions:
    # [{"code": "floor", "datatype": "string"|"number"|"singlevaluelist", "required": bool,
    #   "description": "...", "description_en": "...", "values": [{"key": .., "name": ..}]}]
    attributes = models.JSONField(_("extra questions"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ServiceCategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return localized_name(self.name, self.name_en)


class Responsibility(models.Model):
    """Who answers for a category at a place (inherited down the tree). A row without a
    category is the fallback for every category at that place (the district government)."""

    category = models.ForeignKey(
        ServiceCategory,
        verbose_name=_("service category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="responsibilities",
    )
    place = models.ForeignKey(
        Place, verbose_name=_("place"), on_delete=models.CASCADE, related_name="+"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        related_name="responsibilities",
    )

    class Meta:
        verbose_name = _("responsibility")
        verbose_name_plural = _("responsibilities")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "place"], name="responsibility_one_per_category_place"
            ),
            models.UniqueConstraint(
                fields=["place"],
                condition=Q(category__isnull=True),
                name="responsibility_one_fallback_per_place",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or '*'} @ {self.place} → {self.organization}"


class Channel(models.TextChoices):
    WEB = "web", _("web")
    PHONE = "phone", _("phone")
    WALK_IN = "walk_in", _("walk-in")
    GRID_PATROL = "grid_patrol", _("grid patrol")
    HOTLINE = "hotline", _("12345 hotline")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")
    COUNCIL = "council", _("council resolution")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")  # waiting for the community to triage it
    ACCEPTED = "accepted", _("accepted")  # to be dispatched
    DISPATCHED = "dispatched", _("dispatched")  # waiting for the unit to sign for it
    SIGNED = "signed", _("signed for")  # the unit has it; the requester not yet contacted
    CONTACTED = "contacted", _("being handled")  # requester contacted (responded); being handled
    REPLIED = "replied", _("replied")  # the unit has replied; waiting for the evaluation
    CLOSED = "closed", _("closed")  # evaluated, or closed without an evaluation
    ANSWERED = "answered", _("answered")  # a consultation, answered directly
    DECLINED = "declined", _("declined")  # not for this system (e.g. belongs to a court)
    MERGED = "merged", _("merged")  # a duplicate, followed through its primary


S = Status
# Which status each action may start from. One action per transition (demands.actions).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept_demand": (frozenset({S.SUBMITTED}), S.ACCEPTED),
    "answer_demand": (frozenset({S.SUBMITTED, S.ACCEPTED}), S.ANSWERED),
    "decline_demand": (frozenset({S.SUBMITTED, S.ACCEPTED}), S.DECLINED),
    "merge_demand": (frozenset({S.SUBMITTED, S.ACCEPTED}), S.MERGED),
    "dispatch_demand": (frozenset({S.SUBMITTED, S.ACCEPTED}), S.DISPATCHED),
    "return_demand": (frozenset({S.DISPATCHED, S.SIGNED}), S.ACCEPTED),
    "sign_demand": (frozenset({S.DISPATCHED}), S.SIGNED),
    "contact_requester": (frozenset({S.SIGNED}), S.CONTACTED),
    "reply_demand": (frozenset({S.CONTACTED}), S.REPLIED),
    "evaluate_demand": (frozenset({S.REPLIED}), S.CLOSED),
    "reopen_demand": (frozenset({S.REPLIED, S.CLOSED}), S.ACCEPTED),
    "close_demand": (frozenset({S.REPLIED}), S.CLOSED),
}
OPEN_STATUSES = frozenset({S.SUBMITTED, S.ACCEPTED, S.DISPATCHED, S.SIGNED, S.CONTACTED})
WITH_UNIT_STATUSES = frozenset({S.DISPATCHED, S.SIGNED, S.CONTACTED})


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASIC = "basic", _("basically satisfied")
    UNSATISFIED = "unsatisfied", _("not satisfied")


# A staff scope this high (the city, a district: depth 1 and 2 of the tree) holds a large
# share of all demands; see `DemandQuerySet.visible_to(newest_first=True)`.
BROAD_SCOPE_DEPTH = 2


def _newest_first_scope_q(user: Any) -> Q:
    """`staff_scope_q(user, "place_path")`, with each broad scope (the city, a district)
    said as `substr(place_path, 1, n) = path`, a condition no index serves.

    Why: "within a subtree, newest first" has no index in id order. For a small subtree
    (a street, a community) the best plan reads its rows from the place_path index and
    sorts them; for a broad one it walks the primary key backwards and keeps the rows
    inside, stopping at the page's end (about 51 rows for the city, 800 for a district).
    Without statistics SQLite always takes the first plan: 2.5 s for the city's newest
    50 of 1,000,000 demands. PostgreSQL plans by its statistics either way."""
    from courtyard.people.scopes import staff_scope_paths, staff_scope_q

    paths = staff_scope_paths(user)
    if getattr(user, "is_superuser", False) or not any(
        len(path) <= BROAD_SCOPE_DEPTH * SEGMENT for path in paths
    ):
        return staff_scope_q(user, "place_path")
    q = Q()
    for path in paths:
        if len(path) <= BROAD_SCOPE_DEPTH * SEGMENT:
            q |= Q(Exact(Substr("place_path", 1, len(path)), path))
        else:
            low, high = path_range(path)
            q |= Q(place_path__gte=low, place_path__lt=high)
    return q


class DemandQuerySet(models.QuerySet["Demand"]):
    def visible_to(self, user: Any, *, newest_first: bool = False) -> DemandQuerySet:
        """A requester sees their own demands (a merged one shows its primary's number and
        status, not the primary's content); staff see those within the places they
        administer; a unit's handlers see those dispatched to their unit.

        `newest_first=True` (for lists ordered by descending id): the same rows, said so
        that both planners find the cheap plan. The user's units are read first (one more
        query) and named in the filter: PostgreSQL cannot estimate an OR with a subquery in
        it, guessed half the table and walked the primary key through 257,000 rows for a
        community worker's page. A broad staff scope is said as a prefix
        (`_newest_first_scope_q`)."""
        from courtyard.organizations.models import handled_organizations
        from courtyard.people.scopes import staff_scope_q

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if newest_first:
            seen = Q(requester=user) | _newest_first_scope_q(user)
            units = list(handled_organizations(user).values_list("pk", flat=True))
            return self.filter(seen | Q(assignee__in=units) if units else seen)
        return self.filter(
            Q(requester=user)
            | staff_scope_q(user, "place_path")
            | Q(assignee__in=handled_organizations(user).values("pk"))
        )

    def handled_by(self, user: Any) -> DemandQuerySet:
        """Demands `user` handles (and may see the requester of): staff over the place and
        the handlers of the assigned unit — not the requester's neighbours, not the public."""
        from courtyard.organizations.models import handled_organizations
        from courtyard.people.scopes import staff_scope_q

        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(
            staff_scope_q(user, "place_path")
            | Q(assignee__in=handled_organizations(user).values("pk"))
        )

    def administered_by(self, user: Any) -> DemandQuerySet:
        """Demands within the places `user` administers (staff), nothing else."""
        from courtyard.people.scopes import staff_scope_q

        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(staff_scope_q(user, "place_path"))

    def within(self, place: Place) -> DemandQuerySet:
        low, high = path_range(place.path)
        return self.filter(place_path__gte=low, place_path__lt=high)

    def open(self) -> DemandQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now: Any = None) -> DemandQuerySet:
        """Open demands past their deadline. Said as "not finished" (the same set): with
        `status IN (open…)` SQLite's planner reads every open demand from the status index
        and sorts them; this way it reads the few past `due_at` from `demand_due_idx`."""
        from django.utils import timezone

        finished = sorted(set(Status.values) - OPEN_STATUSES)
        return self.exclude(status__in=finished).filter(
            due_at__isnull=False, due_at__lt=now or timezone.now()
        )


class Demand(models.Model):
    """One resident demand (诉求) and where it stands."""

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    place = models.ForeignKey(
        Place, verbose_name=_("place"), on_delete=models.PROTECT, related_name="demands"
    )
    # A copy of place.path: "within a place, newest first" is one index range.
    place_path = models.CharField(_("place path"), max_length=255, editable=False)
    category = models.ForeignKey(
        ServiceCategory,
        verbose_name=_("service category"),
        on_delete=models.PROTECT,
        related_name="demands",
    )
    feedback_class = models.CharField(
        _("feedback class"), max_length=16, choices=FeedbackClass.choices
    )
    description = models.TextField(_("description"), max_length=5000)
    public_summary = models.CharField(_("public summary"), max_length=200)
    attributes = models.JSONField(_("answers to the extra questions"), default=dict, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    # Personal data: shown only to those who handle the demand.
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="demands",
    )
    requester_name = models.CharField(_("requester's name"), max_length=100, blank=True)
    requester_phone = models.CharField(_("requester's phone"), max_length=20, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    assignee = models.ForeignKey(
        Organization,
        verbose_name=_("responsible unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="demands",
    )
    primary = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    answer = models.TextField(_("answer"), blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    reply = models.TextField(_("reply"), blank=True)
    resolved = models.BooleanField(_("resolved"), null=True, blank=True)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=16, choices=Satisfaction.choices, blank=True
    )
    evaluation_comment = models.TextField(_("comment on the result"), blank=True)
    times_dispatched = models.PositiveIntegerField(_("times dispatched"), default=0)
    times_reopened = models.PositiveIntegerField(_("times reopened"), default=0)

    submitted_at = models.DateTimeField(_("submitted at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed for at"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("requester contacted at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    evaluated_at = models.DateTimeField(_("evaluated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    # Clocks, set by the actions and swept by check_slas.
    sign_due_at = models.DateTimeField(_("sign for by"), null=True, blank=True)
    response_due_at = models.DateTimeField(_("contact the requester by"), null=True, blank=True)
    feedback_due_at = models.DateTimeField(_("reply by"), null=True, blank=True)
    return_until = models.DateTimeField(_("may be returned until"), null=True, blank=True)
    due_at = models.DateTimeField(_("next deadline"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    overdue_since = models.DateTimeField(_("overdue since"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    extension_requested_until = models.DateTimeField(
        _("extension asked until"), null=True, blank=True
    )
    extension_reason = models.TextField(_("reason for the extension"), blank=True)

    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    external_id = models.CharField(
        _("hotline order number"), max_length=64, null=True, blank=True, unique=True
    )

    objects = DemandQuerySet.as_manager()

    class Meta:
        verbose_name = _("demand")
        verbose_name_plural = _("demands")
        indexes = [
            # The triage queue and the public lists: within a place, by status, newest first.
            models.Index(fields=["place_path", "status", "id"]),
            models.Index(fields=["status", "place_path", "id"]),
            # A unit's inbox.
            models.Index(fields=["assignee", "status", "id"]),
            # A requester's own list.
            models.Index(fields=["requester", "id"]),
            # Open311 date windows.
            models.Index(fields=["submitted_at", "id"]),
            # The SLA sweep: open demands by deadline.
            models.Index(
                fields=["due_at"], condition=Q(due_at__isnull=False), name="demand_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.public_summary}"

    @property
    def scope_path(self) -> str:
        return self.place_path

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Dispatch(models.Model):
    """One dispatch of a demand to a unit (a hotline "work order"). Reopened demands are
    dispatched again; returned (misrouted) dispatches leave the unit's counts. The response
    rate is read from these rows: contacted by `response_due_at` ÷ dispatches kept."""

    demand = models.ForeignKey(
        Demand, verbose_name=_("demand"), on_delete=models.CASCADE, related_name="dispatches"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        related_name="dispatches",
    )
    dispatched_at = models.DateTimeField(_("dispatched at"))
    response_due_at = models.DateTimeField(_("contact the requester by"))
    contacted_at = models.DateTimeField(_("requester contacted at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    return_reason = models.TextField(_("reason for returning"), blank=True)

    class Meta:
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        indexes = [models.Index(fields=["organization", "dispatched_at"])]

    def __str__(self) -> str:
        return f"#{self.demand_id} → {self.organization_id}"

    @property
    def responded_in_time(self) -> bool:
        return self.contacted_at is not None and self.contacted_at <= self.response_due_at


class DemandPhotoQuerySet(models.QuerySet["DemandPhoto"]):
    def visible_to(self, user: Any) -> DemandPhotoQuerySet:
        """A photo is seen by those who see its demand in full: the requester, staff over
        its place and the handlers of its unit (`Demand.objects.visible_to`)."""
        return self.filter(demand__in=Demand.objects.visible_to(user).values("pk"))


class DemandPhoto(models.Model):
    """A photo attached at intake. Stored re-encoded (no EXIF: a phone's GPS position and
    camera serial are personal data) under a random name below MEDIA_ROOT, never served
    as public media: `demands:photo` streams it to those who may see the demand
    (`DemandPhoto.objects.visible_to`). Written only by `demands.photos.store_photos`,
    inside the transaction that creates the demand."""

    demand = models.ForeignKey(
        Demand, verbose_name=_("demand"), on_delete=models.CASCADE, related_name="photos"
    )
    file = models.FileField(_("file"), max_length=200, upload_to="demand-photos/")
    thumbnail = models.FileField(_("thumbnail"), max_length=200, upload_to="demand-photos/")
    content_type = models.CharField(_("content type"), max_length=32)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))

    objects = DemandPhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("demand photo")
        verbose_name_plural = _("demand photos")
        # A demand's photos in the order they were attached.
        indexes = [models.Index(fields=["demand", "id"])]

    def __str__(self) -> str:
        return f"#{self.demand_id} · {self.pk}"

    @property
    def scope_path(self) -> str:
        return self.demand.place_path


class DemandTally(models.Model):
    """Rollup for the three rates: per month, per place (community, street, district,
    city) or per unit. Kept by the actions (`demands.rates`), rebuilt from `Dispatch` and
    `Demand` rows by `courtyard rebuild_demand_rates`, which must give the same numbers.

    Months are those of the dispatch for `dispatched`/`responded_in_time`, and of the
    evaluation for the evaluation counts."""

    month = models.DateField(_("month"))
    place = models.ForeignKey(
        Place,
        verbose_name=_("place"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    dispatched = models.IntegerField(_("dispatched"), default=0)
    responded_in_time = models.IntegerField(_("responded in time"), default=0)
    evaluated = models.IntegerField(_("evaluated"), default=0)
    resolved = models.IntegerField(_("resolved"), default=0)
    satisfied = models.IntegerField(_("satisfied"), default=0)
    basically_satisfied = models.IntegerField(_("basically satisfied"), default=0)
    unsatisfied = models.IntegerField(_("not satisfied"), default=0)

    class Meta:
        verbose_name = _("demand tally")
        verbose_name_plural = _("demand tallies")
        constraints = [
            models.CheckConstraint(
                condition=Q(place__isnull=True, organization__isnull=False)
                | Q(place__isnull=False, organization__isnull=True),
                name="demandtally_place_or_unit",
            ),
            models.UniqueConstraint(
                fields=["place", "month"],
                condition=Q(place__isnull=False),
                name="demandtally_one_per_place_month",
            ),
            models.UniqueConstraint(
                fields=["organization", "month"],
                condition=Q(organization__isnull=False),
                name="demandtally_one_per_unit_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.place_id or self.organization_id}"


class Open311Client(models.Model):
    """A system allowed to POST demands through Open311 (`api_key`). Only the key's SHA-256
    is stored; `courtyard create_api_key NAME` prints the key once."""

    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(_("SHA-256 of the key"), max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=12)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class WhistleKind(models.TextChoices):
    ROUTINE = "routine", _("routine whistle")  # 日常哨: residents' needs
    CRUNCH = "crunch", _("crunch whistle")  # 攻坚哨: key tasks
    EMERGENCY = "emergency", _("emergency whistle")  # 应急哨


class WhistleStatus(models.TextChoices):
    OPEN = "open", _("open")  # the summoned parties are on it
    CLOSED = "closed", _("closed")  # the street has closed it


class WhistleQuerySet(models.QuerySet["Whistle"]):
    def visible_to(self, user: Any) -> WhistleQuerySet:
        """Staff over the whistle's place, and the handlers of a summoned unit."""
        from courtyard.organizations.models import handled_organizations
        from courtyard.people.scopes import staff_scope_q

        if not getattr(user, "is_authenticated", False):
            return self.none()
        summoned = WhistleSummons.objects.filter(
            organization__in=handled_organizations(user).values("pk")
        ).values("whistle")
        return self.filter(staff_scope_q(user, "place_path") | Q(pk__in=summoned))


class Whistle(models.Model):
    """A street blows the whistle (吹哨) on a problem it cannot solve alone; the summoned
    departments and units must report on site (报到) before `report_due_at` and stay on it
    until the street closes the whistle; the street then scores each of them."""

    street = models.ForeignKey(
        Place, verbose_name=_("street"), on_delete=models.PROTECT, related_name="+"
    )
    place = models.ForeignKey(
        Place, verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    place_path = models.CharField(_("place path"), max_length=255, editable=False)
    demand = models.ForeignKey(
        Demand,
        verbose_name=_("demand"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="whistles",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=WhistleKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=5000)
    status = models.CharField(
        _("status"), max_length=16, choices=WhistleStatus.choices, default=WhistleStatus.OPEN
    )
    blown_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("blown by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    blown_at = models.DateTimeField(_("blown at"))
    report_due_at = models.DateTimeField(_("report on site by"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)

    objects = WhistleQuerySet.as_manager()

    class Meta:
        verbose_name = _("whistle")
        verbose_name_plural = _("whistles")
        indexes = [models.Index(fields=["place_path", "status", "id"])]

    def __str__(self) -> str:
        return self.title

    @property
    def scope_path(self) -> str:
        return self.place_path


class WhistleSummons(models.Model):
    """One summoned party of a whistle: when it reported on site, and the street's score
    (0–100) of how it worked, which counts on its scorecard."""

    whistle = models.ForeignKey(
        Whistle, verbose_name=_("whistle"), on_delete=models.CASCADE, related_name="summonses"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("summoned unit"),
        on_delete=models.PROTECT,
        related_name="whistle_summonses",
    )
    reported_at = models.DateTimeField(_("reported on site at"), null=True, blank=True)
    report_note = models.TextField(_("report"), blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    score_comment = models.TextField(_("comment on the score"), blank=True)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)

    class Meta:
        verbose_name = _("whistle summons")
        verbose_name_plural = _("whistle summonses")
        constraints = [
            models.UniqueConstraint(
                fields=["whistle", "organization"], name="whistle_summons_once"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=100), name="whistle_score_max"
            ),
        ]
        indexes = [models.Index(fields=["organization", "whistle"])]

    def __str__(self) -> str:
        return f"{self.whistle_id} → {self.organization_id}"

    @property
    def reported_in_time(self) -> bool:
        return self.reported_at is not None and self.reported_at <= self.whistle.report_due_at
