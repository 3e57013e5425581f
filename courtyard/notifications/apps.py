from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "courtyard.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from courtyard.notifications import messages

        messages.register_defaults()
