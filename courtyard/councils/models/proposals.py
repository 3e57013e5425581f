"""Proposals (议题): raised by a resident, a unit or an organization, or made from a demand;
supported by others; screened onto an agenda or declined with a reason.

Invariants:
- `support_count` equals the number of `ProposalSupport` rows (one per person, a database
  constraint; the action adds both in one transaction).
- When `support_count` first reaches the council's support threshold, `screen_due_at` is
  set; `courtyard check_council_clocks` marks proposals still unscreened after it.
- The proposer's identity is personal data: shown to the proposer and to staff over the
  council's place; the public sees the organization, if one raised it, or "a resident".
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courtyard.councils.models.council import Council
from courtyard.organizations.models import Organization


class ProposalStatus(models.TextChoices):
    RAISED = "raised", _("raised")  # collecting support, waiting to be screened
    ON_AGENDA = "on_agenda", _("on the agenda")  # screened: may be put to a meeting
    DECLINED = "declined", _("declined")  # screened out, with a reason
    DECIDED = "decided", _("decided")  # its motion has been voted on
    WITHDRAWN = "withdrawn", _("withdrawn")  # by its proposer


class ProposalQuerySet(models.QuerySet["Proposal"]):
    def visible_to(self, user: Any) -> ProposalQuerySet:
        """Proposals of visible councils are public (without the proposer's identity)."""
        return self.filter(council__in=Council.objects.visible_to(user))

    def open(self) -> ProposalQuerySet:
        return self.filter(status__in=[ProposalStatus.RAISED, ProposalStatus.ON_AGENDA])

    def screening_overdue(self, now: Any = None) -> ProposalQuerySet:
        """Raised, past the threshold, not screened in time."""
        return self.filter(status=ProposalStatus.RAISED, screen_due_at__lt=now or timezone.now())


class Proposal(models.Model):
    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.CASCADE, related_name="proposals"
    )
    place_path = models.CharField(_("place path"), max_length=255, editable=False, default="")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("what and why"))
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposer"),
        on_delete=models.PROTECT,
        related_name="proposals",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("on behalf of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposals",
    )
    demand = models.OneToOneField(
        "demands.Demand",
        verbose_name=_("from demand"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposal",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.RAISED
    )
    support_count = models.PositiveIntegerField(_("supporters"), default=0)
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    threshold_reached_at = models.DateTimeField(_("threshold reached at"), null=True, blank=True)
    screen_due_at = models.DateTimeField(_("to be screened by"), null=True, blank=True)
    screening_overdue_at = models.DateTimeField(_("screening overdue since"), null=True, blank=True)
    screened_at = models.DateTimeField(_("screened at"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        indexes = [
            models.Index(fields=["council", "-raised_at", "-id"]),
            models.Index(fields=["council", "status", "-raised_at", "-id"]),
            models.Index(
                fields=["screen_due_at"],
                condition=Q(status="raised", screen_due_at__isnull=False),
                name="proposal_screening_due",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def scope_path(self) -> str:
        return self.place_path


class ProposalSupport(models.Model):
    """One person's support of a proposal; at most one per person (a database constraint)."""

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="supports"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supporter"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(_("supported at"), default=timezone.now)

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "user"], name="proposal_support_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.proposal_id}"
