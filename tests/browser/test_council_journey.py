"""A council decision from a resident's phone to an objection (issue #4), each step in the
browser of the person who takes it: demo-resident raises a proposal → demo-worker puts it on
the agenda, schedules a meeting with it as a motion and announces it → on the day (the
clock of the whole process moved by time-machine, the live server's thread included) the
secretary runs the meeting screen: attendance, the floor, a show of hands, the count → the
signatures from the paper minutes and publication → demo-resident objects, and an anonymous
visitor sees the count but not who objected.

And the ballot page on a phone: demo-resident votes in the demo's open owners' vote and
changes her ballot once.

time-machine moves the wall clock only (not `time.monotonic`), so Playwright's event loop
and timeouts keep working inside `travel`; the browser's own clock is not moved, which no
page relies on (the speech timer counts from the server's `data-elapsed`)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import formats, timezone, translation
from playwright.sync_api import Browser, Locator, Page, expect

from courtyard.core.models import AuditEvent
from courtyard.councils.models import (
    Ballot,
    Council,
    Meeting,
    MemberRole,
    Objection,
    Proposal,
    ProposalStatus,
    Resolution,
    ResolutionStatus,
    Vote,
)
from courtyard.demo.city_councils import COUNCIL_NAME
from courtyard.people.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "院内加装晾衣架"
BODY = "楼前空地没有晾衣的地方，希望加装两组晾衣架。"
OBJECTION = "晾衣架会挡住消防通道。"
# Who comes to the meeting (5 of the 7 members: the majority rule's quorum is met) and how
# they raise their hands; demo-resident (王秀兰) does not sign, so her name appears on the
# resolution's page only if the objection gave it away.
PRESENT = {"李建国": "yes", "李娜": "yes", "王秀兰": "yes", "孙强": "yes", "吴芳": "no"}
SIGNERS = [("李建国", MemberRole.CHAIR), ("李娜", MemberRole.SECRETARY), ("孙强", MemberRole.UNIT)]


def browser_as(browser: Browser, base: str, username: str | None, args: dict[str, Any]) -> Page:
    """A new browser (its own cookies) reading English, logged in as `username` if given."""
    context = browser.new_context(**args)
    context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    page = context.new_page()
    if username is None:
        return page
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("courtyard-demo")
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/$"))
    return page


def step(page: Page, slug: str) -> Locator:
    return page.locator(f"#step-{slug}")


def said(page: Page, text: str) -> None:
    expect(page.locator(".messages")).to_contain_text(text)


def test_a_proposal_is_decided_published_and_objected_to(
    browser: Browser, live_server, demo_city, browser_context_args
) -> None:
    base = live_server.url
    council = Council.objects.get(name=COUNCIL_NAME)
    council_url = f"{base}/councils/{council.pk}/"

    # 1. The resident raises a proposal from the council's page, on her phone.
    resident = browser_as(browser, base, "demo-resident", browser_context_args)
    resident.goto(council_url)
    resident.get_by_role("link", name="Raise a proposal").click()
    resident.get_by_label("Title").fill(TITLE)
    resident.get_by_label("What and why").fill(BODY)
    resident.get_by_role("button", name="Raise the proposal").click()
    expect(resident).to_have_url(re.compile(r"/councils/proposals/\d+/$"))
    said(resident, "Your proposal is raised.")
    expect(resident.locator("#proposal-status")).to_have_text("raised")
    expect(resident.locator("#proposal-by")).to_have_text("王秀兰")  # herself: she may see it
    proposal_url = resident.url
    proposal = Proposal.objects.get(council=council, title=TITLE)
    assert proposal.proposer.username == "demo-resident"

    # 2. The community worker screens it onto the agenda …
    worker = browser_as(browser, base, "demo-worker", browser_context_args)
    worker.goto(proposal_url)
    step(worker, "screen").get_by_role("button", name="Put on the agenda").click()
    said(worker, "The proposal is on the agenda.")
    expect(worker.locator("#proposal-status")).to_have_text("on the agenda")

    # … schedules a meeting in four days (the charter asks for three days' notice) …
    starts = timezone.localtime(timezone.now() + timedelta(days=4)).replace(second=0, microsecond=0)
    worker.goto(council_url)
    worker.get_by_role("link", name="Schedule a meeting").click()
    worker.get_by_label("Title").fill("2026年第五次议事会")
    worker.get_by_label("Where").fill("草厂四条44号院")
    worker.get_by_label("Starts at").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    worker.get_by_role("button", name="Schedule", exact=True).click()
    expect(worker).to_have_url(re.compile(r"/councils/meetings/\d+/$"))
    said(worker, "The meeting is scheduled")
    expect(worker.locator("#meeting-status")).to_have_text("draft")
    expect(worker.locator("#meeting-starts")).to_have_text(starts.strftime("%Y-%m-%d %H:%M"))
    meeting = Meeting.objects.get(council=council, title="2026年第五次议事会")
    assert meeting.starts_at == starts

    # … adds the proposal as a motion and publishes the notice.
    worker.get_by_label("From a proposal on the agenda").select_option(label=TITLE)
    worker.get_by_role("button", name="Add to the agenda").click()
    said(worker, "The motion is on the agenda.")
    expect(worker.locator("#agenda")).to_contain_text(TITLE)
    worker.get_by_role("button", name="Publish the notice").click()
    said(worker, "The notice is published.")
    expect(worker.locator("#meeting-status")).to_have_text("announced")
    meeting_url = worker.url

    # The resident sees the meeting announced on the council's page.
    resident.goto(council_url)
    expect(resident.locator("#council-meetings")).to_contain_text("2026年第五次议事会")

    # 3. Four days pass: the meeting starts.
    with time_machine.travel(meeting.starts_at, tick=True):
        # 4. The secretary runs the meeting screen.
        worker.goto(meeting_url)
        worker.locator("#run-link").click()
        expect(worker.locator("h1")).to_contain_text("Meeting screen")
        worker.get_by_role("button", name="Open the meeting").click()
        said(worker, "The meeting is open.")
        expect(worker.locator("#meeting-status")).to_have_text("in progress")

        for name in PRESENT:
            worker.get_by_label(name, exact=True).check()
        worker.get_by_role("button", name="Record attendance").click()
        said(worker, "Attendance is recorded.")
        expect(worker.locator("#present-count")).to_have_text("5 of 7 members present")

        motion = worker.locator("article.motion", has_text=TITLE)
        motion.get_by_role("button", name="Start the debate").click()
        said(worker, "The debate is open.")
        expect(motion.locator("[data-motion-status]")).to_have_text("(in debate)")
        motion.get_by_label("Give the floor to").select_option(label="王秀兰 (0 of 2 speeches)")
        motion.get_by_role("group", name="Stance").get_by_label("for", exact=True).check()
        motion.get_by_role("button", name="Give the floor").click()
        said(worker, "王秀兰 has the floor.")
        expect(motion.locator(".speeches")).to_contain_text("王秀兰 · for · speaking")
        motion.get_by_role("button", name="End the speech").click()
        said(worker, "The speech has ended.")
        expect(motion.get_by_label("Give the floor to")).to_contain_text("王秀兰 (1 of 2 speeches)")

        motion.get_by_role("button", name="Prepare a vote").click()
        said(worker, "The vote is prepared")
        motion.get_by_role("button", name="Open the vote").click()
        said(worker, "The vote is open.")
        for name, choice in PRESENT.items():
            hand = motion.get_by_role("group", name=name, exact=True)
            hand.get_by_label(choice, exact=True).check()
        motion.get_by_role("button", name="Record the show of hands").click()
        said(worker, "The show of hands is recorded (5).")
        expect(motion).to_contain_text("5 ballots")
        motion.get_by_role("button", name="Close the vote and count").click()
        said(worker, "The vote is closed and counted.")
        expect(motion.locator("[data-motion-status]")).to_have_text("(passed)")
        expect(motion.locator("[data-vote]")).to_contain_text("passed")
        vote = Vote.objects.get(motion__meeting=meeting)
        result = vote.result
        assert vote.passed is True and result is not None
        assert (result["yes"], result["no"], result["participants"]) == (4, 1, 5)
        reasons = motion.locator(".reasons li")  # the thresholds and why it passed
        expect(reasons).to_have_count(len(result["reasons"]))
        expect(reasons.first).to_have_text(result["reasons"][0])
        assert Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.DECIDED

        # The secretary records the signatures from the paper minutes, then publishes.
        worker.goto(council_url)
        worker.locator("#council-resolutions").get_by_role("link", name=TITLE).click()
        expect(worker.locator("#resolution-status")).to_have_text("awaiting signatures")
        expect(worker.locator("#resolution-signatures")).to_have_text("0 of 3 needed")
        with translation.override("en"):
            options = [f"{name} · {role.label}" for name, role in SIGNERS]
        for signed, option in enumerate(options, 1):
            panel = step(worker, "record-signature")
            panel.get_by_label("Member who signed the minutes").select_option(label=option)
            panel.get_by_role("button", name="Record the signature").click()
            said(worker, "The signature is recorded.")
            expect(worker.locator("#resolution-signatures")).to_have_text(f"{signed} of 3 needed")
        expect(worker.locator("#resolution-signers")).to_contain_text("李建国")
        expect(worker.locator("#resolution-signers")).not_to_contain_text("王秀兰")
        step(worker, "publish").get_by_role("button", name="Publish").click()
        said(worker, "The resolution is published.")
        expect(worker.locator("#resolution-status")).to_have_text("published for objections")
        resolution_url = worker.url
        resolution = Resolution.objects.get(vote=vote)
        assert resolution.status == ResolutionStatus.PUBLISHED
        assert resolution.signatures.count() == 3
        closes = formats.date_format(timezone.localtime(resolution.objection_ends_at), "Y-m-d H:i")
        expect(worker.locator("#resolution-objections-close")).to_have_text(closes)
        expect(worker.locator("#resolution-objections")).to_have_text("0 (of 5 that send it back)")

        # 5. The resident reads the published resolution and objects, with a reason.
        resident.goto(resolution_url)
        expect(resident.locator("#resolution-status")).to_have_text("published for objections")
        objecting = step(resident, "object")
        objecting.get_by_label("Why you object").fill(OBJECTION)
        objecting.get_by_role("button", name="Send my objection").click()
        said(resident, "Your objection is recorded.")
        expect(resident.locator("#resolution-objections")).to_have_text(
            "1 (of 5 that send it back)"
        )
        expect(resident.locator("#resolution-objected")).to_have_text(
            "You have objected to this resolution."
        )
        expect(step(resident, "object")).to_have_count(0)  # once per person
        objection = Objection.objects.get(resolution=resolution)
        assert (objection.user.username, objection.reason) == ("demo-resident", OBJECTION)

        # An anonymous visitor sees the count, not who objected nor why.
        visitor = browser_as(browser, base, None, browser_context_args)
        visitor.goto(resolution_url)
        expect(visitor.locator("#resolution-objections")).to_have_text("1 (of 5 that send it back)")
        expect(visitor.locator("main")).not_to_contain_text("王秀兰")
        expect(visitor.locator("main")).not_to_contain_text(OBJECTION)
        expect(visitor.locator("#resolution-objectors")).to_have_count(0)
        expect(visitor.get_by_role("link", name="Live here? Log in to object")).to_be_visible()

        # The staff over the place see who objected and why.
        worker.reload()
        expect(worker.locator("#resolution-objectors")).to_contain_text("王秀兰")
        expect(worker.locator("#resolution-objectors")).to_contain_text(OBJECTION)


def test_a_resident_casts_and_changes_her_ballot_in_the_owners_vote_on_her_phone(
    browser: Browser, live_server, demo_city, browser_context_args
) -> None:
    base = live_server.url
    vote = Vote.objects.get(title="在12号院公共区域建设电动自行车充电棚")
    resident_user = User.objects.get(username="demo-resident")
    until = formats.date_format(timezone.localtime(vote.online_closes_at), "Y-m-d H:i")
    assert not Ballot.objects.filter(vote=vote, voter__user=resident_user).exists()

    resident = browser_as(browser, base, "demo-resident", browser_context_args)
    resident.goto(f"{base}/councils/votes/{vote.pk}/")
    expect(resident.locator("#vote-window")).to_contain_text("open now")
    resident.locator("#ballot-link").click()  # "Cast your ballot"
    expect(resident).to_have_url(re.compile(rf"/councils/votes/{vote.pk}/ballot/$"))
    expect(resident.locator("#ballot-window")).to_contain_text("open now")
    ballot = resident.get_by_role("group", name="Your ballot")
    ballot.get_by_role("button", name="yes", exact=True).click()
    said(resident, "Your ballot is counted.")
    expect(resident.locator("#your-ballot")).to_have_text(
        f"You voted “yes”. You may change your ballot until {until}."
    )

    change = resident.get_by_role("group", name="Change your ballot")
    expect(change.get_by_role("button", name="yes", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    change.get_by_role("button", name="no", exact=True).click()
    said(resident, "Your ballot is counted.")
    expect(resident.locator("#your-ballot")).to_have_text(
        f"You voted “no”. You may change your ballot until {until}."
    )

    ballots = Ballot.objects.filter(vote=vote, voter__user=resident_user)
    assert [(b.choice, b.method) for b in ballots] == [("no", "online")]
    verbs = list(
        AuditEvent.objects.for_object(vote)
        .filter(actor=resident_user)
        .order_by("created_at", "pk")
        .values_list("verb", flat=True)
    )
    assert verbs == ["ballot_cast", "ballot_changed"]
    # Her ballot joins the five paper ballots; the charter hides the results until the close.
    resident.goto(f"{base}/councils/votes/{vote.pk}/")
    expect(resident.locator("#hidden-results")).to_contain_text("6 ballots so far")
