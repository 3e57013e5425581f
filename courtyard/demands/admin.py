from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from courtyard.demands.models import (
    Demand,
    DemandPhoto,
    Open311Client,
    Responsibility,
    ServiceCategory,
)


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(admin.ModelAdmin):
    """The catalogue is configuration: staff edit it here. Codes never change once used."""

    list_display = ["service_code", "name", "name_en", "feedback_class", "is_active"]
    list_filter = ["feedback_class", "is_active"]
    search_fields = ["service_code", "name", "name_en", "keywords"]
    raw_id_fields = ["parent"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["service_code"] if obj else []


@admin.register(Responsibility)
class ResponsibilityAdmin(admin.ModelAdmin):
    list_display = ["category", "place", "organization"]
    raw_id_fields = ["category", "place", "organization"]


@admin.register(Demand)
class DemandAdmin(admin.ModelAdmin):
    """Read-only: demands move only through the actions (clocks, rates, timeline)."""

    list_display = ["pk", "public_summary", "status", "channel", "submitted_at"]
    list_filter = ["status", "channel"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Demand._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DemandPhoto)
class DemandPhotoAdmin(admin.ModelAdmin):
    """Read-only, and without the files: the admin has no business linking to them (they
    are served only by `demands:photo`, to those who may see the demand)."""

    list_display = ["pk", "demand", "content_type", "width", "height", "size", "created_at"]
    exclude = ["file", "thumbnail"]
    raw_id_fields = ["demand", "uploaded_by"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in DemandPhoto._meta.fields if f.name not in self.exclude]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):
    """Keys are made with `courtyard create_api_key NAME`, which shows the key once."""

    list_display = ["name", "prefix", "created_at", "revoked_at"]
    readonly_fields = ["name", "key_hash", "prefix", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
