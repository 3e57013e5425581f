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
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from courtyard.demands.models import Demand, ServiceCategory
from courtyard.places.models import SEGMENT, Place, path_range

CANDIDATES = 300
THRESHOLD = 0.3
SAME_PLACE_BONUS = 0.1
SAME_CATEGORY_BONUS = 0.1
COMMUNITY_DEPTH = 4  # city › district › street/township › community/village
# Particles that carry no meaning of their own: "东门的路灯" and "东门路灯" are the same lamp.
PARTICLES = frozenset("的了吗呢吧啊呀嘛哦")
# The columns the scoring and the partial (_similar.html) read; nothing personal.
FIELDS = ("pk", "status", "public_summary", "description", "place_id", "category_id")


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
) -> list[tuple[Demand, float]]:
    """Open demands likely to be the same problem, most similar first (then newest), each
    with its score rounded to 3 decimals. One query; nothing when the text is empty."""
    grams = bigrams(text)
    if not grams or limit <= 0:
        return []
    scored = []
    for demand in _candidates(place, category, exclude_id):
        score = jaccard(grams, bigrams(demand.description))
        if demand.place_id == place.pk:
            score += SAME_PLACE_BONUS
        if demand.category_id == category.pk:
            score += SAME_CATEGORY_BONUS
        score = round(score, 3)
        if score >= THRESHOLD:
            scored.append((demand, score))
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
    (a resident sees another resident's demand only by its public summary). Three queries
    at most: the candidates, the viewer's staff scope (read once per request and cached on
    the user), and which of the similar ones the viewer may see."""
    found = similar_demands(
        text=text, place=place, category=category, exclude_id=exclude_id, limit=limit
    )
    if not found:
        return []
    ids = [demand.pk for demand, _score in found]
    visible = set(Demand.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    return [SimilarRow(demand, score, demand.pk in visible) for demand, score in found]
