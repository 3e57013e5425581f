"""Votes, ballots and owners' rolls on the pages: the ballot page on a phone (cast, change,
the refusals), secret ballots, paper ballots by name, the results page with its areas,
the roll upload with row-numbered errors, the roll page, and `import_owners_roll`."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courtyard.core.models import AuditEvent
from courtyard.councils import actions
from courtyard.councils.models import Ballot, OwnersRoll, SecretCount, Vote
from courtyard.councils.tests.meeting_world import ROLL_CSV, db_state, running_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(client_for):
    def make(user):
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def owners_vote(board: Any, personas: Any, *, opens: Any = None, closes: Any = None) -> Vote:
    now = timezone.now()
    roll = actions.import_roll(board.council, by=personas.here, name="12号院", data=ROLL_CSV)
    vote = actions.create_vote(
        board.council,
        by=personas.here,
        title="续聘物业服务企业",
        roll=roll,
        matter="4",
        online_opens_at=opens or now - timedelta(hours=1),
        online_closes_at=closes or now + timedelta(days=7),
    )
    return actions.open_vote(vote, by=personas.here)


def test_an_owner_votes_on_the_phone_and_changes_the_ballot(board, personas, client_for) -> None:
    vote = owners_vote(board, personas)
    client = client_for(personas.resident)
    url = f"/councils/votes/{vote.pk}/ballot/"

    page = client.get(url).content.decode()
    assert 'name="choice" value="yes"' in page and 'name="choice" value="abstain"' in page
    assert client.post(url, {"choice": "yes"})["Location"] == url
    until = timezone.localtime(vote.online_closes_at).strftime("%Y-%m-%d %H:%M")
    page = client.get(url).content.decode()
    assert f"You voted “yes”. You may change your ballot until {until}." in page

    client.post(url, {"choice": "no"})
    ballot = Ballot.objects.get(vote=vote)
    assert (ballot.choice, ballot.method) == ("no", "online") and ballot.changed_at is not None
    assert AuditEvent.objects.filter(verb="ballot_changed", actor=personas.resident).count() == 1
    vote.refresh_from_db()
    assert vote.ballot_count == 1


@pytest.mark.parametrize(
    ("who", "status", "sentence"),
    [
        ("stranger", 403, "You are not on the electorate of this vote."),
        ("outside", 409, "Online voting is not open now for this vote."),
        ("paper", 409, "王秀兰 has already voted: one voter, one ballot."),
        ("bad", 400, "Select a valid choice."),
    ],
)
def test_refused_ballots_store_nothing(board, personas, client_for, who, status, sentence) -> None:
    now = timezone.now()
    if who == "outside":
        vote = owners_vote(
            board, personas, opens=now + timedelta(days=1), closes=now + timedelta(days=8)
        )
    else:
        vote = owners_vote(board, personas)
    if who == "paper":
        voter = vote.voters.get(key="O1")
        actions.record_paper_ballot(vote, by=personas.here, voter=voter, choice="no", paper_ref="7")
    user = personas.stranger if who == "stranger" else personas.resident
    before = db_state()

    response = client_for(user).post(
        f"/councils/votes/{vote.pk}/ballot/", {"choice": "maybe" if who == "bad" else "yes"}
    )

    assert response.status_code == status
    assert sentence in response.content.decode().replace("&#x27;", "'")
    assert db_state() == before


def test_the_ballot_page_says_who_may_vote(board, personas, client_for) -> None:
    vote = owners_vote(board, personas)
    page = client_for(personas.stranger).get(f"/councils/votes/{vote.pk}/ballot/").content.decode()
    assert 'id="not-voter"' in page and 'name="choice"' not in page


def test_a_secret_ballot_is_not_shown_back_and_not_changed(board, personas, client_for) -> None:
    here = personas.here
    actions.change_charter(board.council, by=here, secret_ballots=True)
    meeting = running_meeting(board, here, "无记名表决")
    now = timezone.now()
    vote = actions.create_vote(
        board.council,
        by=here,
        motion=meeting.motions.get(),
        online_opens_at=now - timedelta(minutes=5),
        online_closes_at=now + timedelta(hours=1),
    )
    vote = actions.open_vote(vote, by=here)
    member = board.members[3].user
    client = client_for(member)
    url = f"/councils/votes/{vote.pk}/ballot/"

    client.post(url, {"choice": "no"})
    page = client.get(url).content.decode()
    assert "You have voted. This is a secret ballot" in page
    assert "You voted" not in page and 'name="choice"' not in page
    assert Ballot.objects.get(vote=vote).choice == ""
    assert dict(SecretCount.objects.values_list("choice", "count")) == {
        "yes": 0,
        "no": 1,
        "abstain": 0,
    }
    before = db_state()
    response = client.post(url, {"choice": "yes"})
    assert response.status_code == 409 and db_state() == before
    page = client_for(personas.here).get(f"/councils/meetings/{meeting.pk}/run/").content.decode()
    assert 'data-hand="' not in page  # no show of hands in a secret vote


def test_staff_enter_paper_ballots_by_name(board, personas, client_for, settings) -> None:
    settings.PAGE_SIZE = 2
    vote = owners_vote(board, personas)
    client = client_for(personas.here)
    url = f"/councils/votes/{vote.pk}/paper/"
    voters = {v.key: v for v in vote.voters.all()}

    page = client.get(url).content.decode()
    assert page.count("data-voter=") == 2 and "cursor=" in page  # 开发商, 刘建国 | 王秀兰
    page = client.get(url, {"q": "王"}).content.decode()
    assert page.count("data-voter=") == 1 and f'data-voter="{voters["O1"].pk}"' in page

    response = client.post(
        f"{url}?q=刘", {"voter": voters["O2"].pk, "choice": "no", "paper_ref": "P-001"}
    )
    assert response["Location"] == f"{url}?q=%E5%88%98"
    ballot = Ballot.objects.get(vote=vote)
    assert (ballot.voter_id, ballot.choice, ballot.paper_ref, ballot.method) == (
        voters["O2"].pk, "no", "P-001", "paper",
    )  # fmt: skip
    assert ballot.recorded_by == personas.here

    before = db_state()
    response = client.post(url, {"voter": voters["O3"].pk, "choice": "yes", "paper_ref": "P-001"})
    assert response.status_code == 409
    assert "Paper ballot P-001 is already counted in this vote." in response.content.decode()
    response = client.post(url, {"voter": 999999, "choice": "yes", "paper_ref": "P-002"})
    assert response.status_code == 400
    assert "This voter is not on the electorate of this vote." in response.content.decode()
    assert db_state() == before


def test_the_owners_vote_results_show_the_areas(board, personas, client_for) -> None:
    vote = owners_vote(board, personas)
    voters = {v.key: v for v in vote.voters.all()}
    actions.cast_ballot(vote, by=personas.resident, choice="yes")
    for key, ref in (("O2", "1"), ("O3", "2")):
        actions.record_paper_ballot(
            vote, by=personas.here, voter=voters[key], choice="yes", paper_ref=ref
        )
    anonymous = client_for(None)
    page = anonymous.get(f"/councils/votes/{vote.pk}/").content.decode()
    assert "3 ballots so far. The results are shown when the vote closes." in page

    actions.close_vote(vote, by=personas.here, now=vote.online_closes_at)
    page = anonymous.get(f"/councils/votes/{vote.pk}/").content.decode()
    assert '<td data-area="total">296.00</td>' in page
    assert '<td data-area="yes">296.00</td>' in page
    assert '<td data-count="eligible">3</td>' in page and '<td data-count="yes">3</td>' in page
    assert "Passed: every condition is met." in page
    assert "4. hiring or dismissing the property manager" in page
    for name in ("王秀兰", "刘建国", "开发商"):  # owners' names are personal data
        assert name not in page


def test_the_vote_page_takes_a_fixed_number_of_queries(board, personas, client_for) -> None:
    vote = owners_vote(board, personas)
    actions.close_vote(vote, by=personas.here, now=vote.online_closes_at)
    csv = "part,area,owner_id,owner_name\n" + "".join(
        f"2-{i},50.00,X{i},业主{i}\n" for i in range(40)
    )
    roll = actions.import_roll(board.council, by=personas.here, name="大", data=csv.encode())
    big = actions.create_vote(board.council, by=personas.here, title="大", roll=roll, matter="1")
    big = actions.open_vote(big, by=personas.here)
    for voter in list(big.voters.all())[:30]:
        actions.record_paper_ballot(
            big, by=personas.here, voter=voter, choice="yes", paper_ref=voter.key
        )
    actions.close_vote(big, by=personas.here)
    client = client_for(personas.here)
    counts = []
    for v in (vote, big):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/councils/votes/{v.pk}/").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] and counts[0] <= 10


BAD_CSV = (
    "part,area,owner_id,owner_name\n"
    "1-101,85.50,O1,王秀兰\n"
    "1-101,60.00,O2,刘建国\n"
    ",60.00,O3,张三\n"
    "1-301,abc,O4,李四\n"
).encode()


def test_a_roll_with_bad_rows_lists_each_line_and_stores_nothing(
    board, personas, client_for
) -> None:
    before = db_state()
    response = client_for(personas.here).post(
        f"/councils/{board.council.pk}/rolls/new/",
        {"name": "坏名册", "file": SimpleUploadedFile("r.csv", BAD_CSV, "text/csv")},
    )
    assert response.status_code == 400
    page = response.content.decode().replace("&quot;", '"')
    assert "The roll was not imported: 3 rows are wrong." in page
    assert 'line 3: part "1-101" is already on line 2' in page
    assert "line 4: the part id is missing" in page
    assert "line 5: " in page
    assert db_state() == before


def test_a_roll_is_imported_and_listed_in_pages(board, personas, client_for, settings) -> None:
    settings.PAGE_SIZE = 3
    client = client_for(personas.here)
    response = client.post(
        f"/councils/{board.council.pk}/rolls/new/",
        {"name": "12号院", "file": SimpleUploadedFile("r.csv", ROLL_CSV, "text/csv")},
    )
    roll = OwnersRoll.objects.get(name="12号院")
    assert response["Location"] == f"/councils/rolls/{roll.pk}/"
    assert (roll.part_count, roll.owner_count, roll.total_area) == (4, 3, Decimal("296"))
    page = client.get(response["Location"]).content.decode()
    assert page.count("data-part=") == 3 and "王秀兰" in page and "cursor=" in page
    cursor = page.split("?cursor=")[1].split('"')[0]
    rest = client.get(response["Location"], {"cursor": cursor}, HTTP_HX_REQUEST="true")
    assert rest.content.decode().count("data-part=") == 1 and "1-202" in rest.content.decode()

    response = client.post(
        f"/councils/rolls/{roll.pk}/vote/",
        {"title": "筹集维修资金", "matter": "6", "online_opens_at": "2099-01-01T08:00",
         "online_closes_at": "2099-01-15T20:00"},
    )  # fmt: skip
    vote = Vote.objects.get(title="筹集维修资金")
    assert response["Location"] == f"/councils/votes/{vote.pk}/"
    assert (vote.roll_id, vote.matter, vote.status) == (roll.pk, "6", "draft")
    before = db_state()
    response = client.post(
        f"/councils/rolls/{roll.pk}/vote/",
        {"title": "x", "matter": "6", "online_opens_at": "2099-01-15T08:00",
         "online_closes_at": "2099-01-01T20:00"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "The online window must close after it opens." in response.content.decode()
    assert db_state() == before


def test_the_command_imports_a_roll_or_prints_every_bad_line(board, tmp_path: Path) -> None:
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_bytes(BAD_CSV)
    good.write_bytes(ROLL_CSV.replace(b",resident\n", b",\n"))
    err = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_owners_roll", board.council.pk, str(bad), name="坏", stderr=err)
    assert raised.value.returncode == 2
    lines = err.getvalue().splitlines()
    assert lines[0] == 'line 3: part "1-101" is already on line 2'
    assert lines[1] == "line 4: the part id is missing" and lines[2].startswith("line 5: ")
    assert not OwnersRoll.objects.exists()

    out = StringIO()
    call_command("import_owners_roll", board.council.pk, str(good), name="好", stdout=out)
    roll = OwnersRoll.objects.get(name="好")
    assert out.getvalue().strip() == f"roll {roll.pk}: 4 parts, 3 owners, 296.00 m²"
