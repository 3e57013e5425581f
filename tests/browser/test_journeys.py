"""The journeys a person takes, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from courtyard.places.models import Place

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "courtyard-demo"


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()


def test_worker_switches_language_logs_in_and_is_kept_out_of_another_community(
    page: Page, live_server, demo_city
) -> None:
    base = live_server.url
    page.goto(base + "/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h1")).to_have_text("查找您的社区")

    page.locator("#language-select").select_option("en")
    page.locator("#language-form button").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Find your place")

    log_in(page, base, "demo-worker")
    expect(page).to_have_url(re.compile(r"/accounts/$"))
    expect(page.locator("#roles-heading")).to_be_visible()

    page.goto(base + "/")
    page.locator("#id_q").fill("草厂")
    page.locator("form.search button").click()
    page.get_by_role("link", name="Caochang Community").first.click()
    expect(page.locator("h1")).to_have_text("Caochang Community")
    page.get_by_role("link", name="Dual-reporting list").click()
    expect(page.locator("h1")).to_contain_text("Dual-reporting list")
    expect(page.locator("table tbody tr").first).to_be_visible()

    xuezhiyuan = Place.objects.get(code="110108010009")  # 学知园社区, 学院路街道
    response = page.goto(f"{base}/organizations/communities/{xuezhiyuan.pk}/dual-reports/")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Not found")


def test_resident_on_a_phone_turns_on_large_type_and_sees_home(
    page: Page, live_server, demo_city
) -> None:
    base = live_server.url
    log_in(page, base, "demo-resident")
    expect(page.locator("h1")).to_have_text("我的账户")
    before = page.locator("h1").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    page.get_by_role("button", name="大字号").click()
    expect(page.locator("body")).to_have_class(re.compile("large-type"))
    after = page.locator("h1").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert after > before * 1.2
    expect(page.locator("main")).to_contain_text("草厂")
