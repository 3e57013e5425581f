from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo city (`courtyard demo`) and the city-scale generator (`courtyard generate`).
    No models: it writes through the other apps' actions and bulk helpers."""

    name = "courtyard.demo"
    label = "demo"
    verbose_name = _("Demo and generator")
