"""The demo city's places: a slice of Beijing's real division tree, with English names,
and made-up grids, hutong courtyards and residential buildings below two communities.

Invariant: loading twice creates nothing. The divisions go through the importer (which
skips codes that exist and only renames changed names); the small places go through
`create_place` and are skipped when their code exists.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import CommandError

import courtyard.places
from courtyard.places.actions import create_place, set_place_box
from courtyard.places.importer import import_places
from courtyard.places.models import Place, PlaceKind

DIVISIONS_CSV = Path(courtyard.places.__file__).parent / "data" / "beijing-divisions.csv"

CITY = "110000000000"  # 北京市
DONGCHENG, HAIDIAN, CHANGPING = "110101000000", "110108000000", "110114000000"
QIANMEN = "110101011000"  # 前门街道
XUEYUAN_ROAD = "110108010000"  # 学院路街道
HUILONGGUAN, TIANTONGYUAN_N, TIANTONGYUAN_S = "110114011000", "110114008000", "110114009000"
STREETS = (QIANMEN, XUEYUAN_ROAD, HUILONGGUAN, TIANTONGYUAN_N, TIANTONGYUAN_S)
CAOCHANG = "110101011010"  # 草厂社区
XUEZHIYUAN = "110108010009"  # 学知园社区, the Xueyuan Road community with buildings

NAMES_EN = {
    CITY: "Beijing",
    DONGCHENG: "Dongcheng District",
    HAIDIAN: "Haidian District",
    CHANGPING: "Changping District",
    QIANMEN: "Qianmen Subdistrict",
    XUEYUAN_ROAD: "Xueyuan Road Subdistrict",
    HUILONGGUAN: "Huilongguan Subdistrict",
    TIANTONGYUAN_N: "Tiantongyuan North Subdistrict",
    TIANTONGYUAN_S: "Tiantongyuan South Subdistrict",
    # 前门街道
    "110101011001": "Qianmen East Street Community",
    "110101011006": "Dajiang Community",
    CAOCHANG: "Caochang Community",
    # 学院路街道
    "110108010001": "Xiwangzhuang Community",
    "110108010002": "Liudaokou Community",
    "110108010004": "Zhixin Community",
    "110108010007": "Erlizhuang Community",
    "110108010008": "Dongwangzhuang Community",
    XUEZHIYUAN: "Xuezhiyuan Community",
    "110108010011": "China University of Geosciences No. 2 Community",
    "110108010013": "Jianxiangyuan Community",
    "110108010014": "Jianqingyuan Community",
    "110108010016": "China University of Geosciences No. 1 Community",
    "110108010017": "University of Science and Technology Beijing Community",
    "110108010018": "Shiyou Dayuan Community",
    "110108010019": "China Agricultural University East Campus Community",
    "110108010020": "Beijing Language and Culture University Community",
    "110108010021": "Research Institute of Petroleum Processing Community",
    "110108010022": "Institute No. 15 Community",
    "110108010023": "Beijing Forestry University Community",
    "110108010024": "Jingshuyuan Community",
    "110108010025": "Chengjian No. 4 Community",
    "110108010026": "768 Factory Community",
    "110108010027": "China University of Mining and Technology (Beijing) Community",
    "110108010028": "Chinese Academy of Sciences Community",
    "110108010029": "Erlizhuang Retired Cadres' Sanatorium Community",
    "110108010031": "Furun Community",
    "110108010032": "Yicheng Community",
    "110108010033": "Zhanchunyuan Community",
    "110108010034": "Chenghua Qingfeng Community",
    "110108010035": "Xueqingyuan Community",
    "110108010036": "Wudaokou Jiayuan Community",
    "110108010037": "Yueqingyuan Community",
    "110108010038": "Shuangquan Jiayuan Community",
}

# The districts' map boxes (min lat, max lat, min long, max long), so that a demand's map
# point outside its district is refused. Approximate: read off a map to about 0.01°, a little
# generous at the edges; districts are not rectangles, so a point near a corner may lie in
# the box and still be in the next district. Only the demo's three districts have one.
DISTRICT_BOXES = {
    DONGCHENG: ("39.85", "39.98", "116.37", "116.45"),  # 东城区
    HAIDIAN: ("39.88", "40.16", "116.05", "116.39"),  # 海淀区
    CHANGPING: ("40.02", "40.40", "115.83", "116.50"),  # 昌平区
}

# Caochang's real hutongs, 草厂头条 to 草厂十条 (north to south, west of Qianmen East Street).
HUTONG_NUMERALS = ["头", "二", "三", "四", "五", "六", "七", "八", "九", "十"]
ORDINALS_EN = ["1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th", "10th"]
COURTYARD_NUMBERS = (12, 27)  # two courtyards per hutong; house numbers are made up


@dataclass(frozen=True)
class PlaceSpec:
    """A made-up place below a real community; `code` is its parent's code + 3 digits."""

    code: str
    parent_code: str
    kind: str
    name: str
    name_en: str


def division_rows() -> list[dict[str, str]]:
    """The rows of the bundled file the demo city uses: the city, three districts, the five
    streets and every community and village under those streets."""
    wanted = {CITY, DONGCHENG, HAIDIAN, CHANGPING, *STREETS}
    with DIVISIONS_CSV.open(encoding="utf-8", newline="") as f:
        rows = [
            row
            for row in csv.DictReader(f)
            if row["code"] in wanted or row["parent_code"] in STREETS
        ]
    return [{**row, "name_en": NAMES_EN.get(row["code"], "")} for row in rows]


def divisions_csv() -> io.StringIO:
    """`division_rows` as an in-memory CSV with a `name_en` column, for the importer."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["code", "parent_code", "kind", "name", "name_en"])
    writer.writeheader()
    writer.writerows(division_rows())
    out.seek(0)
    return out


def small_places() -> list[PlaceSpec]:
    """Grids, courtyards, buildings and stairwell units, parents before children."""
    specs: list[PlaceSpec] = []
    # 草厂社区: two grids; 头条–五条 in the first, 六条–十条 in the second.
    for g, (zh, en) in enumerate([("第一网格", "Grid 1"), ("第二网格", "Grid 2")], start=1):
        grid = f"{CAOCHANG}{g:03d}"
        specs.append(
            PlaceSpec(grid, CAOCHANG, PlaceKind.GRID, f"草厂社区{zh}", f"Caochang Community {en}")
        )
        for i in range((g - 1) * 5, g * 5):
            hutong_zh = f"草厂{HUTONG_NUMERALS[i]}条"
            hutong_en = f"Caochang {ORDINALS_EN[i]} Lane"
            for j, number in enumerate(COURTYARD_NUMBERS):
                specs.append(
                    PlaceSpec(
                        f"{grid}{(i % 5) * len(COURTYARD_NUMBERS) + j + 1:03d}",
                        grid,
                        PlaceKind.BUILDING,
                        f"{hutong_zh}{number}号院",
                        f"No. {number} Courtyard, {hutong_en}",
                    )
                )
    # 学知园社区: one grid of residential buildings, each with stairwell units.
    grid = f"{XUEZHIYUAN}001"
    specs.append(
        PlaceSpec(grid, XUEZHIYUAN, PlaceKind.GRID, "学知园社区第一网格", "Xuezhiyuan Grid 1")
    )
    for b in range(1, 4):
        building = f"{grid}{b:03d}"
        specs.append(PlaceSpec(building, grid, PlaceKind.BUILDING, f"{b}号楼", f"Building {b}"))
        for u in range(1, 4):
            specs.append(
                PlaceSpec(f"{building}{u:03d}", building, PlaceKind.UNIT, f"{u}单元", f"Unit {u}")
            )
    return specs


def caochang_courtyard(hutong: int, number: int) -> str:
    """The code of courtyard `number` (one of COURTYARD_NUMBERS) on 草厂{hutong}条 (1–10)."""
    i = hutong - 1
    grid = f"{CAOCHANG}{i // 5 + 1:03d}"
    return f"{grid}{(i % 5) * len(COURTYARD_NUMBERS) + COURTYARD_NUMBERS.index(number) + 1:03d}"


def set_district_boxes() -> None:
    """Give the demo's districts their approximate boxes (a box already set is left as it is:
    `set_place_box` writes nothing when nothing changes)."""
    for place in Place.objects.filter(code__in=DISTRICT_BOXES):
        south, north, west, east = DISTRICT_BOXES[place.code]
        set_place_box(
            place,
            by=None,
            min_latitude=south,
            max_latitude=north,
            min_longitude=west,
            max_longitude=east,
        )


def load_places() -> tuple[int, int]:
    """Import the divisions, give the districts their boxes, then add the small places;
    returns (imported, added)."""
    result = import_places(divisions_csv())
    if not result.ok:
        problems = "; ".join(f"line {line}: {message}" for line, message in result.errors[:5])
        raise CommandError(f"The demo divisions could not be imported: {problems}")
    set_district_boxes()
    specs = small_places()
    codes = [spec.code for spec in specs] + [CAOCHANG, XUEZHIYUAN]
    known = {place.code: place for place in Place.objects.filter(code__in=codes)}
    added = 0
    for spec in specs:
        if spec.code in known:
            continue
        known[spec.code] = create_place(
            by=None,
            parent=known[spec.parent_code],
            kind=spec.kind,
            code=spec.code,
            name=spec.name,
            name_en=spec.name_en,
        )
        added += 1
    return result.created, added
