"""`courtyard rebuild_place_counts` — recompute the place counts rollup from the raw rows."""

from typing import Any

from django.core.management.base import BaseCommand

from courtyard.places.rollups import rebuild_place_counts


class Command(BaseCommand):
    help = "Recompute every place's counts (places by kind, organizations …) from the raw rows."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = rebuild_place_counts()
        self.stdout.write(f"Rebuilt {rows} count rows.")
