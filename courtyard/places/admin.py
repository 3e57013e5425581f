from django.contrib import admin

from courtyard.places.models import Place


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name", "name_en"]
    raw_id_fields = ["parent"]

    # The tree changes only through actions (paths, counts, audit): import_places adds
    # places, move_place moves them. The admin may rename.
    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        return ["code", "kind", "parent", "path"]
