"""The demo city (`courtyard demo`): Beijing's real divisions around 前门街道 (Dongcheng),
学院路街道 (Haidian) and 回龙观/天通苑 (Changping), with courtyards, units, social
organizations, departments, coordination committees, dual reporting, one account per
kind of user, and a service catalogue, a responsibility table and a few hundred resident
demands in every state (`city_demands`), and a courtyard council with its proposals,
meetings, votes and resolutions (`city_councils`).

Invariants: every write goes through an action (so it has an audit row), except the
importer's bulk load of the divisions, the passwords/admin flags of the accounts and the
catalogue and responsibility table (configuration, edited in the admin);
running it again creates nothing and never fails; it runs in one transaction, so a
failure leaves the database as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from courtyard.demo.city_accounts import ACCOUNTS, DEMO_PASSWORD, load_accounts
from courtyard.demo.city_councils import load_city_councils
from courtyard.demo.city_demands import load_city_demands
from courtyard.demo.city_orgs import load_committees, load_dual_reports, load_organizations
from courtyard.demo.city_places import load_places

__all__ = ["DEMO_ACCOUNTS", "DEMO_PASSWORD", "DemoResult", "load_demo_city"]

# (username, role in Chinese, role in English) — the README's account table and the tests
# read this list; every account's password is DEMO_PASSWORD.
DEMO_ACCOUNTS: list[tuple[str, str, str]] = [(a.username, a.role_zh, a.role_en) for a in ACCOUNTS]


@dataclass
class DemoResult:
    """What one run created (all zero on a second run)."""

    places_imported: int = 0
    places_added: int = 0
    organizations: int = 0
    committee_rows: int = 0
    users: int = 0
    dual_reports: int = 0
    categories: int = 0
    responsibilities: int = 0
    demands: int = 0
    councils: int = 0

    @property
    def created_anything(self) -> bool:
        return any(vars(self).values())


@transaction.atomic
def load_demo_city() -> DemoResult:
    """Load (or complete) the demo city; safe to run any number of times."""
    result = DemoResult()
    result.places_imported, result.places_added = load_places()
    orgs, result.organizations = load_organizations()
    result.committee_rows = load_committees(orgs)
    users, result.users = load_accounts(orgs)
    result.dual_reports = load_dual_reports(orgs, users)
    result.categories, fallbacks, result.responsibilities, result.demands = load_city_demands(
        orgs, users
    )
    result.organizations += fallbacks
    result.councils = load_city_councils(orgs, users)
    return result
