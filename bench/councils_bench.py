"""Time an owners' vote over 10,000 exclusive parts read from the database: the roll's
import, opening the vote (freezing the electorate) and the tally (target: under 50 ms).

    .venv/bin/python bench/councils_bench.py                    # SQLite file in bench/out/
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scratch .venv/bin/python bench/councils_bench.py

Into a fresh database (migrated here): a city, a district, a street and a community with a
council. The roll is the one `bench/tally_bench.py` counts in memory — 10,000 parts, one
owner per part except a developer holding every tenth part (9,001 owners), areas 45.00–
180.00 m², seeded — written as a CSV. Three figures, each the median and best of its runs
after a warm-up run:

1. `import_roll` of the CSV (`--import-runs`, 5): parse, check every row, write the roll;
2. `open_vote` on a new owners' vote on that roll (`--open-runs`, 5): the electorate frozen
   as 9,001 `Voter` rows with their areas summed;
3. `tally_vote` (`--runs`, 50) on an open vote in which 80 % of the owners (7,200) have a
   ballot: two queries (voters, ballots) and the engine. The ballots are bulk-inserted,
   untimed (through `record_paper_ballot` they would take minutes); a sample of
   `--paper` (200) paper ballots through the action is timed as well, per ballot.

Settings as in production (`DEBUG=false`); `uptime`'s load is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", type=int, default=10_000, help="exclusive parts (10,000)")
    parser.add_argument("--runs", type=int, default=50, help="timed tallies (50)")
    parser.add_argument("--open-runs", type=int, default=5, help="timed open_vote calls (5)")
    parser.add_argument("--import-runs", type=int, default=5, help="timed imports (5)")
    parser.add_argument("--paper", type=int, default=200, help="paper ballots via the action")
    return parser.parse_args()


def configure() -> str:
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "false"
    os.environ["SECRET_KEY"] = "bench"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    if "DATABASE_URL" not in os.environ:
        for stale in OUT.glob("councils.sqlite3*"):
            stale.unlink()
        os.environ["DATABASE_URL"] = f"sqlite:///{OUT / 'councils.sqlite3'}"
    return os.environ["DATABASE_URL"]


def load() -> str:
    with open("/proc/loadavg", encoding="utf-8") as f:
        return " ".join(f.read().split()[:3])


def roll_csv(parts: int) -> bytes:
    """The electorate of `bench/tally_bench.py` (same seed, same owners and areas)."""
    rng = random.Random(278)
    lines = ["part,area,owner_id,owner_name"]
    for i in range(parts):
        owner = "developer" if i % 10 == 0 else f"owner-{i}"
        area = f"{rng.randint(4_500, 18_000) / 100:.2f}"
        name = "开发商" if owner == "developer" else f"业主{i}"
        lines.append(f"{i // 100 + 1}-{i % 100 + 1:03d},{area},{owner},{name}")
    return ("\n".join(lines) + "\n").encode()


def timed(runs: int, work: Callable[..., Any], setup: Callable[[], Any] | None = None) -> dict:
    """Median and best of `runs` runs of `work(setup())` after one warm-up, in ms; and the
    median CPU time of this process (on a busy machine, closer to what a quiet one gives;
    on PostgreSQL the server's share is not in it)."""
    seconds, cpu = [], []
    for i in range(runs + 1):
        arg = setup() if setup else None
        started, started_cpu = time.perf_counter(), time.process_time()
        work(arg) if setup else work()
        if i:
            seconds.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    return {
        "median_ms": round(statistics.median(seconds) * 1000, 1),
        "best_ms": round(min(seconds) * 1000, 1),
        "cpu_median_ms": round(statistics.median(cpu) * 1000, 1),
        "runs": runs,
    }


def main() -> None:
    args = parse_args()
    url = configure()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from courtyard.councils import actions
    from courtyard.councils.models import Ballot, Vote, VoteMethod
    from courtyard.people.models import User
    from courtyard.places.actions import create_place

    print(f"database {url.split('@')[-1]}; load average {load()}")
    call_command("migrate", verbosity=0)
    place = None
    for kind, code, name in [
        ("city", "990000000000", "示例市"),
        ("district", "990100000000", "示例区"),
        ("street", "990101001000", "示例街道"),
        ("community", "990101001001", "示例社区"),
    ]:
        place = create_place(by=None, parent=place, kind=kind, code=code, name=name)
    assert place is not None
    worker = User.objects.create_user(username="bench-worker")
    council = actions.create_council(by=worker, place=place, name="示例社区议事会")
    data = roll_csv(args.parts)
    rolls = []

    def import_roll() -> None:
        rolls.append(actions.import_roll(council, by=worker, name="业主名册", data=data))

    figures: dict[str, dict] = {"import_roll": timed(args.import_runs, import_roll)}
    roll = rolls[-1]
    print(f"{roll.part_count:,} parts, {roll.owner_count:,} owners, {roll.total_area} m²")

    def new_vote() -> Vote:
        return actions.create_vote(council, by=worker, title="维修资金", roll=roll, matter="6")

    def open_vote(vote: Vote) -> Vote:
        return actions.open_vote(vote, by=worker)

    figures["open_vote"] = timed(args.open_runs, open_vote, setup=new_vote)
    vote = actions.open_vote(new_vote(), by=worker)
    voters = list(vote.voters.order_by("key"))
    rng = random.Random(278)
    voting = rng.sample(voters, k=len(voters) * 4 // 5)
    choices = ["yes"] * 8 + ["no"] + ["abstain"]
    paper, bulk = voting[: args.paper], voting[args.paper :]
    Ballot.objects.bulk_create(
        [Ballot(vote=vote, voter=v, choice=rng.choice(choices), method="paper",
                paper_ref=f"B{n}") for n, v in enumerate(bulk)],
        batch_size=2000,
    )  # fmt: skip
    Vote.objects.filter(pk=vote.pk).update(ballot_count=len(bulk))
    started = time.perf_counter()
    for n, voter in enumerate(paper):
        actions.record_paper_ballot(
            vote, by=worker, voter=voter, choice=rng.choice(choices), paper_ref=f"P{n}"
        )
    per_ballot = (time.perf_counter() - started) / max(1, len(paper)) * 1000
    figures["record_paper_ballot"] = {"per_ballot_ms": round(per_ballot, 2), "runs": len(paper)}
    assert vote.ballots.count() == len(voting)
    assert vote.ballots.filter(method=VoteMethod.PAPER).count() == len(voting)
    with CaptureQueriesContext(connection) as queries:
        result = actions.tally_vote(vote)
    figures["tally_vote"] = timed(args.runs, lambda: actions.tally_vote(vote))
    figures["tally_vote"]["queries"] = len(queries)
    print(
        f"tally: {result.eligible:,} owners, {result.participants:,} ballots, "
        f"passed={result.passed}, quorum_met={result.quorum_met}"
    )
    for name, figure in figures.items():
        print(f"{name:<20} {figure}")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
