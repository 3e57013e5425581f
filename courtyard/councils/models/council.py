"""A council (议事会) at a place, its charter and its members.

Invariants:
- A council sits at one place and keeps an indexed copy of its path (`place_path`);
  it is public while active.
- The charter (decision rule, periods, thresholds, speech limits, secrecy) is data on the
  council; a vote copies what it needs when it opens, so a later charter change never
  changes a running vote.
- A person holds at most one current seat on a council (a database constraint).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courtyard.councils import conf
from courtyard.organizations.models import Organization
from courtyard.places.models import Place, path_range


class DecisionRule(models.TextChoices):
    MAJORITY = "majority", _("yes outnumbers no (more than half of the members take part)")
    MAJORITY_OF_MEMBERS = "majority_of_members", _("yes from more than half of all members")
    TWO_THIRDS = "two_thirds", _("yes from two thirds of those taking part")
    CUSTOM = "custom", _("custom rule of the charter")


class CouncilQuerySet(models.QuerySet["Council"]):
    def visible_to(self, user: Any) -> CouncilQuerySet:
        """Active councils are public; inactive ones only for staff over their place."""
        from courtyard.people.scopes import staff_scope_q

        return self.filter(Q(is_active=True) | staff_scope_q(user, "place_path"))

    def managed_by(self, user: Any) -> CouncilQuerySet:
        """Councils whose place `user` administers (community worker and above)."""
        from courtyard.people.scopes import staff_scope_q

        return self.filter(staff_scope_q(user, "place_path"))

    def within(self, place: Place) -> CouncilQuerySet:
        low, high = path_range(place.path)
        return self.filter(place_path__gte=low, place_path__lt=high)

    def with_last_meeting(self) -> CouncilQuerySet:
        """Annotates `last_met_at`: when its latest closed meeting started (None if never)."""
        from courtyard.councils.models.meetings import Meeting, MeetingStatus

        latest = Meeting.objects.filter(
            council=models.OuterRef("pk"), status=MeetingStatus.CLOSED
        ).order_by("-starts_at", "-id")
        return self.annotate(last_met_at=models.Subquery(latest.values("starts_at")[:1]))


def _charter(name: str) -> Any:
    """The code's default; `create_council` applies the configured one (settings.COUNCILS)."""
    return conf.DEFAULTS[name]


class Council(models.Model):
    """A deliberative council at a place, from a stairwell unit up to a street."""

    place = models.ForeignKey(
        Place, verbose_name=_("place"), on_delete=models.PROTECT, related_name="councils"
    )
    place_path = models.CharField(_("place path"), max_length=255, editable=False, default="")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    # The charter.
    decision_rule = models.CharField(
        _("decision rule"),
        max_length=32,
        choices=DecisionRule.choices,
        default=_charter("DECISION_RULE"),
    )
    custom_rule = models.JSONField(_("custom rule"), null=True, blank=True)
    notice_days = models.PositiveSmallIntegerField(
        _("notice period (days)"), default=_charter("NOTICE_DAYS")
    )
    publication_working_days = models.PositiveSmallIntegerField(
        _("publication period (working days)"), default=_charter("PUBLICATION_WORKING_DAYS")
    )
    objection_days = models.PositiveSmallIntegerField(
        _("objection window (days)"), default=_charter("OBJECTION_DAYS")
    )
    objection_threshold = models.PositiveIntegerField(
        _("objections that send a resolution back"), default=_charter("OBJECTION_THRESHOLD")
    )
    support_threshold = models.PositiveIntegerField(
        _("supporters that oblige screening"), default=_charter("SUPPORT_THRESHOLD")
    )
    screening_days = models.PositiveSmallIntegerField(
        _("screening deadline (days)"), default=_charter("SCREENING_DAYS")
    )
    meets_every_days = models.PositiveSmallIntegerField(
        _("meets at least every (days)"), default=_charter("MEETS_EVERY_DAYS")
    )
    speech_minutes = models.PositiveSmallIntegerField(
        _("minutes per speech"), default=_charter("SPEECH_MINUTES")
    )
    speeches_per_motion = models.PositiveSmallIntegerField(
        _("speeches per person and motion"), default=_charter("SPEECHES_PER_MOTION")
    )
    secret_ballots = models.BooleanField(_("secret ballots"), default=_charter("SECRET_BALLOTS"))
    results_hidden_until_close = models.BooleanField(
        _("results hidden until the vote closes"),
        default=_charter("RESULTS_HIDDEN_UNTIL_CLOSE"),
    )

    objects = CouncilQuerySet.as_manager()

    class Meta:
        verbose_name = _("council")
        verbose_name_plural = _("councils")
        indexes = [models.Index(fields=["place_path", "name", "id"])]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_path(self) -> str:
        return self.place_path

    def meeting_due_by(self, last_met_at: datetime | None) -> datetime:
        """The charter's "meets at least every N days", counted from the last meeting held
        (or from the council's creation)."""
        return (last_met_at or self.created_at) + timedelta(days=self.meets_every_days)


class MemberRole(models.TextChoices):
    CHAIR = "chair", _("chair")
    SECRETARY = "secretary", _("secretary")
    RESIDENT = "resident", _("resident representative")
    UNIT = "unit", _("unit representative")
    SOCIAL_ORGANIZATION = "social_organization", _("social organization representative")
    OWNERS_COMMITTEE = "owners_committee", _("owners' committee")
    PROPERTY_COMPANY = "property_company", _("property company")
    POLICE = "police", _("community police officer")


class CouncilMemberQuerySet(models.QuerySet["CouncilMember"]):
    def current(self) -> CouncilMemberQuerySet:
        return self.filter(left_at__isnull=True)

    def held_by(self, user: Any) -> CouncilMemberQuerySet:
        """Seats of `user` (none for an anonymous visitor)."""
        return self.filter(user_id=getattr(user, "pk", None) or 0)

    def is_seated(self, user: Any, council_id: int) -> bool:
        """Does `user` hold a current seat on the council?"""
        return self.current().held_by(user).filter(council_id=council_id).exists()


class CouncilMember(models.Model):
    """A seat on a council. Public: councils post their members."""

    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="council_seats",
    )
    role = models.CharField(_("role"), max_length=32, choices=MemberRole.choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("represents"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="council_seats",
    )
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    objects = CouncilMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("council member")
        verbose_name_plural = _("council members")
        constraints = [
            models.UniqueConstraint(
                fields=["council", "user"],
                condition=Q(left_at__isnull=True),
                name="council_member_one_current_seat",
            )
        ]
        indexes = [models.Index(fields=["user", "council"])]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def display_name(self) -> str:
        return self.user.display_name or self.user.get_username()
