"""Demands in the API (/api/v1/demands …)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["demands"])
