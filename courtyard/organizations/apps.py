from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "courtyard.organizations"
    label = "organizations"
    verbose_name = _("Organizations")

    def ready(self) -> None:
        from courtyard.core.audit import register_verb_labels
        from courtyard.organizations.models import Committee, Organization
        from courtyard.places.rollups import register_count_source
        from courtyard.places.tree import register_path_copy

        register_path_copy(Organization)
        register_path_copy(Committee)

        def organizations_by_kind():
            rows = Organization.objects.filter(is_active=True).values_list("place_path", "kind")
            for path, kind in rows.iterator(chunk_size=5000):
                yield path, f"org:{kind}"

        register_count_source("organizations", organizations_by_kind)
        register_verb_labels(
            {
                "create_organization": _("organization registered"),
                "deactivate_organization": _("organization deactivated"),
                "reactivate_organization": _("organization reactivated"),
                "create_committee": _("committee founded"),
                "add_committee_member": _("unit joined the committee"),
                "change_committee_position": _("position changed"),
                "end_committee_membership": _("unit left the committee"),
                "register_dual_report": _("registered (dual reporting)"),
                "withdraw_dual_report": _("registration withdrawn"),
            }
        )
