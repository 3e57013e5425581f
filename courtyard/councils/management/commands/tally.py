"""`courtyard tally FILE.json` — count a vote from a file, for audits and checks by hand.

The same engine as the councils' votes (councils.tally); the file format is in
councils/tally/document.py. Prints one JSON object on stdout and exits 0 whenever the tally
was computed, passed or not; on bad input prints a sentence on stderr, nothing on stdout,
and exits 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courtyard.councils.tally import TallyError
from courtyard.councils.tally.document import parse_json, tally_document

BAD_INPUT = 2


class Command(BaseCommand):
    help = (
        'Tally a vote from a JSON file: {"rule": …, "members": […] or "parts": […], '
        '"ballots": […]}. Prints the result as JSON; exits 2 on bad input.'
    )
    # Pure arithmetic on a file: no database, nothing for the system checks to guard.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the JSON file to tally")

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        try:
            text = file.read_text(encoding="utf-8-sig")
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {file}", returncode=BAD_INPUT) from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file} is not UTF-8 text: {exc}", returncode=BAD_INPUT) from exc
        except OSError as exc:
            raise CommandError(
                f"Cannot read {file}: {exc.strerror or exc}", returncode=BAD_INPUT
            ) from exc
        try:
            result = tally_document(parse_json(text))
        except TallyError as exc:
            raise CommandError(f"{file}: {exc.message}", returncode=BAD_INPUT) from exc
        # Everything is computed before the first byte goes to stdout.
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
