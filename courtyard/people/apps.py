from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "courtyard.people"
    label = "people"
    verbose_name = _("People")

    def ready(self) -> None:
        from courtyard.core.audit import register_verb_labels

        register_verb_labels(
            {
                "assign_role": _("role given"),
                "end_role": _("role ended"),
                "update_profile": _("profile changed"),
                "set_home": _("home changed"),
                "issue_token": _("API token issued"),
                "revoke_token": _("API token revoked"),
            }
        )
