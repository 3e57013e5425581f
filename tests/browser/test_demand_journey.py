"""A demand from a resident's phone to a rated resolution, across four people's browsers:
demo-resident raises it → demo-worker accepts and dispatches it → demo-unit signs, contacts
and replies → demo-resident rates it → the community's scorecard counts it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from courtyard.demands.models import Demand, DemandTally, ServiceCategory, Status
from courtyard.demands.rates import month_of
from courtyard.organizations.models import handled_organizations
from courtyard.people.models import User
from courtyard.places.models import Place

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def browser_as(browser: Browser, base: str, username: str, args: dict[str, Any]) -> Page:
    context = browser.new_context(**args)
    context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("courtyard-demo")
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/$"))
    return page


def step(page: Page, slug: str) -> Any:
    return page.locator(f"#step-{slug}")


def test_a_demand_from_raising_to_rating_reaches_the_scorecard(
    browser: Browser, live_server, demo_city, browser_context_args
) -> None:
    base = live_server.url
    caochang = Place.objects.get(code="110101011010")
    unit = handled_organizations(User.objects.get(username="demo-unit")).get()
    streetlight = ServiceCategory.objects.get(service_code="streetlight")
    month = month_of(timezone.now())
    before = DemandTally.objects.filter(place=caochang, month=month).first()
    evaluated_before = before.evaluated if before else 0

    # The resident raises it from her phone (her home courtyard is the default place).
    resident = browser_as(browser, base, "demo-resident", browser_context_args)
    resident.goto(f"{base}/demands/new/")
    resident.locator("#id_category").select_option(str(streetlight.pk))
    resident.locator("#id_description").fill("胡同口的路灯坏了三天，晚上看不清路。")
    resident.locator("main form.stack > p > button[type=submit]").click()  # "Send"
    if streetlight.attributes:  # the category's extra questions are asked, then sent again
        expect(resident.locator("[role=alert]").first).to_contain_text("more questions")
        resident.locator("main form.stack > p > button[type=submit]").click()  # "Send"
    expect(resident).to_have_url(re.compile(r"/demands/\d+/$"))
    demand_id = int(re.search(r"/demands/(\d+)/$", resident.url).group(1))
    detail = f"{base}/demands/{demand_id}/"

    # The community worker accepts it and dispatches it to the member unit.
    worker = browser_as(browser, base, "demo-worker", browser_context_args)
    worker.goto(detail)
    step(worker, "accept").get_by_role("button").click()
    worker.locator("#step-dispatch select").select_option(str(unit.pk))
    step(worker, "dispatch").locator("form.stack button[type=submit]").click()
    expect(worker.locator(".messages")).to_contain_text("dispatched")

    # The unit's handler signs for it, contacts the resident and replies.
    handler = browser_as(browser, base, "demo-unit", browser_context_args)
    handler.goto(f"{base}/demands/inbox/")
    expect(handler.locator("main")).to_contain_text(f"#{demand_id}")
    handler.goto(detail)
    step(handler, "sign").get_by_role("button").click()
    step(handler, "contact").locator("button[type=submit]").click()
    step(handler, "reply").locator("textarea").fill("已更换路灯灯泡，今晚恢复照明。")
    step(handler, "reply").locator("button[type=submit]").click()
    expect(handler.locator("main")).to_contain_text("已更换路灯灯泡")

    # The resident rates the result.
    resident.goto(detail)
    step(resident, "evaluate").locator("input[name=resolved][value=yes]").check()
    step(resident, "evaluate").locator("input[name=satisfaction][value=satisfied]").check()
    step(resident, "evaluate").locator("button[type=submit]").click()
    expect(resident.locator("main")).to_contain_text("closed")
    assert Demand.objects.get(pk=demand_id).status == Status.CLOSED

    # The community's scorecard counts the evaluation.
    tally = DemandTally.objects.get(place=caochang, month=month)
    assert tally.evaluated == evaluated_before + 1
    worker.goto(f"{base}/demands/scorecard/{caochang.pk}/")
    expect(worker.locator("main")).to_contain_text(
        f"{tally.resolved} of {tally.evaluated} evaluated orders rated resolved."
    )
