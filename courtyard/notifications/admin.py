from django.contrib import admin
from django.http import HttpRequest

from courtyard.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: notifications are written by `notify` and read by their recipient."""

    list_display = ["created_at", "recipient", "verb", "target_repr", "read_at"]
    list_filter = ["verb"]
    raw_id_fields = ["recipient"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
