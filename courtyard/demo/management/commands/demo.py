"""`courtyard demo`: load the demo city and its accounts (idempotent)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from courtyard.demo.city import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo_city


class Command(BaseCommand):
    help = (
        "Load the demo city (Beijing's 前门, 学院路, 回龙观 and 天通苑 streets with courtyards, "
        "organizations, committees) and one demo account per kind of user. Safe to run again: "
        "it only adds what is missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load the demo even though DEBUG is off (never on a real deployment).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: this looks like a real deployment, and the demo adds accounts "
                "with a published password. Use --force if this really is a demo server."
            )
        result = load_demo_city()
        if result.created_anything:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo city loaded: {result.places_imported} divisions imported, "
                    f"{result.places_added} grids/courtyards/buildings added, "
                    f"{result.organizations} organizations, {result.committee_rows} committee "
                    f"rows, {result.dual_reports} dual reports, {result.users} accounts, "
                    f"{result.categories} service categories, {result.responsibilities} "
                    f"responsibility rows, {result.demands} demands."
                )
            )
        else:
            self.stdout.write("The demo city was already complete: nothing was added.")
        if options["verbosity"] < 1:
            return
        width = max(len(username) for username, _, _ in DEMO_ACCOUNTS)
        self.stdout.write("")
        self.stdout.write(f"{'account':<{width}}  role")
        self.stdout.write(f"{'-' * width}  {'-' * 40}")
        for username, role_zh, role_en in DEMO_ACCOUNTS:
            self.stdout.write(f"{username:<{width}}  {role_zh}")
            self.stdout.write(f"{'':<{width}}  {role_en}")
        port = os.environ.get("PORT", "8000")
        login = f"http://127.0.0.1:{port}{reverse('people:login')}"
        self.stdout.write("")
        self.stdout.write(
            f"Log in at {login} with any account above and the password {DEMO_PASSWORD}; "
            f"the admin is at http://127.0.0.1:{port}/admin/ (demo-city)."
        )
