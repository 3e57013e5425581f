"""The audit trail: one row per change made through an action (who, what, when, old → new)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from courtyard.people.models import User


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def for_object(self, obj: models.Model) -> AuditEventQuerySet:
        """Events about one object, the latest recorded first (in the order they were
        written, which is also the order of a replayed history)."""
        return self.filter(
            target_type=ContentType.objects.get_for_model(obj), target_id=str(obj.pk)
        ).order_by("-pk")

    def visible_to(self, user: User | Any) -> AuditEventQuerySet:
        """Staff see the events of the places they administer and everything under them;
        everyone sees the events of their own changes; nobody else sees anything."""
        from courtyard.people.scopes import staff_scope_q

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(staff_scope_q(user, "place_path") | models.Q(actor=user))


class AuditEvent(models.Model):
    """Who changed what, when, from which value to which. Written only by `record_event`,
    in the same transaction as the change; never updated or deleted by the application."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verb = models.CharField(_("action"), max_length=64)
    target_type = models.ForeignKey(
        ContentType, verbose_name=_("kind of object"), on_delete=models.PROTECT, related_name="+"
    )
    target_id = models.CharField(_("object number"), max_length=64)
    target_repr = models.CharField(_("object"), max_length=255)
    # The path of the place the object belongs to, so that staff scoping is a prefix match.
    place_path = models.CharField(_("place path"), max_length=255, blank=True, db_index=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    # When it happened: now, or the recorded time of a replayed history (hotline import).
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["target_type", "target_id", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.verb} {self.target_repr}"

    @property
    def verb_label(self) -> str:
        from courtyard.core.audit import VERB_LABELS

        return str(VERB_LABELS.get(self.verb, self.verb))
