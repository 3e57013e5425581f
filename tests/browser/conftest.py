"""Browser tests drive Debian's Chromium (/usr/bin/chromium) through Playwright.

Never `playwright install`: it downloads a browser, which these machines cannot do.
`make test` installs the Debian package when it is missing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling out to Google's hosts,
# which this closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # A phone-sized window and a Chinese browser, like most residents'.
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "viewport": {"width": 390, "height": 844},
    }


@pytest.fixture
def demo_city(transactional_db: None) -> None:
    call_command("demo", force=True, verbosity=0)
