"""Votes and ballots; owners' rolls of exclusive parts (Civil Code Art. 278).

Invariants:
- A vote's electorate, rule, matter and secrecy are frozen when it opens: `Voter` rows are
  copied from the council's current members or from the owners' roll (one row per owner,
  areas summed: all parts of one owner — the developer's unsold parts included — count as
  one person), and editing an open vote is refused.
- One voter, one ballot: `Ballot` is unique per (vote, voter) in the database. An online
  ballot may be changed until the window closes; each change is an audit row.
- Secret votes keep *who* voted (`Ballot` without a choice) apart from *how* (`SecretCount`,
  one counter per choice): neither the tables nor the audit trail join the two.
- A paper ballot names its paper; one paper counts once per vote.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courtyard.councils.models.council import Council
from courtyard.councils.models.meetings import Motion

AREA_MAX_DIGITS, AREA_DECIMALS = 18, 6  # the tally reads up to 6 decimals


class OwnersRoll(models.Model):
    """The register of exclusive parts (专有部分) of a building or estate, as imported."""

    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.CASCADE, related_name="rolls"
    )
    name = models.CharField(_("name"), max_length=200)
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    part_count = models.PositiveIntegerField(_("exclusive parts"), default=0)
    owner_count = models.PositiveIntegerField(_("owners"), default=0)
    total_area = models.DecimalField(
        _("total area (m²)"), default=0, max_digits=AREA_MAX_DIGITS, decimal_places=AREA_DECIMALS
    )

    class Meta:
        verbose_name = _("owners' roll")
        verbose_name_plural = _("owners' rolls")

    def __str__(self) -> str:
        return self.name


class ExclusivePart(models.Model):
    """One exclusive part: its id, registered area and owner (personal data)."""

    roll = models.ForeignKey(
        OwnersRoll, verbose_name=_("roll"), on_delete=models.CASCADE, related_name="parts"
    )
    part = models.CharField(_("part"), max_length=64)
    area = models.DecimalField(
        _("area (m²)"), max_digits=AREA_MAX_DIGITS, decimal_places=AREA_DECIMALS
    )
    owner_key = models.CharField(_("owner id"), max_length=64)
    owner_name = models.CharField(_("owner"), max_length=200)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner's account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("exclusive part")
        verbose_name_plural = _("exclusive parts")
        constraints = [models.UniqueConstraint(fields=["roll", "part"], name="roll_part_once")]
        indexes = [models.Index(fields=["roll", "owner_key"])]

    def __str__(self) -> str:
        return self.part


class Matter(models.TextChoices):
    """The matters of Civil Code Art. 278; items 6–8 are special (3/4), the rest ordinary."""

    PROCEDURE_RULES = "1", _("1. rules of procedure of the owners' assembly")
    COVENANT = "2", _("2. management covenant")
    COMMITTEE = "3", _("3. electing or replacing the owners' committee")
    MANAGER = "4", _("4. hiring or dismissing the property manager")
    USE_FUND = "5", _("5. using the maintenance fund")
    RAISE_FUND = "6", _("6. raising the maintenance fund")
    REBUILD = "7", _("7. rebuilding or reconstructing")
    COMMON_PARTS = "8", _("8. changing the use of common parts, or business on them")
    OTHER = "9", _("9. other major matters")

    @classmethod
    def rule_for(cls, matter: str) -> str:
        return "owners_special" if matter in SPECIAL_MATTERS else "owners_ordinary"


SPECIAL_MATTERS = frozenset({Matter.RAISE_FUND, Matter.REBUILD, Matter.COMMON_PARTS})


class VoteStatus(models.TextChoices):
    DRAFT = "draft", _("being prepared")
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")  # tallied
    CANCELLED = "cancelled", _("cancelled")


class VoteMethod(models.TextChoices):
    HANDS = "hands", _("show of hands")
    PAPER = "paper", _("paper ballot")
    ONLINE = "online", _("online")


class VoteQuerySet(models.QuerySet["Vote"]):
    def visible_to(self, user: Any) -> VoteQuerySet:
        """Votes of visible councils; drafts only for staff over the place and, for votes
        of members, the council's chair and secretary (they prepare votes at meetings)."""
        from courtyard.councils.models.council import CouncilMember, MemberRole
        from courtyard.people.scopes import staff_scope_q

        officer_of = (
            CouncilMember.objects.current()
            .held_by(user)
            .filter(role__in=[MemberRole.CHAIR, MemberRole.SECRETARY])
            .values("council_id")
        )
        return self.filter(council__in=Council.objects.visible_to(user)).filter(
            ~Q(status=VoteStatus.DRAFT)
            | Q(council_id__in=officer_of, roll__isnull=True)  # owners' votes: staff only
            | staff_scope_q(user, "place_path")
        )


class Vote(models.Model):
    """A decision put to an electorate: the council's members, or the owners of a roll."""

    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.CASCADE, related_name="votes"
    )
    place_path = models.CharField(_("place path"), max_length=255, editable=False, default="")
    motion = models.ForeignKey(
        Motion,
        verbose_name=_("motion"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="votes",
    )
    title = models.CharField(_("question"), max_length=200)
    roll = models.ForeignKey(
        OwnersRoll,
        verbose_name=_("owners' roll"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="votes",
    )
    matter = models.CharField(
        _("matter (Civil Code Art. 278)"), max_length=2, choices=Matter.choices, blank=True
    )
    rule = models.CharField(_("decision rule"), max_length=32, blank=True)
    custom_rule = models.JSONField(_("custom rule"), null=True, blank=True)
    secret = models.BooleanField(_("secret"), default=False)
    results_hidden = models.BooleanField(_("results hidden until the close"), default=True)
    status = models.CharField(
        _("status"), max_length=16, choices=VoteStatus.choices, default=VoteStatus.DRAFT
    )
    # The online window; hands and paper are recorded by staff while the vote is open.
    online_opens_at = models.DateTimeField(_("online voting opens"), null=True, blank=True)
    online_closes_at = models.DateTimeField(_("online voting closes"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    voter_count = models.PositiveIntegerField(_("voters"), default=0)
    ballot_count = models.PositiveIntegerField(_("ballots"), default=0)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    quorum_met = models.BooleanField(_("quorum met"), null=True, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)

    objects = VoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        indexes = [models.Index(fields=["council", "-id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["motion"],
                condition=~Q(status="cancelled"),
                name="one_live_vote_per_motion",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def scope_path(self) -> str:
        return self.place_path

    @property
    def is_owners_vote(self) -> bool:
        return self.roll_id is not None

    def online_window_open(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return (
            self.status == VoteStatus.OPEN
            and self.online_opens_at is not None
            and self.online_closes_at is not None
            and self.online_opens_at <= now < self.online_closes_at
        )


class Voter(models.Model):
    """A member of a vote's frozen electorate: a council member, or an owner with the sum of
    their parts' areas. `name` of an owner is personal data (staff only)."""

    vote = models.ForeignKey(
        Vote, verbose_name=_("vote"), on_delete=models.CASCADE, related_name="voters"
    )
    key = models.CharField(_("voter id"), max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=200)
    area = models.DecimalField(
        _("area (m²)"),
        null=True,
        blank=True,
        max_digits=AREA_MAX_DIGITS,
        decimal_places=AREA_DECIMALS,
    )
    parts = models.PositiveIntegerField(_("exclusive parts"), default=0)

    class Meta:
        verbose_name = _("voter")
        verbose_name_plural = _("voters")
        constraints = [models.UniqueConstraint(fields=["vote", "key"], name="voter_once")]
        indexes = [
            models.Index(fields=["vote", "user"]),
            models.Index(fields=["vote", "name", "id"]),  # the paper-ballot name search
        ]

    def __str__(self) -> str:
        return self.name


class Ballot(models.Model):
    """A voter's ballot. In a secret vote `choice` stays empty: the choice is a
    count in `SecretCount` that does not name the voter."""

    vote = models.ForeignKey(
        Vote, verbose_name=_("vote"), on_delete=models.CASCADE, related_name="ballots"
    )
    voter = models.ForeignKey(
        Voter, verbose_name=_("voter"), on_delete=models.CASCADE, related_name="ballots"
    )
    choice = models.CharField(_("choice"), max_length=8, blank=True)
    method = models.CharField(_("method"), max_length=8, choices=VoteMethod.choices)
    paper_ref = models.CharField(_("paper ballot number"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cast_at = models.DateTimeField(_("cast at"), default=timezone.now)
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(fields=["vote", "voter"], name="one_voter_one_ballot"),
            models.UniqueConstraint(
                fields=["vote", "paper_ref"],
                condition=~Q(paper_ref=""),
                name="one_paper_counts_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voter_id} ({self.method})"


class SecretCount(models.Model):
    """How a secret vote went: one counter per choice, created when the vote opens and
    incremented by each ballot. No row exists per ballot, so neither a voter, a time nor
    the order of rows can tie a choice to the `Ballot` that proves someone voted."""

    vote = models.ForeignKey(
        Vote, verbose_name=_("vote"), on_delete=models.CASCADE, related_name="secret_counts"
    )
    choice = models.CharField(_("choice"), max_length=8)
    count = models.PositiveIntegerField(_("ballots"), default=0)

    class Meta:
        verbose_name = _("secret count")
        verbose_name_plural = _("secret counts")
        constraints = [
            models.UniqueConstraint(fields=["vote", "choice"], name="secret_count_per_choice")
        ]

    def __str__(self) -> str:
        return f"{self.choice}: {self.count}"
