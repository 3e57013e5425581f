from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


def configure_sqlite(sender, connection, **kwargs) -> None:
    """WAL for concurrent readers; case-sensitive LIKE so that `startswith` on an indexed
    column (place paths, codes) uses the index, as it does on PostgreSQL."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA case_sensitive_like=ON")


class CoreConfig(AppConfig):
    name = "courtyard.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        connection_created.connect(configure_sqlite)
