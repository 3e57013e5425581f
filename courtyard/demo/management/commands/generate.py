"""`courtyard generate`: a city-sized data set (Beijing's real tree, or a synthetic city)."""

from __future__ import annotations

from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from courtyard.demo.generator import GenerateOptions, generate

DEFAULTS = GenerateOptions()


def count(value: str) -> int:
    """A non-negative integer; "70_000" and "70,000" are read as 70000."""
    try:
        number = int(value.replace(",", "").replace("_", ""))
    except ValueError as exc:
        raise ArgumentTypeError(f"{value!r} is not a whole number") from exc
    if number < 0:
        raise ArgumentTypeError(f"{value} is negative")
    return number


class Command(BaseCommand):
    help = (
        "Generate a city-sized data set in bulk: Beijing's real division tree (or a synthetic "
        "city) with grids, buildings, units, social organizations, coordination committees "
        "and dual reports. Refuses a database that already holds generated places."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        d = DEFAULTS
        parser.add_argument("--grids", type=count, default=d.grids, help="grids (网格) in all")
        parser.add_argument(
            "--buildings", type=count, default=d.buildings, help="buildings/courtyards in all"
        )
        parser.add_argument(
            "--units", type=count, default=d.units, help="units (驻区单位) of the unit kinds"
        )
        parser.add_argument(
            "--social-orgs", type=count, default=d.social_orgs, help="social organizations"
        )
        parser.add_argument(
            "--no-committees",
            dest="committees",
            action="store_false",
            help="skip the coordination committees at streets/townships",
        )
        parser.add_argument(
            "--synthetic",
            action="store_true",
            help="a made-up city (codes 99…) instead of Beijing's real tree",
        )
        parser.add_argument(
            "--districts", type=count, default=d.districts, help="synthetic: districts"
        )
        parser.add_argument(
            "--streets", type=count, default=d.streets, help="synthetic: streets per district"
        )
        parser.add_argument(
            "--communities",
            type=count,
            default=d.communities,
            help="synthetic: communities per street",
        )
        parser.add_argument(
            "--demands",
            type=count,
            default=d.demands,
            help="resident demands with their histories and ratings (default 0: none)",
        )
        parser.add_argument(
            "--demand-months",
            type=count,
            default=d.demand_months,
            help="months before today that the demands are spread over",
        )
        parser.add_argument(
            "--councils",
            type=count,
            default=d.councils,
            help="councils with members, proposals, meetings, votes and owners' rolls "
            "(default 0: none)",
        )
        parser.add_argument("--seed", type=int, default=d.seed, help="the same seed, the same city")
        parser.add_argument(
            "--batch-size", type=count, default=d.batch_size, help="rows per INSERT"
        )
        parser.add_argument(
            "--no-progress", dest="progress", action="store_false", help="no progress bars"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        if options["demands"] and not options["demand_months"]:
            raise CommandError("--demand-months must be at least 1.")
        if options["buildings"] and not options["grids"]:
            raise CommandError("Buildings sit in grids: give --grids too.")
        report = generate(
            GenerateOptions(
                grids=options["grids"],
                buildings=options["buildings"],
                units=options["units"],
                social_orgs=options["social_orgs"],
                committees=options["committees"],
                synthetic=options["synthetic"],
                districts=options["districts"],
                streets=options["streets"],
                communities=options["communities"],
                seed=options["seed"],
                progress=options["progress"] and options["verbosity"] > 0,
                batch_size=options["batch_size"],
                demands=options["demands"],
                demand_months=options["demand_months"],
                councils=options["councils"],
            )
        )
        made = ", ".join(f"{n:,} {what.replace('_', ' ')}" for what, n in report.counts.items())
        timing = ", ".join(f"{phase} {s:.1f}s" for phase, s in report.seconds.items())
        self.stdout.write(self.style.SUCCESS(f"Generated: {made}."))
        self.stdout.write(f"Time: {report.total_seconds:.1f}s ({timing}).")
        if report.rates_rebuilt is False:
            self.stdout.write(
                "The three rates were not computed: this version has no "
                "`courtyard rebuild_demand_rates`."
            )
