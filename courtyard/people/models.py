"""People: accounts, the roles they hold at places or in organizations, API tokens."""

from __future__ import annotations

import hashlib
from datetime import date

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courtyard.core.text import mask_phone
from courtyard.places.models import COMMUNITY_LEVEL_KINDS, STREET_LEVEL_KINDS, PlaceKind


class User(AbstractUser):
    """An account. `phone` and `home` are personal data: shown to the person, and to the
    staff who administer the place where they act (a party member's phone on the
    dual-reporting list while the registration is current); audit rows record that they
    changed, never their values."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    home = models.ForeignKey(
        "places.Place",
        verbose_name=_("home (building or courtyard)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def masked_phone(self) -> str:
        """138****5678: enough to recognise, not enough to call."""
        return mask_phone(self.phone)


class RoleKind(models.TextChoices):
    RESIDENT = "resident", _("resident")
    COMMUNITY_WORKER = "community_worker", _("community worker")
    STREET_OFFICER = "street_officer", _("street officer")
    DISTRICT_OFFICER = "district_officer", _("district officer")
    CITY_ADMIN = "city_admin", _("city administrator")
    UNIT_HANDLER = "unit_handler", _("unit handler")
    DEPARTMENT_HANDLER = "department_handler", _("department handler")
    SOCIALORG_STAFF = "socialorg_staff", _("social organization staff")
    VOLUNTEER_LEADER = "volunteer_leader", _("volunteer leader")
    VOLUNTEER = "volunteer", _("volunteer")
    COUNCIL_MEMBER = "council_member", _("council member")


# Roles whose holders administer a place and everything under it (see people.scopes).
STAFF_ROLE_KINDS = frozenset(
    {
        RoleKind.COMMUNITY_WORKER,
        RoleKind.STREET_OFFICER,
        RoleKind.DISTRICT_OFFICER,
        RoleKind.CITY_ADMIN,
    }
)
# Roles held in an organization rather than at a place.
ORGANIZATION_ROLE_KINDS = frozenset(
    {RoleKind.UNIT_HANDLER, RoleKind.DEPARTMENT_HANDLER, RoleKind.SOCIALORG_STAFF}
)
# The level of place each staff role is held at: a community worker administers a
# community, never a whole city.
STAFF_ROLE_LEVELS: dict[str, frozenset[str]] = {
    RoleKind.COMMUNITY_WORKER: frozenset(COMMUNITY_LEVEL_KINDS),
    RoleKind.STREET_OFFICER: frozenset(STREET_LEVEL_KINDS),
    RoleKind.DISTRICT_OFFICER: frozenset({PlaceKind.DISTRICT}),
    RoleKind.CITY_ADMIN: frozenset({PlaceKind.CITY}),
}


class RoleQuerySet(models.QuerySet["Role"]):
    def active(self, on: date | None = None) -> RoleQuerySet:
        """Roles in force on a day (today by default): started, not yet ended."""
        day = on or timezone.localdate()
        return self.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day), starts_on__lte=day)

    def staff(self) -> RoleQuerySet:
        return self.filter(kind__in=STAFF_ROLE_KINDS)

    def visible_to(self, user: object) -> RoleQuerySet:
        """A person sees their own roles; staff see the roles held within their places."""
        from courtyard.people.scopes import staff_scope_q

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if getattr(user, "is_superuser", False):
            return self.all()
        return self.filter(
            Q(user=user)
            | staff_scope_q(user, "place__path")
            | staff_scope_q(user, "organization__place__path")
        )


class Role(models.Model):
    """A role held by a person at a place (community worker at 草厂社区) or in an
    organization (handler of a member unit), between two dates (ends_on inclusive)."""

    user = models.ForeignKey(
        User, verbose_name=_("person"), on_delete=models.CASCADE, related_name="roles"
    )
    kind = models.CharField(_("role"), max_length=32, choices=RoleKind.choices)
    place = models.ForeignKey(
        "places.Place",
        verbose_name=_("place"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="roles",
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="roles",
    )
    starts_on = models.DateField(_("from"), default=timezone.localdate)
    ends_on = models.DateField(_("until"), null=True, blank=True)

    objects = RoleQuerySet.as_manager()

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.CheckConstraint(
                condition=Q(place__isnull=False) | Q(organization__isnull=False),
                name="role_held_somewhere",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="role_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["user", "kind"])]

    def __str__(self) -> str:
        where = self.place or self.organization
        return f"{self.get_kind_display()} · {where}"

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.starts_on <= today and (self.ends_on is None or self.ends_on >= today)

    @property
    def is_staff_role(self) -> bool:
        return self.kind in STAFF_ROLE_KINDS

    @property
    def is_street_or_above(self) -> bool:
        return self.kind in STAFF_ROLE_KINDS and self.kind != RoleKind.COMMUNITY_WORKER

    @property
    def scope_path(self) -> str:
        """The path of the place the role is held at, or of its organization's seat."""
        if self.place is not None:
            return self.place.path
        assert self.organization is not None  # the role_held_somewhere constraint
        return self.organization.place.path


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        """Not revoked and not expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token itself is shown
    once, when it is issued. Every token expires; a revoked token never works again."""

    user = models.ForeignKey(
        User, verbose_name=_("person"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    key_hash = models.CharField(_("SHA-256 of the token"), max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=12)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
