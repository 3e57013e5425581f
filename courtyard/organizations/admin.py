from django.contrib import admin

from courtyard.organizations.models import Committee, CommitteeMembership, DualReport, Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "credit_code", "place", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "name_en", "credit_code"]
    raw_id_fields = ["place"]

    def get_readonly_fields(self, request, obj=None):
        # Kind and seat feed the place counts rollup; they change only through actions.
        return ["kind", "place"] if obj else []

    def has_add_permission(self, request):
        return False


class MembershipInline(admin.TabularInline):
    model = CommitteeMembership
    extra = 0
    raw_id_fields = ["organization"]


@admin.register(Committee)
class CommitteeAdmin(admin.ModelAdmin):
    list_display = ["name", "place", "founded_on"]
    raw_id_fields = ["place"]
    inlines = [MembershipInline]


@admin.register(DualReport)
class DualReportAdmin(admin.ModelAdmin):
    list_display = ["community", "kind", "organization", "member", "registered_on", "withdrawn_on"]
    list_filter = ["kind"]
    raw_id_fields = ["community", "organization", "member", "registered_by"]
