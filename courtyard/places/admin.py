from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from courtyard.places.actions import BOX_FIELDS, rename_place, set_place_box
from courtyard.places.models import Place


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    """The tree changes only through actions (paths, counts, audit): import_places adds
    places, move_place moves them. The admin may rename, through rename_place, and set the
    map box, through set_place_box."""

    list_display = ["code", "name", "name_en", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name", "name_en"]
    readonly_fields = ["code", "kind", "parent", "path"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Place, form: Any, change: bool) -> None:
        rename_place(obj, by=request.user, name=obj.name, name_en=obj.name_en)
        if any(name in form.changed_data for name in BOX_FIELDS):
            set_place_box(obj, by=request.user, **{name: getattr(obj, name) for name in BOX_FIELDS})
