"""Time the demand pages at city scale: 1,000,000 demands, read by the people who work them.

    .venv/bin/python bench/demands_read_bench.py                      # SQLite file in bench/out/
    .venv/bin/python bench/demands_read_bench.py --reuse              # measure again, no build
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_demands \\
        .venv/bin/python bench/demands_read_bench.py

Into a fresh database: the synthetic city of `demands_bench.py` (16 districts × 22 streets
× 22 communities: 352 streets, 7,744 communities; 60,000 buildings, 2,000 units), then
`--demands` demands (1,000,000) from `demands.generator.make_demands`, spread over 12 months
(the recent ones still open, as in a live system), `rebuild_demand_rates`, ANALYZE on
PostgreSQL. Then, as the persona each page is for (a community worker, a unit handler, a
street officer, a city administrator, created here), the pages of issue #3 are timed like
`run_bench.py` does: in-process with Django's test client, DEBUG off, over HTTPS, 3
warm-ups, one request under CaptureQueriesContext for the query count, `--requests` timed
requests for p50/p95. Long lists are also read 90 % down (the cursor of the row there).
Last, `courtyard check_slas` twice: the first sweep finds the backlog the generator left
(every open demand past a deadline, none marked yet), the second one finds nothing new.

The targets are the worst cases: the community and the street with the most demands, the
unit with the most orders in its inbox. `uptime` load is printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from io import StringIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run_bench import Row, machine  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demands", type=int, default=1_000_000, help="demands to generate")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per URL")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the existing database; do not generate"
    )
    parser.add_argument("--build-only", action="store_true", help="generate, measure nothing")
    parser.add_argument("--no-sla", action="store_true", help="do not run check_slas")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument(
        "--explain",
        action="append",
        metavar="PERSONA:URL",
        help="instead of the benchmark: each query of this request (persona one of community, "
        "street, city, unit), its time and its plan (EXPLAIN QUERY PLAN; on PostgreSQL "
        "EXPLAIN (ANALYZE, BUFFERS)); may be repeated; implies --reuse",
    )
    return parser.parse_args()


def configure(reuse: bool) -> str:
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "false"
    os.environ["SECRET_KEY"] = "bench"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["COURTYARD_VAR_DIR"] = str(OUT / "var")  # collected static files land here
    if "DATABASE_URL" not in os.environ:
        if not reuse:
            for stale in OUT.glob("demands_read.sqlite3*"):
                stale.unlink()
        os.environ["DATABASE_URL"] = f"sqlite:///{OUT / 'demands_read.sqlite3'}"
    return os.environ["DATABASE_URL"]


def load() -> str:
    with open("/proc/loadavg", encoding="utf-8") as f:
        return " ".join(f.read().split()[:3])


def build(count: int) -> dict[str, Any]:
    """The synthetic city, `count` demands, the rates; seconds of each phase."""
    from demands_bench import build_city
    from django.core.management import call_command
    from django.db import transaction

    import courtyard.demands.generator as generator
    from courtyard.demo.generator import analyze_tables
    from courtyard.places.models import Place

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    call_command("collectstatic", "--noinput", verbosity=0)
    build_city()  # migrates first
    seconds["city"] = time.perf_counter() - started
    root = Place.objects.get(code="990000000000")
    rebuild = generator.rebuild_rates_if_possible
    generator.rebuild_rates_if_possible = lambda: False  # timed on its own below
    try:
        started = time.perf_counter()
        with transaction.atomic():
            report = generator.make_demands(random.Random(1), root, count, batch_size=2000)
        seconds["demands"] = time.perf_counter() - started
    finally:
        generator.rebuild_rates_if_possible = rebuild
    started = time.perf_counter()
    rebuild()
    seconds["rates"] = time.perf_counter() - started
    started = time.perf_counter()
    analyze_tables()  # PostgreSQL only, as `courtyard generate` does
    seconds["analyze"] = time.perf_counter() - started
    return {
        "demands": report.demands,
        "dispatches": report.dispatches,
        "seconds": {k: round(v, 1) for k, v in seconds.items()},
    }


def worst_cases() -> dict[str, Any]:
    """The community and the street with the most demands, the unit with the most orders
    waiting in its inbox, the city (one GROUP BY over all demands each)."""
    from django.db.models import Count
    from django.db.models.functions import Substr

    from courtyard.demands.forms_staff import INBOX_TABS
    from courtyard.demands.models import Demand
    from courtyard.organizations.models import Organization
    from courtyard.places.models import SEGMENT, Place, path_ids

    def busiest(depth: int) -> Place:
        row = (
            Demand.objects.annotate(prefix=Substr("place_path", 1, depth * SEGMENT))
            .values("prefix")
            .annotate(n=Count("pk"))
            .order_by("-n", "prefix")
            .first()
        )
        assert row is not None, "no demands"
        return Place.objects.get(pk=path_ids(row["prefix"])[-1])

    unit = (
        Demand.objects.filter(status__in=INBOX_TABS)
        .values("assignee")
        .annotate(n=Count("pk"))
        .order_by("-n", "assignee")
        .first()
    )
    assert unit is not None, "no dispatched demands"
    return {
        "city": Place.objects.get(code="990000000000"),
        "street": busiest(3),
        "community": busiest(4),
        "unit": Organization.objects.get(pk=unit["assignee"]),
    }


def persona(username: str, kind: str, **where: Any) -> Any:
    from courtyard.people.actions import assign_role
    from courtyard.people.models import Role, User

    user, _ = User.objects.get_or_create(username=username)
    if not Role.objects.filter(user=user, kind=kind, **where).exists():
        assign_role(user, by=None, kind=kind, **where)
    return user


def cursor_at(queryset: Any, order: tuple[str, ...], fraction: float) -> str:
    """The cursor of the row `fraction` of the way down a list (see run_bench.cursor_at),
    for orders with a leading '-'."""
    from courtyard.core.pagination import encode_cursor

    ordered = queryset.order_by(*order)
    names = [f.lstrip("-") for f in order]
    row = ordered.values_list(*names)[int(ordered.count() * fraction)]
    return encode_cursor(list(row))


@dataclass
class Timed(Row):
    best_ms: float = 0.0  # the fastest request: the page's cost when the machine is free


def measure(client: Any, label: str, url: str, n: int) -> Timed:
    """As run_bench.measure (3 warm-ups, one request counted, `n` timed), plus the best."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        client.get(url, secure=True)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, secure=True)
    count = len(queries)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        client.get(url, secure=True)
        samples.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return Timed(label, url, response.status_code, cuts[49], cuts[94], count, min(samples))


def table(rows: list[Timed]) -> str:
    lines = [
        "| request | URL | status | p50 ms | p95 ms | best ms | queries |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r.label} | `{r.url}` | {r.status} | {r.p50_ms:.1f} | {r.p95_ms:.1f} "
            f"| {r.best_ms:.1f} | {r.queries} |"
        )
    return "\n".join(lines)


def sizes() -> dict[str, Any]:
    from django.db.models import Count

    from courtyard.demands.models import OPEN_STATUSES, Demand, DemandTally, Dispatch
    from courtyard.places.models import Place

    by_status = dict(
        Demand.objects.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    total = sum(by_status.values())
    return {
        "demands": total,
        "open": sum(n for s, n in by_status.items() if s in OPEN_STATUSES),
        "by_status": by_status,
        "dispatches": Dispatch.objects.count(),
        "tallies": DemandTally.objects.count(),
        "streets": Place.objects.filter(kind__in=("street", "township")).count(),
        "communities": Place.objects.filter(kind__in=("community", "village")).count(),
    }


def sla_runs() -> list[dict[str, Any]]:
    """`courtyard check_slas` twice, as cron would run it: the backlog, then idle. What an
    earlier run of this benchmark swept is undone first (the generator leaves no reminder,
    no overdue mark, no escalation and no audit row), so that every run finds the backlog."""
    from django.core.management import call_command
    from django.db.models import Q

    from courtyard.core.models import AuditEvent
    from courtyard.demands.models import Demand

    swept = Q(reminded_at__isnull=False) | Q(overdue_since__isnull=False)
    Demand.objects.filter(swept | Q(escalation_level__gt=0)).update(
        reminded_at=None, overdue_since=None, escalation_level=0
    )
    AuditEvent.objects.filter(
        verb__in=["remind_demand", "mark_overdue", "escalate_demand"], actor__isnull=True
    ).delete()
    runs = []
    for label in ("first (backlog)", "second (idle)"):
        out = StringIO()
        started = time.perf_counter()
        call_command("check_slas", stdout=out)
        runs.append(
            {
                "run": label,
                "seconds": round(time.perf_counter() - started, 2),
                "output": out.getvalue().strip(),
            }
        )
        print(f"check_slas {label}: {runs[-1]['seconds']} s — {runs[-1]['output']}", flush=True)
    return runs


def explain(client: Any, url: str) -> None:
    """Print each SQL query of one request with its duration and its plan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, secure=True)  # warm
    with CaptureQueriesContext(connection) as queries:
        status = client.get(url, secure=True).status_code
    captured = list(queries.captured_queries)
    print(f"\n=== {url}: {status}, {len(captured)} queries")
    prefix = (
        "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    )
    with connection.cursor() as cursor:
        for q in captured:
            print(f"\n-- {q['time']} s: {q['sql'][:1500]}")
            if not q["sql"].lstrip().upper().startswith("SELECT"):
                continue
            best = float("inf")
            for _ in range(10):  # the best of 10: what the query costs on a quiet machine
                started = time.perf_counter()
                cursor.execute(q["sql"])
                cursor.fetchall()
                best = min(best, time.perf_counter() - started)
            print(f"    best of 10: {best * 1000:.1f} ms")
            cursor.execute(prefix + q["sql"])
            for line in cursor.fetchall():
                print("   ", " ".join(str(part) for part in line))


def main() -> None:
    args = parse_args()
    args.reuse = args.reuse or bool(args.explain)
    url = configure(args.reuse)
    import django

    django.setup()
    from django.test import Client

    from courtyard.demands import scores
    from courtyard.demands.models import Demand
    from courtyard.people.models import RoleKind

    figures: dict[str, Any] = {"load_before": load()}
    print(f"database {url.split('@')[-1]}; load average {figures['load_before']}", flush=True)
    if not args.reuse:
        figures["build"] = build(args.demands)
        print("build", json.dumps(figures["build"]), flush=True)
    if args.build_only:
        return
    figures["sizes"] = sizes()
    print("sizes", json.dumps(figures["sizes"]), flush=True)
    t = worst_cases()
    print(
        "targets: community {c.pk} {c.name}, street {s.pk} {s.name}, unit {u.pk} {u.name}".format(
            c=t["community"], s=t["street"], u=t["unit"]
        ),
        flush=True,
    )
    users = {
        "community worker": persona(
            "bench-community", RoleKind.COMMUNITY_WORKER, place=t["community"]
        ),
        "street officer": persona("bench-street", RoleKind.STREET_OFFICER, place=t["street"]),
        "city administrator": persona("bench-city", RoleKind.CITY_ADMIN, place=t["city"]),
        "unit handler": persona("bench-unit", RoleKind.UNIT_HANDLER, organization=t["unit"]),
    }
    clients = {}
    for who, user in users.items():
        clients[who] = Client()
        clients[who].force_login(user)
    if args.explain:
        short = {who.split()[0]: who for who in clients}
        for spec in args.explain:
            who, path = spec.split(":", 1)
            explain(clients[short[who]], path)
        return

    # Cursors 90 % down, from the same querysets and orders as the pages and the API.
    street_all = Demand.objects.visible_to(users["street officer"])
    city_all = Demand.objects.visible_to(users["city administrator"])
    street_closed = street_all.filter(status="closed")
    unit_signed = Demand.objects.visible_to(users["unit handler"]).filter(
        assignee=t["unit"], status="signed"
    )
    deep = {
        "api street": cursor_at(street_all, ("-id",), 0.9),
        "api city": cursor_at(city_all, ("-id",), 0.9),
        "triage street closed": cursor_at(street_closed, ("-pk",), 0.9),
        "inbox signed": cursor_at(unit_signed, ("-pk",), 0.9),
    }
    street, community, city = t["street"].pk, t["community"].pk, t["city"].pk
    month = f"{scores.add_months(scores.current_month(), -1):%Y-%m}"
    district = t["street"].parent_id
    plan: list[tuple[str, str, str]] = [
        ("community worker", "triage list (waiting)", "/demands/triage/"),
        ("community worker", "triage list, all open", "/demands/triage/?status=open"),
        ("community worker", "API: demands", "/api/v1/demands"),
        ("unit handler", "unit inbox (to sign)", "/demands/inbox/"),
        ("unit handler", "unit inbox (to reply)", "/demands/inbox/?tab=contacted"),
        ("unit handler", "unit inbox (signed), 90 % down",
         f"/demands/inbox/?tab=signed&cursor={deep['inbox signed']}"),
        ("unit handler", "API: demands", "/api/v1/demands"),
        ("street officer", "triage list (waiting)", "/demands/triage/"),
        ("street officer", "triage list, closed", "/demands/triage/?status=closed"),
        ("street officer", "triage list, closed, 90 % down",
         f"/demands/triage/?status=closed&cursor={deep['triage street closed']}"),
        ("street officer", "API: demands", "/api/v1/demands"),
        ("street officer", "API: demands, 90 % down",
         f"/api/v1/demands?cursor={deep['api street']}"),
        ("street officer", "API: open demands", "/api/v1/demands?status=contacted"),
        ("street officer", "scorecard of the street (this month)", f"/demands/scorecard/{street}/"),
        ("street officer", "scorecard of the street (last month)",
         f"/demands/scorecard/{street}/?month={month}"),
        ("community worker", "scorecard of the community", f"/demands/scorecard/{community}/"),
        ("unit handler", "scorecard of the unit", f"/demands/scorecard/unit/{t['unit'].pk}/"),
        ("city administrator", "scorecard of the city: 352 streets ranked",
         f"/demands/scorecard/{city}/"),
        ("city administrator", "scorecard of the city, last month",
         f"/demands/scorecard/{city}/?month={month}"),
        ("city administrator", "scorecard of a district: 22 streets ranked",
         f"/demands/scorecard/{district}/"),
        ("city administrator", "triage list (waiting), whole city", "/demands/triage/"),
        ("city administrator", "API: demands", "/api/v1/demands"),
        ("city administrator", "API: demands, 90 % down",
         f"/api/v1/demands?cursor={deep['api city']}"),
        ("city administrator", "API: overdue demands", "/api/v1/demands?overdue=true"),
    ]  # fmt: skip
    rows: list[Timed] = []
    for who, label, path in plan:
        row = measure(clients[who], f"{label}, as {who}", path, args.requests)
        rows.append(row)
        print(
            f"{row.label}: {row.status} p50 {row.p50_ms:.1f} p95 {row.p95_ms:.1f} "
            f"best {row.best_ms:.1f} queries {row.queries}  (load {load()})",
            flush=True,
        )
    figures["load_after_pages"] = load()
    if not args.no_sla:
        figures["check_slas"] = sla_runs()
    figures["load_after"] = load()
    figures["machine"] = machine()
    figures["rows"] = [asdict(r) for r in rows]
    print()
    print(table(rows))
    print(f"load average: before {figures['load_before']}, after {figures['load_after']}")
    if args.json:
        args.json.write_text(
            json.dumps(figures, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
    if any(r.status != 200 for r in rows):
        sys.exit("Some request did not answer 200: see the status column.")


if __name__ == "__main__":
    main()
