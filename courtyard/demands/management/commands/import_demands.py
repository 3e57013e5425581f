"""`courtyard import_demands FILE` — load 12345 hotline orders with their history.

The columns are documented in `courtyard.demands.importer` (and in this command's help)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from courtyard.demands.importer import import_rows, read_table

COLUMNS_HELP = """\
Columns (row 1; order free; Chinese export headers such as 工单编号 are understood):
  external_id      the hotline order number (required; the import is idempotent on it)
  received_at      when it was received (required); every time is ISO 8601 with an offset,
                   e.g. 2024-05-06T08:30:00+08:00, or "YYYY-MM-DD HH:MM" in the local zone
  channel          web, phone, walk_in, grid_patrol, hotline (default), api, open311
  service_code     a category of the service catalogue (required)
  place_code       the code of a community, grid, building ... (required)
  description      what the requester said (required, at most 5,000 characters)
  address, requester_name, requester_phone
  dispatched_at    when it was dispatched, to
  unit             a unified social credit code or an organization's exact name (also
                   read from unit_credit_code); empty: the responsibility table decides
  signed_at, contacted_at (first contact with the requester), replied_at with reply
  evaluated_at     with resolved (是/否/yes/no) and satisfaction (满意/基本满意/不满意 or
                   satisfied/basic/unsatisfied)
  closed_at        for an order closed without an evaluation
  attribute[CODE]  the answer to the category's extra question CODE (one column each)
  status           its status at export, checked against the history: submitted, accepted,
                   dispatched, signed, contacted, replied, closed, answered, declined
                   (answered/declined: the answer or reason in reply, its time in replied_at)
Each step needs the one before it and may not come before it. A bad row is reported with
its line number and reason and leaves nothing behind; the other rows are imported."""


class Command(BaseCommand):
    help = "Load 12345 hotline orders (CSV or XLSX, by extension) and replay their history."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        from argparse import RawDescriptionHelpFormatter

        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        parser.epilog = COLUMNS_HELP
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv or .xlsx file")
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: Any, file: Path, no_progress: bool, **options: Any) -> None:
        try:
            header, rows, total = read_table(file)
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {file}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file} is neither UTF-8 nor GB 18030 text: {exc}") from exc
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        hide = no_progress or options["verbosity"] < 1
        with tqdm(total=total, unit=" rows", disable=hide, file=self.stderr) as bar:
            result = import_rows(header, rows, progress=bar.update)
        for line, message in result.errors:
            self.stderr.write(f"{file}:{line}: {message}")
        self.stdout.write(
            f"Created {result.created}, already there {result.existing}, bad {len(result.errors)}."
        )
        if result.errors:
            raise CommandError(
                f"{len(result.errors)} bad row(s) were not imported (the others were): "
                "fix them and run the import again; rows already imported are skipped."
            )
