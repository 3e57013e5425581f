"""A made-up city of any size, for `courtyard generate --synthetic`.

Codes follow the 12-digit statistical layout under the fictitious province 99:
city 990000000000, district 9901DD000000, street 9901DDSSS000, community 9901DDSSSCCC.
No real division code starts with 99, so a synthetic city never collides with Beijing.
"""

from __future__ import annotations

import csv
import io

SYNTHETIC_CITY = "990000000000"
MAX_DISTRICTS, MAX_STREETS, MAX_COMMUNITIES = 99, 999, 999


def synthetic_rows(districts: int, streets: int, communities: int) -> list[dict[str, str]]:
    """The tree: `streets` per district and `communities` per street, parents first."""
    if not (
        1 <= districts <= MAX_DISTRICTS
        and 1 <= streets <= MAX_STREETS
        and 1 <= communities <= MAX_COMMUNITIES
    ):
        raise ValueError(
            f"A synthetic city has 1–{MAX_DISTRICTS} districts, 1–{MAX_STREETS} streets per "
            f"district and 1–{MAX_COMMUNITIES} communities per street."
        )
    rows = [_row(SYNTHETIC_CITY, "", "city", "示例市", "Example City")]
    for d in range(1, districts + 1):
        district = f"9901{d:02d}000000"
        rows.append(_row(district, SYNTHETIC_CITY, "district", f"第{d}区", f"District {d}"))
        for s in range(1, streets + 1):
            street = f"9901{d:02d}{s:03d}000"
            rows.append(_row(street, district, "street", f"第{s}街道", f"Street {s}"))
            rows.extend(
                _row(
                    f"9901{d:02d}{s:03d}{c:03d}",
                    street,
                    "community",
                    f"第{c}社区",
                    f"Community {c}",
                )
                for c in range(1, communities + 1)
            )
    return rows


def synthetic_csv(districts: int, streets: int, communities: int) -> io.StringIO:
    """`synthetic_rows` as an in-memory CSV for `places.importer.import_places`."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["code", "parent_code", "kind", "name", "name_en"])
    writer.writeheader()
    writer.writerows(synthetic_rows(districts, streets, communities))
    out.seek(0)
    return out


def _row(code: str, parent: str, kind: str, name: str, name_en: str) -> dict[str, str]:
    return {"code": code, "parent_code": parent, "kind": kind, "name": name, "name_en": name_en}
