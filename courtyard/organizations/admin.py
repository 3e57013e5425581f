"""The admin shows everything and changes only what no rule depends on. Seats, kinds,
activity, memberships and registrations feed rollups, path copies and the audit trail, so
they change through the actions (here: admin actions that call them), never by editing."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from courtyard.organizations import actions
from courtyard.organizations.models import Committee, CommitteeMembership, DualReport, Organization


class NoAddNoDelete(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organization)
class OrganizationAdmin(NoAddNoDelete):
    list_display = ["name", "kind", "credit_code", "place", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "name_en", "credit_code"]
    readonly_fields = ["kind", "place", "place_path", "credit_code", "is_active", "created_at"]
    actions = ["deactivate", "reactivate"]

    @admin.action(description=_("Deactivate the selected organizations"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        for organization in queryset.filter(is_active=True):
            actions.deactivate_organization(organization, by=request.user)

    @admin.action(description=_("Reactivate the selected organizations"))
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        for organization in queryset.filter(is_active=False):
            actions.reactivate_organization(organization, by=request.user)


class MembershipInline(admin.TabularInline):
    model = CommitteeMembership
    extra = 0
    fields = readonly_fields = ("organization", "position", "joined_on", "left_on")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Committee)
class CommitteeAdmin(NoAddNoDelete):
    list_display = ["name", "place", "founded_on"]
    readonly_fields = ["place", "place_path"]
    inlines = [MembershipInline]


@admin.register(DualReport)
class DualReportAdmin(NoAddNoDelete):
    list_display = ["community", "kind", "organization", "member", "registered_on", "withdrawn_on"]
    list_filter = ["kind"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in DualReport._meta.fields]
