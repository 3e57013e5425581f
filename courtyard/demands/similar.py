"""Similar demands: open demands that are likely the same problem as the one being raised or
triaged, so that the resident can follow the existing one and staff can merge duplicates.

Candidates are the open demands of the same community (the place's community-level
ancestor, or the place itself when it is higher), in the same category or a sibling under
the same parent category: at most CANDIDATES of them, newest first, read in one query.
Each is scored by the Jaccard similarity of the character bigrams of the two texts —
Chinese has no spaces between words, so the text is cut into overlapping pairs of
characters, not split on whitespace — plus a small bonus for the same place and the same
category. The bonuses together stay below THRESHOLD: the same place and category alone
never make two demands similar; their texts must share something.

A description is private: the text of a demand the viewer may not open is never compared —
else "is 13912345678 in a neighbour's demand?" could be asked of the raise form, one guess
at a time. Such a demand is shown only for public facts: open, at the same place, in the
same category (scored by the bonuses alone, below any match by text). Only the first TEXT_READ characters of a description
are read: a duplicate shows in its opening words, and the cost of a check stays bounded.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.db.models.functions import Substr

from courtyard.demands.models import Demand, ServiceCategory
from courtyard.people.scopes import administers
from courtyard.places.models import SEGMENT, Place, path_range

CANDIDATES = 300
THRESHOLD = 0.3
SAME_PLACE_BONUS = 0.1
SAME_CATEGORY_BONUS = 0.1
COMMUNITY_DEPTH = 4  # city › district › street/township › community/village
# Particles that carry no meaning of their own: "东门的路灯" and "东门路灯" are the same lamp.
PARTICLES = frozenset("的了吗呢吧啊呀嘛哦")
TEXT_READ = 500
# The columns the scoring and the partial (_similar.html) read; the description's opening
# (`text_head`) is compared only for those who may read it, and never shown.
FIELDS = ("pk", "status", "public_summary", "place_id", "category_id")


def normalize(text: str) -> str:
    """Lowercased letters and digits only: punctuation, spaces and particles removed
    (NFKC first, so that full-width Ｌ and ３ read as L and 3)."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN" and ch not in PARTICLES)


def bigrams(text: str) -> frozenset[str]:
    """The set of overlapping character pairs of the normalized text (a text of one
    character is its own single "gram", so that it can still match itself)."""
    chars = normalize(text)
    if len(chars) < 2:
        return frozenset({chars}) if chars else frozenset()
    return frozenset(chars[i : i + 2] for i in range(len(chars) - 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| ÷ |a ∪ b| (0 when both are empty)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def community_path(place: Place) -> str:
    """The path of the community (or village) the place lies in, or the place's own path
    when it is a community or higher. The tree's shape (places.models.ALLOWED_PARENTS) puts
    every community at the fourth level, so no query is needed."""
    return place.path[: COMMUNITY_DEPTH * SEGMENT]


def _candidates(place: Place, category: ServiceCategory, exclude_id: int | None) -> list[Demand]:
    """Open demands of the place's community in the category or a sibling of it, newest
    first, at most CANDIDATES (one query)."""
    low, high = path_range(community_path(place))
    related = Q(category_id=category.pk)
    if category.parent_id is not None:
        related |= Q(category__parent_id=category.parent_id)
    qs = (
        Demand.objects.open()
        .filter(place_path__gte=low, place_path__lt=high)
        .filter(related)
        .only(*FIELDS)
        .annotate(text_head=Substr("description", 1, TEXT_READ))
    )
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return list(qs.order_by("-pk")[:CANDIDATES])


def similar_demands(
    *,
    text: str,
    place: Place,
    category: ServiceCategory,
    exclude_id: int | None = None,
    limit: int = 5,
    readable: Any = None,
) -> list[tuple[Demand, float]]:
    """Open demands likely to be the same problem, most similar first (then newest), each
    with its score rounded to 3 decimals; nothing when the text is empty. `readable(ids)`
    gives the ids among `ids` whose description may be compared (None: all of them — the
    staff over the place); the others count only when at the same place and in the same
    category, by the bonuses alone."""
    grams = bigrams(text)
    if not grams or limit <= 0:
        return []
    by_text: dict[int, float] = {}  # candidates that match by their words
    same_kind: dict[int, float] = {}  # candidates open at the same place, in the category
    candidates = _candidates(place, category, exclude_id)
    for demand in candidates:
        same_place = demand.place_id == place.pk
        same_category = demand.category_id == category.pk
        bonus = SAME_PLACE_BONUS * same_place + SAME_CATEGORY_BONUS * same_category
        head: str = demand.text_head  # type: ignore[attr-defined]
        score = round(jaccard(grams, bigrams(head)) + bonus, 3)
        if score >= THRESHOLD:
            by_text[demand.pk] = score
        if same_place and same_category:
            same_kind[demand.pk] = round(bonus, 3)
    relevant = [d for d in candidates if d.pk in by_text or d.pk in same_kind]
    if not relevant:
        return []
    ids = [d.pk for d in relevant]
    readable_ids = set(ids) if readable is None else readable(ids)
    scored = []
    for demand in relevant:
        if demand.pk in readable_ids:
            if demand.pk in by_text:
                scored.append((demand, by_text[demand.pk]))
        elif demand.pk in same_kind:  # public facts only: its words do not count
            scored.append((demand, same_kind[demand.pk]))
    scored.sort(key=lambda pair: (-pair[1], -pair[0].pk))
    return scored[:limit]


@dataclass(frozen=True)
class SimilarRow:
    demand: Demand
    score: float
    linked: bool  # the viewer may open the demand's page


def similar_for(
    user: Any,
    *,
    text: str,
    place: Place,
    category: ServiceCategory,
    exclude_id: int | None = None,
    limit: int = 5,
) -> list[SimilarRow]:
    """`similar_demands` for a page: each row says whether `user` may open the demand
    (a resident sees another resident's demand only by its public summary, and only when it
    is of the same kind at the same place: its text is not compared). Three queries at most: the candidates, the
    viewer's staff scope (read once per request and cached on the user), and which of the
    candidates the viewer may open."""
    visible: set[int] = set()

    def readable(ids: list[int]) -> set[int]:
        visible.update(
            Demand.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)
        )
        return visible

    # Staff over the community read every candidate (all lie within it): no question to ask.
    staff = administers(user, community_path(place))
    found = similar_demands(
        text=text,
        place=place,
        category=category,
        exclude_id=exclude_id,
        limit=limit,
        readable=None if staff else readable,
    )
    if staff:
        visible.update(demand.pk for demand, _score in found)
    return [SimilarRow(demand, score, demand.pk in visible) for demand, score in found]
