"""`courtyard import_owners_roll COUNCIL_ID FILE --name NAME` — an owners' roll from CSV.

All rows or none: on bad rows every one is printed with its line number, nothing is stored
and the command exits with status 2. Columns: see `courtyard.councils.actions.rolls`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courtyard.core.errors import DomainError
from courtyard.councils.actions import RollImportError, import_roll
from courtyard.councils.models import Council

BAD_ROWS = 2


class Command(BaseCommand):
    help = (
        "Import an owners' roll (exclusive parts) for a council from a UTF-8 CSV with the "
        "columns part, area, owner_id, owner_name and optionally username."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("council_id", type=int, help="the council's number")
        parser.add_argument("file", type=Path, help="a .csv file")
        parser.add_argument("--name", required=True, help="the roll's name")

    def handle(self, *args: Any, council_id: int, file: Path, name: str, **options: Any) -> None:
        council = Council.objects.filter(pk=council_id).first()
        if council is None:
            raise CommandError(f"No council has the number {council_id}.")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        try:
            roll = import_roll(council, by=None, name=name, data=data)
        except RollImportError as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(exc.errors)} bad rows: nothing was imported.", returncode=BAD_ROWS
            ) from exc
        except DomainError as exc:
            raise CommandError(exc.message, returncode=BAD_ROWS) from exc
        self.stdout.write(
            f"roll {roll.pk}: {roll.part_count} parts, {roll.owner_count} owners, "
            f"{roll.total_area} m²"
        )
