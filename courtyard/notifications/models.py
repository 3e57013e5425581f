"""The in-app inbox: one row per person told of something (a demand dispatched to their
unit, a meeting announced, a vote opened …).

Written only by `notifications.actions.notify`, after the action that caused it has
committed; only its recipient ever reads it (`visible_to`). The text is not stored: it is
built when shown, from the verb (in the reader's language) and `target_repr` — a label that
never carries a requester's name or phone (a demand is its number, category and place)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationQuerySet(models.QuerySet["Notification"]):
    def visible_to(self, user: Any) -> NotificationQuerySet:
        """A person sees their own notifications and nobody else's (superusers included:
        an inbox is not an administrative record)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """Someone was told that something happened to an object, with the page to open."""

    # The (recipient, -id) indexes below serve every read; no separate FK index.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    verb = models.CharField(_("event"), max_length=64)
    target_type = models.ForeignKey(
        ContentType, verbose_name=_("kind of object"), on_delete=models.PROTECT, related_name="+"
    )
    target_id = models.CharField(_("object number"), max_length=64)
    target_repr = models.CharField(_("object"), max_length=255)
    url = models.CharField(_("link"), max_length=500)
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The inbox, newest first (keyset on -id).
            models.Index(fields=["recipient", "-id"], name="notification_inbox_idx"),
            # The unread badge and the `unread` filter: only unread rows are indexed.
            models.Index(
                fields=["recipient", "-id"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.verb} {self.target_repr}"

    @property
    def message(self) -> str:
        """The sentence shown, in the active language (plain text: templates escape it)."""
        from courtyard.notifications.messages import message_for

        return message_for(self.verb, self.target_repr)

    @property
    def is_unread(self) -> bool:
        return self.read_at is None
