"""`courtyard load_catalogue` — load the default service catalogue (demands.catalogue)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from courtyard.demands.catalogue import CATALOGUE, load_catalogue


class Command(BaseCommand):
    help = (
        f"Load the default service catalogue ({len(CATALOGUE)} groups and categories modelled "
        "on Beijing's 12345 hotline). Idempotent by service code: categories that exist are "
        "left as they are unless --update is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--update",
            action="store_true",
            help="Also bring existing categories back to the default names, keywords, "
            "feedback class, questions and parent.",
        )

    def handle(self, *args: Any, update: bool, **options: Any) -> None:
        result = load_catalogue(update=update)
        self.stdout.write(
            f"Service catalogue: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged."
        )
