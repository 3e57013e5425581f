"""Build a Beijing-sized city into a fresh database and time the pages that list and show it.

    .venv/bin/python bench/run_bench.py                       # SQLite file in bench/out/
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/run_bench.py

Requests go through Django's test Client in-process (no server, no network), anonymous
unless the row says "as district officer", over HTTPS with DEBUG off as in production. For each URL:
a few warm-up requests, then `--requests` timed ones (p50/p95), and the number of SQL
queries of one request. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


@dataclass
class Row:
    label: str
    url: str
    status: int
    p50_ms: float
    p95_ms: float
    queries: int


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50, help="timed requests per URL")
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply the generator's counts (0.01 for a quick run; the tree stays Beijing's)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="measure the existing database; do not generate"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    return parser.parse_args()


def configure_environment(reuse: bool) -> str:
    """Production-like settings; a fresh SQLite file unless DATABASE_URL names a database."""
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ["DEBUG"] = "false"
    os.environ["SECRET_KEY"] = "bench"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["COURTYARD_VAR_DIR"] = str(OUT / "var")  # collected static files land here
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if "DATABASE_URL" not in os.environ:
        db = OUT / "bench.sqlite3"
        if not reuse:
            for stale in OUT.glob("bench.sqlite3*"):
                stale.unlink()
        os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    return os.environ["DATABASE_URL"]


def machine() -> dict[str, str]:
    from django.db import connection

    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as f:
        kib = int(f.readline().split()[1])
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
            db = f"SQLite {cursor.fetchone()[0]}"
        else:
            cursor.execute("show server_version")
            db = f"PostgreSQL {cursor.fetchone()[0]}"
    import django

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "cpus": str(os.cpu_count()),
        "ram": f"{kib / 1024 / 1024:.0f} GiB",
        "cpu": cpu,
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": db,
    }


def build(scale: float) -> tuple[float, str]:
    """Migrate, collect static files, generate; returns the generator's wall-clock seconds
    and its summary (rows made, seconds by phase)."""
    from io import StringIO

    from django.core.management import call_command

    from courtyard.demo.generator import GenerateOptions

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    d = GenerateOptions()
    counts = {
        "--grids": d.grids,
        "--buildings": d.buildings,
        "--units": d.units,
        "--social-orgs": d.social_orgs,
    }
    args = [str(part) for flag, n in counts.items() for part in (flag, round(n * scale))]
    summary = StringIO()
    started = time.perf_counter()
    call_command("generate", *args, "--no-progress", stdout=summary)
    return time.perf_counter() - started, summary.getvalue().strip()


def targets() -> dict[str, Any]:
    """The biggest district, street and community (by what lies under them): worst cases."""
    from courtyard.places.models import Place, PlaceCount

    def biggest(kinds: tuple[str, ...], item: str) -> Place:
        row = (
            PlaceCount.objects.filter(place__kind__in=kinds, item=item)
            .order_by("-count", "place__code")
            .select_related("place")
            .first()
        )
        assert row is not None, f"nothing of kind {kinds} has {item}"
        return row.place

    return {
        "city": Place.objects.get(code="110000000000"),
        "district": biggest(("district",), "community"),
        "street": biggest(("street", "township"), "community"),
        "community": biggest(("community", "village"), "grid"),
    }


def district_officer(district: Any) -> Any:
    from courtyard.people.actions import assign_role
    from courtyard.people.models import Role, User

    user, _ = User.objects.get_or_create(username="bench-district")
    if not Role.objects.filter(user=user, place=district).exists():
        assign_role(user, by=None, kind="district_officer", place=district)
    return user


def cursor_at(queryset: Any, order: tuple[str, ...], fraction: float) -> str:
    """The cursor that the "next" links reach `fraction` of the way down a list (9/10: past
    90 % of its rows), made without walking the list. A keyset page should cost there what
    the first page costs. (Not the very last page: PostgreSQL plans that one differently,
    from the few rows it expects after the cursor.)"""
    from courtyard.core.pagination import encode_cursor

    ordered = queryset.order_by(*order)
    row = ordered.values_list(*order)[int(ordered.count() * fraction)]
    return encode_cursor(list(row))


def measure(client: Any, label: str, url: str, n: int) -> Row:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        response = client.get(url, secure=True)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, secure=True)
    # Count now: the next request's request_started signal empties the query log.
    count = len(queries)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        client.get(url, secure=True)
        samples.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return Row(label, url, response.status_code, cuts[49], cuts[94], count)


def table(rows: list[Row]) -> str:
    lines = [
        "| request | URL | status | p50 ms | p95 ms | queries |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r.label} | `{r.url}` | {r.status} | {r.p50_ms:.1f} | {r.p95_ms:.1f} "
            f"| {r.queries} |"
        )
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    sys.path.insert(0, str(ROOT))
    url = configure_environment(args.reuse)
    import django

    django.setup()
    from django.test import Client

    from courtyard.organizations.models import Organization
    from courtyard.places.models import Place

    generate_seconds, generate_summary = (None, "") if args.reuse else build(args.scale)
    t = targets()
    active = Organization.objects.filter(is_active=True)  # what anonymous visitors see
    # The same querysets and orders as the views and the API endpoints (the cursor must fit).
    deep_by_name = cursor_at(active, ("name", "pk"), 0.9)
    deep_in_city = cursor_at(active.within(t["city"]), ("place_path", "name", "pk"), 0.9)
    deep_under_city = cursor_at(Place.objects.below(t["city"]), ("path", "pk"), 0.9)
    anonymous, staff = Client(), Client()
    staff.force_login(district_officer(t["district"]))
    pages = [(f"place page: {kind} ({p.name})", f"/places/{p.pk}/") for kind, p in t.items()]
    pages += [
        ("organization directory", "/organizations/"),
        ("organization directory, one district", f"/organizations/?place={t['district'].pk}"),
        ("API: place by code", "/api/v1/places?code=110101011010"),
        ("API: children of a street", f"/api/v1/places/{t['street'].pk}/children"),
        ("API: organizations", "/api/v1/organizations"),
        ("API: committees", "/api/v1/committees"),
        # Beyond the list above: the subtree filters at their extremes, which show whether
        # a filtered list costs the same for the whole city and for one community.
        ("organization directory, whole city", f"/organizations/?place={t['city'].pk}"),
        ("organization directory, one community", f"/organizations/?place={t['community'].pk}"),
        ("API: committees within the city", f"/api/v1/committees?place={t['city'].pk}"),
        ("API: descendants of the city", f"/api/v1/places/{t['city'].pk}/descendants"),
        ("API: organizations within the city", f"/api/v1/organizations?place={t['city'].pk}"),
        # Keyset pages far down a list: as cheap as the first page, or not?
        ("API: organizations, 90 % down", f"/api/v1/organizations?cursor={deep_by_name}"),
        (
            "organization directory, whole city, 90 % down",
            f"/organizations/?place={t['city'].pk}&cursor={deep_in_city}",
        ),
        (
            "API: descendants of the city, 90 % down",
            f"/api/v1/places/{t['city'].pk}/descendants?cursor={deep_under_city}",
        ),
    ]
    rows = [measure(anonymous, label, path, args.requests) for label, path in pages]
    rows += [
        measure(staff, f"{label}, as district officer", path, args.requests)
        for label, path in [pages[1], pages[5]]
    ]
    info = machine()
    sizes = {
        "places": Place.objects.count(),
        "organizations": Organization.objects.count(),
    }
    print(f"database: {url.split('@')[-1]}  ({info['database']})")
    print(
        f"machine: {info['cpus']} CPUs, {info['ram']} RAM, {info['cpu']}; "
        f"Python {info['python']}, Django {info['django']}; {info['date']}"
    )
    print(f"data: {sizes['places']:,} places, {sizes['organizations']:,} organizations")
    if generate_seconds is not None:
        print(f"generator: {generate_seconds:.1f} s")
        print(generate_summary)
    print()
    print(table(rows))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "sizes": sizes,
                    "generate_seconds": generate_seconds,
                    "generate_summary": generate_summary,
                    "rows": [asdict(r) for r in rows],
                },
                ensure_ascii=False,
                indent=2,
            ),
            encoding="utf-8",
        )
    if any(r.status != 200 for r in rows):
        sys.exit("Some request did not answer 200: see the status column.")


if __name__ == "__main__":
    main()
