"""The demands app in the API: demands and the service catalogue (`api.demands`), whistles
(`api.whistles`). `router` is what config/api.py mounts."""

from __future__ import annotations

from ninja import Router

from courtyard.demands.api.demands import router as demands_router
from courtyard.demands.api.whistles import router as whistles_router

router = Router()
router.add_router("/", demands_router)
router.add_router("/", whistles_router)

__all__ = ["router"]
