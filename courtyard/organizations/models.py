"""Organizations in a community's life: units (驻区单位), social organizations, government
departments; the party-building coordination committees (党建工作协调委员会) that units join;
and dual reporting (双报到) of units and in-service party members to a community."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courtyard.core.text import localized_name
from courtyard.places.models import Place, path_range


class OrganizationKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("enterprise")
    PUBLIC_INSTITUTION = "public_institution", _("public institution")
    CENTRAL_UNIT = "central_unit", _("central unit")
    SCHOOL = "school", _("school")
    HOSPITAL = "hospital", _("hospital")
    PROPERTY_COMPANY = "property_company", _("property company")
    SOCIAL_ORGANIZATION = "social_organization", _("social organization")
    GOVERNMENT_DEPARTMENT = "government_department", _("government department")
    OTHER = "other", _("other")


class OrganizationQuerySet(models.QuerySet["Organization"]):
    def visible_to(self, user: Any) -> OrganizationQuerySet:
        """Active organizations are a public directory; inactive ones only for staff above
        them."""
        from courtyard.people.scopes import staff_scope_q

        return self.filter(Q(is_active=True) | staff_scope_q(user, "place_path"))

    def within(self, place: Place) -> OrganizationQuerySet:
        """Organizations seated at the place or under it (a range on `place_path`)."""
        low, high = path_range(place.path)
        return self.filter(place_path__gte=low, place_path__lt=high)

    def of_kind(self, *kinds: str) -> OrganizationQuerySet:
        return self.filter(kind__in=kinds)


class Organization(models.Model):
    """An organization seated at a place. `credit_code` is validated by its check character
    (GB 32100-2015) and unique where given."""

    name = models.CharField(_("name"), max_length=200, db_index=True)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganizationKind.choices)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, null=True, blank=True
    )
    place = models.ForeignKey(
        Place, verbose_name=_("seated at"), on_delete=models.PROTECT, related_name="organizations"
    )
    # A copy of place.path, so that "within a place, by name" is one index range
    # (kept by the actions and by places.tree.rewrite_paths when a subtree moves).
    place_path = models.CharField(_("place path"), max_length=255, editable=False, default="")
    address = models.CharField(_("address"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        indexes = [
            models.Index(fields=["kind", "name", "id"]),
            models.Index(fields=["place_path", "name", "id"]),
            models.Index(fields=["kind", "place_path", "name", "id"]),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return localized_name(self.name, self.name_en)

    @property
    def scope_path(self) -> str:
        return self.place_path


def handled_organizations(user: Any) -> OrganizationQuerySet:
    """Active organizations in which `user` holds an active handler role (unit handler,
    department handler, social-organization staff): the one answer to "which units may this
    person act for", used by pages, rules and scoping alike."""
    from courtyard.people.models import ORGANIZATION_ROLE_KINDS

    if not getattr(user, "is_authenticated", False):
        return Organization.objects.none()
    roles = user.roles.active().filter(kind__in=ORGANIZATION_ROLE_KINDS)
    return Organization.objects.filter(is_active=True, pk__in=roles.values("organization"))


class CommitteeQuerySet(models.QuerySet["Committee"]):
    def visible_to(self, user: Any) -> CommitteeQuerySet:
        """Committees and their member lists are public."""
        return self.all()

    def within(self, place: Place) -> CommitteeQuerySet:
        low, high = path_range(place.path)
        return self.filter(place_path__gte=low, place_path__lt=high)


class Committee(models.Model):
    """A party-building work coordination committee (党建工作协调委员会) at a district,
    street/township or community/village; at most one per place."""

    place = models.OneToOneField(
        Place, verbose_name=_("place"), on_delete=models.PROTECT, related_name="committee"
    )
    place_path = models.CharField(_("place path"), max_length=255, editable=False, default="")
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)
    founded_on = models.DateField(_("founded"), default=timezone.localdate)

    objects = CommitteeQuerySet.as_manager()

    class Meta:
        verbose_name = _("coordination committee")
        verbose_name_plural = _("coordination committees")
        indexes = [models.Index(fields=["place_path", "id"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return localized_name(self.name, self.name_en)

    @property
    def scope_path(self) -> str:
        return self.place_path


class Position(models.TextChoices):
    CHAIR = "chair", _("chair")
    DEPUTY = "deputy", _("deputy chair")
    MEMBER = "member", _("member")


class MembershipQuerySet(models.QuerySet["CommitteeMembership"]):
    def visible_to(self, user: Any) -> MembershipQuerySet:
        """Who sits on which committee is public."""
        return self.all()

    def current(self) -> MembershipQuerySet:
        return self.filter(left_on__isnull=True)


class CommitteeMembership(models.Model):
    """A member unit of a committee, with its position, from `joined_on` until `left_on`.
    A unit holds at most one current membership in a committee (database constraint)."""

    committee = models.ForeignKey(
        Committee,
        verbose_name=_("coordination committee"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="memberships"
    )
    position = models.CharField(
        _("position"), max_length=16, choices=Position.choices, default=Position.MEMBER
    )
    joined_on = models.DateField(_("joined"), default=timezone.localdate)
    left_on = models.DateField(_("left"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("committee membership")
        verbose_name_plural = _("committee memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "organization"],
                condition=Q(left_on__isnull=True),
                name="membership_one_current",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("joined_on")),
                name="membership_leaves_after_joining",
            ),
        ]
        indexes = [
            models.Index(  # the committee page: current members by position
                fields=["committee", "position", "joined_on", "id"],
                condition=Q(left_on__isnull=True),
                name="membership_current_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.get_position_display()}"

    @property
    def scope_path(self) -> str:
        return self.committee.place_path


class DualReportKind(models.TextChoices):
    UNIT = "unit", _("unit")
    PARTY_MEMBER = "party_member", _("in-service party member")


class DualReportQuerySet(models.QuerySet["DualReport"]):
    def visible_to(self, user: Any) -> DualReportQuerySet:
        """The community's staff (and those above) see its list; a registrant sees their
        own registrations and those of the units they handle. Nobody else sees any."""
        from courtyard.people.scopes import staff_scope_q

        if not getattr(user, "is_authenticated", False):
            return self.none()
        handled = handled_organizations(user).values("pk")
        return self.filter(
            staff_scope_q(user, "community__path") | Q(member=user) | Q(organization__in=handled)
        )

    def current(self) -> DualReportQuerySet:
        return self.filter(withdrawn_on__isnull=True)


class DualReport(models.Model):
    """A registration (双报到) of a unit or an in-service party member with a community,
    with what it commits to do. One current registration per unit and per member."""

    community = models.ForeignKey(
        Place, verbose_name=_("community"), on_delete=models.PROTECT, related_name="dual_reports"
    )
    kind = models.CharField(_("who"), max_length=16, choices=DualReportKind.choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dual_reports",
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("party member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dual_reports",
    )
    commitments = models.TextField(_("commitments"))
    registered_on = models.DateField(_("registered"), default=timezone.localdate)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)

    objects = DualReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("dual-reporting registration")
        verbose_name_plural = _("dual-reporting registrations")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="unit", organization__isnull=False, member__isnull=True)
                    | Q(kind="party_member", member__isnull=False)
                ),
                name="dualreport_kind_matches",
            ),
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(withdrawn_on__isnull=True, kind="unit"),
                name="dualreport_one_current_per_unit",
            ),
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(withdrawn_on__isnull=True, kind="party_member"),
                name="dualreport_one_current_per_member",
            ),
        ]
        indexes = [models.Index(fields=["community", "registered_on", "id"])]

    def __str__(self) -> str:
        who = self.organization if self.kind == DualReportKind.UNIT else self.member
        return f"{who} → {self.community}"

    @property
    def scope_path(self) -> str:
        return self.community.path
