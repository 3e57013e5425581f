"""Resolutions: signed by members, published (公示) with an objection window, then in
effect with follow-up tasks, and evaluated by the proposers (民评).

Invariants:
- A resolution is published only after members have signed it; publication stamps
  `publication_ends_at` (working days) and `objection_ends_at` (calendar days).
- One objection per person (a database constraint); `objection_count` equals the number of
  objections. Reaching the charter's threshold returns the resolution to the council;
  otherwise `courtyard check_council_clocks` puts it in effect when both periods are over.
- A follow-up task that became a demand keeps the link; the demand's clocks then apply.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courtyard.councils.models.council import Council, CouncilMember
from courtyard.councils.models.meetings import Motion
from courtyard.councils.models.proposals import Proposal
from courtyard.councils.models.votes import Vote
from courtyard.organizations.models import Organization


class ResolutionStatus(models.TextChoices):
    DRAFT = "draft", _("awaiting signatures")
    PUBLISHED = "published", _("published for objections")
    RETURNED = "returned", _("returned to the council")
    IN_EFFECT = "in_effect", _("in effect")
    DONE = "done", _("carried out")


class ResolutionQuerySet(models.QuerySet["Resolution"]):
    def visible_to(self, user: Any) -> ResolutionQuerySet:
        """Published and later resolutions of visible councils are public; drafts are for
        the council's members and the staff over its place."""
        from courtyard.people.scopes import staff_scope_q

        member_of = CouncilMember.objects.current().held_by(user).values("council_id")
        return self.filter(council__in=Council.objects.visible_to(user)).filter(
            ~Q(status=ResolutionStatus.DRAFT)
            | Q(council_id__in=member_of)
            | staff_scope_q(user, "place_path")
        )

    def due_to_take_effect(self, now: Any = None) -> ResolutionQuerySet:
        now = now or timezone.now()
        return self.filter(
            status=ResolutionStatus.PUBLISHED,
            publication_ends_at__lte=now,
            objection_ends_at__lte=now,
        )


class Resolution(models.Model):
    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.CASCADE, related_name="resolutions"
    )
    place_path = models.CharField(_("place path"), max_length=255, editable=False, default="")
    vote = models.OneToOneField(
        Vote,
        verbose_name=_("vote"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resolution",
    )
    motion = models.ForeignKey(
        Motion,
        verbose_name=_("motion"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resolutions",
    )
    proposal = models.ForeignKey(
        Proposal,
        verbose_name=_("proposal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resolutions",
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ResolutionStatus.choices,
        default=ResolutionStatus.DRAFT,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    publication_ends_at = models.DateTimeField(_("publication ends"), null=True, blank=True)
    objection_ends_at = models.DateTimeField(_("objections close"), null=True, blank=True)
    objection_threshold = models.PositiveIntegerField(_("objection threshold"), default=0)
    objection_count = models.PositiveIntegerField(_("objections"), default=0)
    took_effect_at = models.DateTimeField(_("in effect since"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    done_at = models.DateTimeField(_("carried out at"), null=True, blank=True)
    signature_count = models.PositiveIntegerField(_("signatures"), default=0)

    objects = ResolutionQuerySet.as_manager()

    class Meta:
        verbose_name = _("resolution")
        verbose_name_plural = _("resolutions")
        indexes = [
            models.Index(fields=["council", "-created_at", "-id"]),
            models.Index(fields=["place_path", "-published_at", "-id"]),
            models.Index(
                fields=["objection_ends_at"],
                condition=Q(status="published"),
                name="resolution_published_due",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def scope_path(self) -> str:
        return self.place_path

    def objections_open(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return (
            self.status == ResolutionStatus.PUBLISHED
            and self.objection_ends_at is not None
            and now < self.objection_ends_at
        )


class Signature(models.Model):
    """A member's confirmation of a resolution, signed in person on the screen or recorded
    by the secretary from the paper minutes (`recorded_by`)."""

    resolution = models.ForeignKey(
        Resolution,
        verbose_name=_("resolution"),
        on_delete=models.CASCADE,
        related_name="signatures",
    )
    member = models.ForeignKey(
        CouncilMember, verbose_name=_("member"), on_delete=models.CASCADE, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            models.UniqueConstraint(fields=["resolution", "member"], name="signature_once")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} ✓ {self.resolution_id}"


class Objection(models.Model):
    """An affected resident's objection to a published resolution, with a reason. The
    objector's identity is personal data (staff over the place only)."""

    resolution = models.ForeignKey(
        Resolution,
        verbose_name=_("resolution"),
        on_delete=models.CASCADE,
        related_name="objections",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("objector"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("objected at"), default=timezone.now)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        constraints = [
            models.UniqueConstraint(fields=["resolution", "user"], name="objection_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ✗ {self.resolution_id}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("open")
    DISPATCHED = "dispatched", _("dispatched as a demand")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class FollowUpTask(models.Model):
    """Work that carries out a resolution, with an owner and a deadline."""

    resolution = models.ForeignKey(
        Resolution, verbose_name=_("resolution"), on_delete=models.CASCADE, related_name="tasks"
    )
    title = models.CharField(_("task"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("responsible unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="council_tasks",
    )
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        _("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    demand = models.OneToOneField(
        "demands.Demand",
        verbose_name=_("demand"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="council_task",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["resolution", "due_at", "id"]
        indexes = [models.Index(fields=["resolution", "due_at", "id"])]

    def __str__(self) -> str:
        return self.title


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASIC = "basic", _("basically satisfied")
    NOT_SATISFIED = "not_satisfied", _("not satisfied")


class Evaluation(models.Model):
    """A proposer's (or member's) evaluation of how a resolution was carried out (民评)."""

    resolution = models.ForeignKey(
        Resolution,
        verbose_name=_("resolution"),
        on_delete=models.CASCADE,
        related_name="evaluations",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("evaluated by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    rating = models.CharField(_("rating"), max_length=16, choices=Rating.choices)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("evaluated at"), default=timezone.now)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            models.UniqueConstraint(fields=["resolution", "user"], name="evaluation_once")
        ]

    def __str__(self) -> str:
        return f"{self.rating} ({self.resolution_id})"
