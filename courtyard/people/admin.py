from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from courtyard.people.models import ApiToken, Role, User


class RoleInline(admin.TabularInline):
    model = Role
    extra = 0
    raw_id_fields = ["place", "organization"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Courtyard", {"fields": ("display_name", "phone", "preferred_language", "home")}),
    )
    list_display = ["username", "display_name", "is_staff", "is_active"]
    raw_id_fields = ["home"]
    inlines = [RoleInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "expires_at", "revoked_at"]
    readonly_fields = ["key_hash", "prefix", "created_at", "last_used_at"]
    raw_id_fields = ["user"]
