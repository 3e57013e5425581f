"""The councils app in the API (议事协商): councils, charters, members and owners' rolls
(`api.councils`), proposals (`api.proposals`), meetings and their debate (`api.meetings`),
votes and ballots (`api.votes`), resolutions, objections, tasks and evaluations
(`api.resolutions`). `router` is what config/api.py mounts."""

from __future__ import annotations

from ninja import Router

from courtyard.councils.api.councils import router as councils_router
from courtyard.councils.api.meetings import router as meetings_router
from courtyard.councils.api.proposals import router as proposals_router
from courtyard.councils.api.resolutions import router as resolutions_router
from courtyard.councils.api.votes import router as votes_router

router = Router()
for part in (councils_router, proposals_router, meetings_router, votes_router, resolutions_router):
    router.add_router("/", part)

__all__ = ["router"]
