from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from courtyard.people import actions
from courtyard.people.models import ApiToken, Role, User


class RoleInline(admin.TabularInline):
    """Roles are shown here; they are given and ended through the actions (level rules,
    audit), not edited in the admin."""

    model = Role
    extra = 0
    fields = readonly_fields = ("kind", "place", "organization", "starts_on", "ends_on")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Courtyard"), {"fields": ("display_name", "phone", "preferred_language", "home")}),
    )
    list_display = ["username", "display_name", "is_staff", "is_active"]
    raw_id_fields = ["home"]
    inlines = [RoleInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Read-only: tokens are issued by their owner and can only be revoked here."""

    list_display = ["prefix", "user", "name", "created_at", "expires_at", "revoked_at"]
    readonly_fields = [f.name for f in ApiToken._meta.fields]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            actions.revoke_token(token, by=request.user)
