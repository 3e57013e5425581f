"""Meetings: notice, attendance, motions, the speaking order and minutes.

Invariants:
- A meeting's notice is published at least the charter's notice period before it starts
  (the action refuses otherwise); only an announced meeting can be opened.
- A motion either stands on its own or carries a proposal that was screened onto the
  agenda; motions of a meeting have distinct positions.
- A member speaks at most the charter's number of times per motion (the action counts
  under a lock on the motion); speeches have distinct order numbers per motion.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courtyard.councils.models.council import Council, CouncilMember
from courtyard.councils.models.proposals import Proposal


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", _("draft")  # being prepared; not public yet
    ANNOUNCED = "announced", _("announced")  # notice published
    IN_PROGRESS = "in_progress", _("in progress")
    CLOSED = "closed", _("closed")  # minutes kept
    CANCELLED = "cancelled", _("cancelled")


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def visible_to(self, user: Any) -> MeetingQuerySet:
        """Announced and later meetings of visible councils are public; drafts are for the
        staff over the council's place."""
        from courtyard.people.scopes import staff_scope_q

        return self.filter(council__in=Council.objects.visible_to(user)).filter(
            ~models.Q(status=MeetingStatus.DRAFT) | staff_scope_q(user, "place_path")
        )

    def upcoming(self, now: Any = None) -> MeetingQuerySet:
        return self.filter(
            status__in=[MeetingStatus.ANNOUNCED, MeetingStatus.IN_PROGRESS],
            starts_at__gte=(now or timezone.now()) - timedelta(hours=12),
        )


class Meeting(models.Model):
    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.CASCADE, related_name="meetings"
    )
    place_path = models.CharField(_("place path"), max_length=255, editable=False, default="")
    title = models.CharField(_("title"), max_length=200)
    location = models.CharField(_("where"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    status = models.CharField(
        _("status"), max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT
    )
    notice_published_at = models.DateTimeField(_("notice published at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        indexes = [
            models.Index(fields=["council", "-starts_at", "-id"]),
            models.Index(fields=["place_path", "starts_at", "id"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def scope_path(self) -> str:
        return self.place_path


class MotionStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    DEBATING = "debating", _("in debate")
    VOTING = "voting", _("being voted on")
    PASSED = "passed", _("passed")
    FAILED = "failed", _("failed")
    DEFERRED = "deferred", _("deferred")


class Motion(models.Model):
    """An item on a meeting's agenda: a concrete, actionable motion."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="motions"
    )
    proposal = models.ForeignKey(
        Proposal,
        verbose_name=_("proposal"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="motions",
    )
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("motion"), max_length=200)
    text = models.TextField(_("text"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=MotionStatus.choices, default=MotionStatus.PENDING
    )

    class Meta:
        verbose_name = _("motion")
        verbose_name_plural = _("motions")
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "position"], name="motion_position_once")
        ]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    """A member present at a meeting (one row per member and meeting)."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="attendance"
    )
    member = models.ForeignKey(
        CouncilMember, verbose_name=_("member"), on_delete=models.CASCADE, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_once")
        ]

    def __str__(self) -> str:
        return f"{self.member_id}@{self.meeting_id}"


class Stance(models.TextChoices):
    FOR = "for", _("for")
    AGAINST = "against", _("against")
    NEUTRAL = "neutral", _("no side")


class Speech(models.Model):
    """A turn to speak on a motion, in the order the chair gave the floor."""

    motion = models.ForeignKey(
        Motion, verbose_name=_("motion"), on_delete=models.CASCADE, related_name="speeches"
    )
    member = models.ForeignKey(
        CouncilMember, verbose_name=_("member"), on_delete=models.CASCADE, related_name="+"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    stance = models.CharField(_("stance"), max_length=8, choices=Stance.choices)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("speech")
        verbose_name_plural = _("speeches")
        ordering = ["motion", "order"]
        constraints = [
            models.UniqueConstraint(fields=["motion", "order"], name="speech_order_once")
        ]

    def __str__(self) -> str:
        return f"#{self.order} {self.member_id}"

    @property
    def seconds(self) -> int | None:
        if self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds())
