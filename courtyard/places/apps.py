from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacesConfig(AppConfig):
    name = "courtyard.places"
    label = "places"
    verbose_name = _("Places")

    def ready(self) -> None:
        from courtyard.core.audit import register_verb_labels

        register_verb_labels(
            {
                "create_place": _("place added"),
                "rename_place": _("place renamed"),
                "move_place": _("place moved"),
                "set_place_box": _("map box of the place set"),
            }
        )
