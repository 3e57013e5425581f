"""Time the tally engine on an owners' vote over 10,000 exclusive parts (target: under 50 ms).

    .venv/bin/python bench/tally_bench.py [--parts 10000] [--runs 50]

The electorate: one owner per part, except a developer holding every tenth part unsold (one
person, areas added up); areas between 45.00 and 180.00 m²; 80 % of the owners vote. Two
figures, each the median and best of `--runs` runs after a warm-up:

- engine: `Electorate.of_parts` + `tally_votes("owners_special", …)` from Python objects
  (areas as text), i.e. what a page or an action pays once the rows are loaded;
- document: `parse_json` + `tally_document` on the same vote as JSON text, i.e. what
  `courtyard tally FILE.json` pays after reading the file (Django start-up not included).

No database is used.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", type=int, default=10_000, help="exclusive parts (10,000)")
    parser.add_argument("--runs", type=int, default=50, help="timed runs per figure (50)")
    return parser.parse_args()


def build_vote(parts: int) -> dict[str, object]:
    """The vote as `courtyard tally` reads it, reproducible (seeded)."""
    rng = random.Random(278)
    rows = []
    for i in range(parts):
        owner = "developer" if i % 10 == 0 else f"owner-{i}"
        area = f"{rng.randint(4_500, 18_000) / 100:.2f}"  # text, built from whole cents
        rows.append({"part": f"{i // 100 + 1}-{i % 100 + 1:03d}", "owner": owner, "area": area})
    owners = sorted({row["owner"] for row in rows})
    voting = rng.sample(owners, k=len(owners) * 4 // 5)
    choices = ["yes"] * 8 + ["no"] + ["abstain"]
    ballots = [{"voter": owner, "choice": rng.choice(choices)} for owner in voting]
    return {"rule": "owners_special", "parts": rows, "ballots": ballots}


def timed(runs: int, work: Callable[[], object]) -> tuple[float, float]:
    work()  # warm-up: imports, translation catalogs
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds) * 1000, min(seconds) * 1000


def main() -> None:
    args = parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()  # gettext needs settings; nothing touches the database

    from courtyard.councils.tally import Ballot, Electorate, Part, tally_votes
    from courtyard.councils.tally.document import parse_json, tally_document

    vote = build_vote(args.parts)
    rows: list[dict[str, str]] = vote["parts"]  # type: ignore[assignment]
    votes: list[dict[str, str]] = vote["ballots"]  # type: ignore[assignment]
    parts = [Part(r["part"], r["owner"], r["area"]) for r in rows]
    ballots = [Ballot(b["voter"], b["choice"]) for b in votes]
    text = json.dumps(vote)

    def engine() -> object:
        return tally_votes("owners_special", Electorate.of_parts(parts), ballots)

    def document() -> object:
        return tally_document(parse_json(text))

    result = tally_votes("owners_special", Electorate.of_parts(parts), ballots)
    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    print(
        f"{args.parts:,} parts, {result.eligible:,} owners, {len(ballots):,} ballots, "
        f"{result.total_area} m²; passed={result.passed}, quorum_met={result.quorum_met}"
    )
    for label, work in (("engine", engine), ("document", document)):
        median, best = timed(args.runs, work)
        print(f"{label:<9} median {median:7.2f} ms   best {best:7.2f} ms   ({args.runs} runs)")


if __name__ == "__main__":
    main()
