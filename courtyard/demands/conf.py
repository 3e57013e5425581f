"""The numbers of the demand process that vary by city: read from settings.DEMANDS, with
Beijing's defaults (the 12345 draft standard; weights as commonly reported, unverified)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Feedback (reply) deadline by feedback class, in hours from dispatch.
    "FEEDBACK_HOURS": {"emergency": 2, "utilities": 24, "general": 7 * 24, "complex": 15 * 24},
    # The unit must sign for a dispatched order within this many hours.
    "SIGN_HOURS": 2,
    # First contact with the requester (the "response") within this many hours of dispatch,
    # capped by the feedback deadline.
    "RESPONSE_HOURS": 24,
    # A unit may return a misrouted order within this many hours of dispatch.
    "RETURN_HOURS": 24,
    # A reminder goes out when this share of a step's time is left.
    "REMIND_AT_SHARE_LEFT": "0.25",
    # "Basically satisfied" counts as this share of a "satisfied".
    "BASIC_SATISFACTION_WEIGHT": "0.5",
    # Composite score = weighted three rates (response, resolution, satisfaction).
    "SCORE_WEIGHTS": {"response": "0.10", "resolution": "0.45", "satisfaction": "0.45"},
    # Deadlines count calendar days unless this is on (then only Monday–Friday count).
    "WORKING_DAYS": False,
    # An overdue step escalates to the street after this many hours, to the district after
    # the second number (working hours when WORKING_DAYS is on).
    "ESCALATION_HOURS": [24, 48],
    # Whistles: minutes to report on site, by whistle type.
    "WHISTLE_REPORT_MINUTES": {"routine": 30, "crunch": 30, "emergency": 30},
    # Photos a demand may carry at intake, the largest file accepted (bytes), the largest
    # side kept (a larger photo is scaled down when it is re-encoded) and the most pixels
    # a file may declare (a "decompression bomb" is refused before it is decoded).
    "PHOTOS_MAX": 3,
    "PHOTO_MAX_BYTES": 5 * 1024 * 1024,
    "PHOTO_MAX_SIDE": 2048,
    "PHOTO_MAX_PIXELS": 25_000_000,
}


@dataclass(frozen=True)
class DemandSettings:
    feedback_hours: dict[str, int] = field(default_factory=dict)
    sign_hours: int = 2
    response_hours: int = 24
    return_hours: int = 24
    remind_at_share_left: Decimal = Decimal("0.25")
    basic_satisfaction_weight: Decimal = Decimal("0.5")
    score_weights: dict[str, Decimal] = field(default_factory=dict)
    working_days: bool = False
    escalation_hours: tuple[int, ...] = (24, 48)
    whistle_report_minutes: dict[str, int] = field(default_factory=dict)
    photos_max: int = 3
    photo_max_bytes: int = 5 * 1024 * 1024
    photo_max_side: int = 2048
    photo_max_pixels: int = 25_000_000

    def feedback_time(self, feedback_class: str) -> timedelta:
        return timedelta(hours=self.feedback_hours[feedback_class])


def demand_settings() -> DemandSettings:
    """The configured numbers (settings.DEMANDS over the defaults), read afresh each call so
    that tests may override settings."""
    merged = {**DEFAULTS, **getattr(settings, "DEMANDS", {})}
    return DemandSettings(
        feedback_hours={k: int(v) for k, v in merged["FEEDBACK_HOURS"].items()},
        sign_hours=int(merged["SIGN_HOURS"]),
        response_hours=int(merged["RESPONSE_HOURS"]),
        return_hours=int(merged["RETURN_HOURS"]),
        remind_at_share_left=Decimal(str(merged["REMIND_AT_SHARE_LEFT"])),
        basic_satisfaction_weight=Decimal(str(merged["BASIC_SATISFACTION_WEIGHT"])),
        score_weights={k: Decimal(str(v)) for k, v in merged["SCORE_WEIGHTS"].items()},
        working_days=bool(merged["WORKING_DAYS"]),
        escalation_hours=tuple(int(h) for h in merged["ESCALATION_HOURS"]),
        whistle_report_minutes={k: int(v) for k, v in merged["WHISTLE_REPORT_MINUTES"].items()},
        photos_max=int(merged["PHOTOS_MAX"]),
        photo_max_bytes=int(merged["PHOTO_MAX_BYTES"]),
        photo_max_side=int(merged["PHOTO_MAX_SIDE"]),
        photo_max_pixels=int(merged["PHOTO_MAX_PIXELS"]),
    )
