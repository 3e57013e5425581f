"""The raise form in a browser: the similar demands appear (htmx) while the resident types,
by their public summary only; the check raises nothing; the demand is then sent with a photo
whose thumbnail shows on its page and which is served only through the application."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, expect

from conftest import make_user
from courtyard.demands import actions
from courtyard.demands.models import Demand, DemandPhoto, ServiceCategory
from courtyard.demands.tests.test_photos import image_bytes
from courtyard.demands.tests.test_similar_form import NEIGHBOUR_TEXT, TYPED
from courtyard.people.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_in_a_browser_the_list_appears_while_typing_and_the_photo_is_sent(
    browser: Browser, live_server: Any, browser_context_args: dict[str, Any], tmp_path: Any,
    settings: Any,
) -> None:  # fmt: skip
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("demo", force=True, verbosity=0)
    resident = User.objects.get(username="demo-resident")
    neighbour = make_user("neighbour", display_name="赵大爷")
    streetlight = ServiceCategory.objects.get(service_code="streetlight")
    assert resident.home is not None
    theirs = actions.submit_demand(
        by=neighbour, channel="web", place=resident.home, category=streetlight,
        description=NEIGHBOUR_TEXT, requester=neighbour,
    )  # fmt: skip
    raised = Demand.objects.count()
    photo = tmp_path / "lamp.jpg"
    photo.write_bytes(image_bytes(gps=True))

    context = browser.new_context(**browser_context_args)
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill("demo-resident")
    page.locator("#id_password").fill("courtyard-demo")
    page.locator("main button[type=submit]").click()
    page.goto(f"{live_server.url}/demands/new/")
    page.locator("#id_category").select_option(str(streetlight.pk))
    # Typed as an input method commits Chinese: input events, no key events.
    page.locator("#id_description").press_sequentially(TYPED, delay=20)

    item = page.locator(f'#raise-similar [data-similar="{theirs.pk}"]')
    expect(item).to_contain_text(theirs.public_summary)
    expect(page.locator("#raise-similar")).not_to_contain_text(NEIGHBOUR_TEXT)
    assert Demand.objects.count() == raised  # the check raised nothing
    page.locator("#id_photos").set_input_files(str(photo))
    page.locator("main form.stack > p > button[type=submit]").click()
    if streetlight.attributes:  # its questions are asked first; the photo is chosen again
        expect(page.locator("[role=alert]").first).to_contain_text("more questions")
        page.locator("#id_photos").set_input_files(str(photo))
        page.locator("main form.stack > p > button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/demands/\d+/$"))
    demand = Demand.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    assert Demand.objects.count() == raised + 1
    assert demand.requester == resident and demand.description == TYPED
    stored = DemandPhoto.objects.get(demand=demand)
    thumbnail = page.locator(f'#demand-photos img[src="/demands/photos/{stored.pk}/thumbnail/"]')
    expect(thumbnail).to_be_visible()
    assert (
        page.evaluate(
            "src => fetch(src).then(r => r.headers.get('content-type'))",
            f"/demands/photos/{stored.pk}/",
        )
        == "image/jpeg"
    )
    context.close()
