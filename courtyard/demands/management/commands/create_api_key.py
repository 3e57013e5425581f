"""`courtyard create_api_key NAME` — a key for an Open311 client (POST requests).

Prints the new key alone on stdout, once: only its SHA-256 is stored, so it cannot be shown
again. Revoke a key in the admin (Open311 clients → revoked at).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from courtyard.core.errors import DomainError
from courtyard.demands.open311.keys import create_client


class Command(BaseCommand):
    help = "Create an Open311 client key. Prints the key once; only its SHA-256 is stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="who the key is for, e.g. the 12345 hotline system")

    def handle(self, *args: Any, name: str, **options: Any) -> None:
        try:
            client, raw = create_client(by=None, name=name)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(
            _("Open311 client %(name)s created. Keep the key now: it is not shown again.")
            % {"name": client.name}
        )
        self.stdout.write(raw)
