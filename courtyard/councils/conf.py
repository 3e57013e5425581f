"""The charter defaults a new council starts with, read from settings.COUNCILS over these
defaults. They vary by city and by council; none is a constant of the code. Sources:
../reference/domain-mechanisms.md §4 (the council charter example, the Nantang meeting
rules; publication 5 working days and objection window 7 days, both unverified)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "DECISION_RULE": "majority",  # yes outnumbers no, more than half of the members take part
    "NOTICE_DAYS": 3,  # a meeting's notice is published at least this many days before
    "PUBLICATION_WORKING_DAYS": 5,  # a resolution is published (公示) this long
    "OBJECTION_DAYS": 7,  # residents may object within this many calendar days
    "OBJECTION_THRESHOLD": 5,  # this many objections send a resolution back to the council
    "SUPPORT_THRESHOLD": 5,  # supporters that oblige the community to screen a proposal
    "SCREENING_DAYS": 10,  # … within this many days
    "MEETS_EVERY_DAYS": 182,  # at least twice a year
    "SPEECH_MINUTES": 2,  # per speech
    "SPEECHES_PER_MOTION": 2,  # per person and motion
    "SECRET_BALLOTS": False,
    "RESULTS_HIDDEN_UNTIL_CLOSE": True,
}


def charter_default(name: str) -> Any:
    """The configured default of one charter field (settings.COUNCILS over DEFAULTS)."""
    return {**DEFAULTS, **getattr(settings, "COUNCILS", {})}[name]


CHARTER_FIELDS = {
    "decision_rule": "DECISION_RULE",
    "notice_days": "NOTICE_DAYS",
    "publication_working_days": "PUBLICATION_WORKING_DAYS",
    "objection_days": "OBJECTION_DAYS",
    "objection_threshold": "OBJECTION_THRESHOLD",
    "support_threshold": "SUPPORT_THRESHOLD",
    "screening_days": "SCREENING_DAYS",
    "meets_every_days": "MEETS_EVERY_DAYS",
    "speech_minutes": "SPEECH_MINUTES",
    "speeches_per_motion": "SPEECHES_PER_MOTION",
    "secret_ballots": "SECRET_BALLOTS",
    "results_hidden_until_close": "RESULTS_HIDDEN_UNTIL_CLOSE",
}


def configured_charter() -> dict[str, Any]:
    """Charter field → configured default, for a new council."""
    return {field: charter_default(key) for field, key in CHARTER_FIELDS.items()}
