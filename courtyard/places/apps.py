from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacesConfig(AppConfig):
    name = "courtyard.places"
    label = "places"
    verbose_name = _("Places")

    def ready(self) -> None:
        from courtyard.core.models import AuditEvent
        from courtyard.places.tree import register_path_copy

        # Staff reading history after a move see the events of the moved subtree.
        register_path_copy(AuditEvent)
