"""`courtyard import_places FILE.csv` — load a place tree (see places.importer)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from courtyard.places.importer import import_places


class Command(BaseCommand):
    help = "Load places from a CSV with columns code,parent_code,kind,name[,name_en]."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: Any, file: Path, no_progress: bool, **options: Any) -> None:
        try:
            text = file.read_text(encoding="utf-8-sig")
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {file}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file} is not UTF-8 text: {exc}") from exc
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc
        total = max(text.count("\n") - 1, 0)
        with tqdm(total=total, unit="row", disable=no_progress, file=self.stderr) as bar:
            result = import_places(io.StringIO(text, newline=""), progress=bar.update)
        if result.errors:
            for line, message in result.errors:
                self.stderr.write(f"{file}:{line}: {message}")
            raise CommandError(
                f"{len(result.errors)} bad row(s); nothing was imported. Fix them and run again."
            )
        self.stdout.write(
            f"Created {result.created}, renamed {result.renamed}, unchanged {result.unchanged}."
        )
