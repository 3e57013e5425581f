"""The place tree: city → district → street/township → community/village → grid →
building/courtyard (楼门院) → stairwell unit (单元).

Invariant: `path` is the parent's path followed by the place's own id, zero-padded to
`SEGMENT` digits. "Within a place" is then a prefix match on an indexed column, and a
subtree moves with one UPDATE (see `actions.move_place`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from courtyard.core.text import localized_name

SEGMENT = 10


def segment(pk: int) -> str:
    """The path segment of one place."""
    return f"{pk:0{SEGMENT}d}"


def path_ids(path: str) -> list[int]:
    """The ids along a path, root first (the place itself last)."""
    return [int(path[i : i + SEGMENT]) for i in range(0, len(path), SEGMENT)]


def path_range(path: str) -> tuple[str, str]:
    """[low, high) bounds of the paths within `path` (itself included).

    Paths are digits, and every collation orders a digit before "A", so a range
    comparison finds the subtree on a plain B-tree index, also as the first column of a
    composite index (which LIKE 'prefix%' cannot use under a non-C collation)."""
    return path, path + "A"


def prefix_range(prefix: str) -> tuple[str, str]:
    """[low, high) bounds of the strings that start with `prefix`, in code-point order
    (SQLite's BINARY and PostgreSQL's C collations), so that an index serves the search."""
    return prefix, prefix + chr(0x10FFFF)


def parent_path(path: str) -> str:
    """The path of the parent ("" for a root)."""
    return path[:-SEGMENT]


class PlaceKind(models.TextChoices):
    CITY = "city", _("city")
    DISTRICT = "district", _("district")
    STREET = "street", _("street")  # 街道
    TOWNSHIP = "township", _("township")  # 乡镇
    COMMUNITY = "community", _("community")  # 社区
    VILLAGE = "village", _("village")  # 村
    GRID = "grid", _("grid")  # 网格
    BUILDING = "building", _("building / courtyard")  # 楼门院
    UNIT = "unit", _("stairwell unit")  # 单元


K = PlaceKind
# Which kinds may sit directly under which. `None` stands for "no parent" (a root).
ALLOWED_PARENTS: dict[str, set[str | None]] = {
    K.CITY: {None},
    K.DISTRICT: {K.CITY},
    K.STREET: {K.DISTRICT},
    K.TOWNSHIP: {K.DISTRICT},
    K.COMMUNITY: {K.STREET, K.TOWNSHIP},
    K.VILLAGE: {K.STREET, K.TOWNSHIP},
    K.GRID: {K.COMMUNITY, K.VILLAGE},
    K.BUILDING: {K.GRID, K.COMMUNITY, K.VILLAGE},
    K.UNIT: {K.BUILDING},
}
# Levels that have a street office's or a community committee's staff.
ADMINISTRATIVE_KINDS = {K.CITY, K.DISTRICT, K.STREET, K.TOWNSHIP, K.COMMUNITY, K.VILLAGE}
STREET_LEVEL_KINDS = {K.STREET, K.TOWNSHIP}
COMMUNITY_LEVEL_KINDS = {K.COMMUNITY, K.VILLAGE}
HOME_KINDS = {K.BUILDING, K.UNIT}


def may_sit_under(kind: str, parent_kind: str | None) -> bool:
    return parent_kind in ALLOWED_PARENTS.get(kind, set())


def placement_error(kind: str, parent_kind: str | None) -> str:
    """Why a place of `kind` cannot sit under a place of `parent_kind` (None: at the top)."""
    if parent_kind is None:
        return gettext("Only a city can be at the top of the tree; a %(kind)s needs a parent.") % {
            "kind": PlaceKind(kind).label
        }
    return gettext("A %(kind)s cannot sit under a %(parent)s.") % {
        "kind": PlaceKind(kind).label,
        "parent": PlaceKind(parent_kind).label,
    }


class PlaceQuerySet(models.QuerySet["Place"]):
    def visible_to(self, user: Any) -> PlaceQuerySet:
        """Every place: the tree, names and counts are public information. Private records
        *about* a place are scoped by their own `visible_to`."""
        return self.all()

    def within(self, place: Place) -> PlaceQuerySet:
        """The place itself and everything under it (an indexed range on `path`)."""
        low, high = path_range(place.path)
        return self.filter(path__gte=low, path__lt=high)

    def below(self, place: Place) -> PlaceQuerySet:
        """Everything under the place, without the place itself."""
        return self.within(place).exclude(pk=place.pk)

    def of_kind(self, *kinds: str) -> PlaceQuerySet:
        return self.filter(kind__in=kinds)

    def roots(self) -> PlaceQuerySet:
        return self.filter(parent__isnull=True)


class Place(models.Model):
    """One node of the place tree. `code` is the official statistical division code where
    there is one (12 digits in Beijing), otherwise a code made by whoever added the place."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=PlaceKind.choices)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    # An optional bounding box (decimal degrees, WGS-84 as phones give them): a map point of
    # a demand raised here must lie inside it. A place without one uses its nearest
    # ancestor's (`box_holder`). All four are set together, or none (see Meta).
    min_latitude = models.DecimalField(
        _("southern edge (latitude)"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    max_latitude = models.DecimalField(
        _("northern edge (latitude)"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    min_longitude = models.DecimalField(
        _("western edge (longitude)"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    max_longitude = models.DecimalField(
        _("eastern edge (longitude)"), max_digits=9, decimal_places=6, null=True, blank=True
    )

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        indexes = [
            models.Index(fields=["parent", "code"]),
            models.Index(fields=["kind", "id"]),
            models.Index(fields=["kind", "path"]),
            # Name search on the home page looks only at administrative levels: this
            # index holds those ~8,000 rows, not the hundreds of thousands of buildings.
            models.Index(
                fields=["name", "id"],
                condition=models.Q(kind__in=sorted(ADMINISTRATIVE_KINDS)),
                name="place_admin_name_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    min_latitude__isnull=True,
                    max_latitude__isnull=True,
                    min_longitude__isnull=True,
                    max_longitude__isnull=True,
                )
                | models.Q(
                    min_latitude__isnull=False,
                    max_latitude__isnull=False,
                    min_longitude__isnull=False,
                    max_longitude__isnull=False,
                    min_latitude__lte=models.F("max_latitude"),
                    min_longitude__lte=models.F("max_longitude"),
                ),
                name="place_box_whole_and_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language; Chinese when no English name is known."""
        return localized_name(self.name, self.name_en)

    @property
    def depth(self) -> int:
        return len(self.path) // SEGMENT

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids of the ancestors, root first, without the place itself."""
        return path_ids(self.path)[:-1]

    def ancestors(self) -> PlaceQuerySet:
        """The ancestors, root first (one query)."""
        return Place.objects.filter(pk__in=self.ancestor_ids).order_by("path")

    @property
    def scope_path(self) -> str:
        """The path staff scoping is checked against (see people.scopes)."""
        return self.path

    def is_within(self, other: Place) -> bool:
        return self.path.startswith(other.path)

    @property
    def has_box(self) -> bool:
        return self.min_latitude is not None

    def box_holder(self) -> Place | None:
        """The place whose bounding box applies here: the place itself if it has one, else
        its nearest ancestor with one; None when no place on the way to the root has one.
        One query: the ancestors' paths are the prefixes of this path."""
        if self.has_box:
            return self
        prefixes = [self.path[:end] for end in range(SEGMENT, len(self.path), SEGMENT)]
        if not prefixes:
            return None
        return (
            Place.objects.filter(path__in=prefixes, min_latitude__isnull=False)
            .order_by("-path")  # a longer prefix sorts after its own prefix: nearest first
            .first()
        )

    def box_contains(self, latitude: Decimal, longitude: Decimal) -> bool:
        """Whether the point lies in this place's own box, edges included (True when the
        place has no box: nothing to check against)."""
        if not self.has_box:
            return True
        assert self.max_latitude is not None and self.min_longitude is not None
        assert self.max_longitude is not None and self.min_latitude is not None
        return (
            self.min_latitude <= latitude <= self.max_latitude
            and self.min_longitude <= longitude <= self.max_longitude
        )


class PlaceCount(models.Model):
    """Rollup: how many things of one sort lie within a place (places by kind,
    organizations …), so that a place page costs one query whatever the size of its subtree.

    Maintained by the actions that add or move things (`rollups.adjust_counts`) and rebuilt
    from the raw rows by `courtyard rebuild_place_counts`, which must give the same numbers.
    """

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="counts")
    item = models.CharField(max_length=32)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["place", "item"], name="placecount_unique_item")
        ]

    def __str__(self) -> str:
        return f"{self.place_id} {self.item}={self.count}"
