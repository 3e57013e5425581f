"""`courtyard tally FILE.json`: one JSON object on stdout and exit 0 whenever the tally was
computed (passed or not); a sentence on stderr, nothing on stdout and exit 2 on bad input.
Checked in-process (call_command) and as a real process (`python -m courtyard.cli`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[3]

MEMBERS = {
    "rule": "majority",
    "members": ["m1", "m2", "m3", "m4", "m5"],
    "ballots": [
        {"voter": "m1", "choice": "yes"},
        {"voter": "m2", "choice": "yes"},
        {"voter": "m3", "choice": "no"},
        {"voter": "m4", "choice": "abstain"},
    ],
}
OWNERS = {
    "rule": "owners_special",
    "parts": [
        {"part": "1-101", "owner": "开发商", "area": "80.00"},
        {"part": "1-102", "owner": "开发商", "area": "80.00"},
        {"part": "1-201", "owner": "o1", "area": "85.50"},
        {"part": "1-202", "owner": "o2", "area": "90.25"},
    ],
    "ballots": [
        {"voter": "开发商", "choice": "yes"},
        {"voter": "o1", "choice": "yes"},
        {"voter": "o2", "choice": "no"},
    ],
}


def write(tmp_path: Path, document: Any, name: str = "vote.json") -> Path:
    path = tmp_path / name
    text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def run(path: Path | str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("tally", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_members_vote_prints_one_json_object(tmp_path):
    out, err = run(write(tmp_path, MEMBERS))
    assert err == ""
    assert json.loads(out) == {
        "rule": "majority",
        "passed": True,
        "quorum_met": True,
        "participants": 4,
        "yes": 2,
        "no": 1,
        "abstain": 1,
        "members": 5,
        "reasons": [
            "Participants are 4 of 5 members (80.0%), more than 1/2 required: met.",
            "Yes votes are 2 of the 3 votes cast yes or no, abstentions not counted (66.7%), "
            "more than 1/2 required: met.",
            "Passed: every condition is met.",
        ],
    }


def test_an_owners_vote_prints_areas_as_decimal_strings(tmp_path):
    out, _ = run(write(tmp_path, OWNERS))
    result = json.loads(out)
    assert {k: v for k, v in result.items() if k != "reasons"} == {
        "rule": "owners_special",
        "passed": False,
        "quorum_met": True,
        "participants": 3,
        "yes": 2,
        "no": 1,
        "abstain": 0,
        "owners": 3,
        "total_area": "335.75",
        "participating_area": "335.75",
        "yes_area": "245.50",
        "no_area": "90.25",
        "abstain_area": "0.00",
    }
    assert result["reasons"][-1] == "Not passed: enough took part, but the yes votes fall short."
    assert len(result["reasons"]) == 5


def test_a_custom_rule_is_read_from_the_file(tmp_path):
    strict_half = {"measure": "headcount", "base": "all", "fraction": "1/2", "inclusive": False}
    out, _ = run(
        write(tmp_path, {**MEMBERS, "rule": "custom", "custom_rule": {"pass": [strict_half]}})
    )
    result = json.loads(out)
    assert (result["rule"], result["passed"]) == ("custom", False)  # 2 of 5 members
    assert result["reasons"][1] == (
        "Yes votes are 2 of all 5 members (40.0%), more than 1/2 required: not met."
    )


def test_an_empty_ballot_list_is_a_computed_failure(tmp_path):
    out, _ = run(write(tmp_path, {**MEMBERS, "ballots": []}))
    assert json.loads(out)["passed"] is False


def test_the_output_keeps_chinese_text_unescaped(tmp_path):
    document = {
        "rule": "majority",
        "members": ["张三"],
        "ballots": [{"voter": "张三", "choice": "yes"}],
    }
    out, _ = run(write(tmp_path, document))
    assert "\\u" not in out
    with pytest.raises(CommandError) as caught:
        run(write(tmp_path, {**document, "ballots": [{"voter": "李四", "choice": "yes"}]}))
    assert "李四" in str(caught.value)


BAD: list[tuple[str, Any, str]] = [
    ("unknown rule", {**MEMBERS, "rule": "plurality"}, 'Unknown rule "plurality"'),
    (
        "ballot from outside",
        {**MEMBERS, "ballots": [{"voter": "m9", "choice": "yes"}]},
        'A ballot comes from "m9", who is not in the electorate.',
    ),
    (
        "two ballots from one voter",
        {**MEMBERS, "ballots": [{"voter": "m1", "choice": "yes"}, {"voter": "m1", "choice": "no"}]},
        '"m1" cast more than one ballot',
    ),
    (
        "zero area",
        {**OWNERS, "parts": [{"part": "1-101", "owner": "o1", "area": "0"}], "ballots": []},
        'Part "1-101": the area must be more than 0 m² (got 0).',
    ),
    (
        "negative area",
        {**OWNERS, "parts": [{"part": "1-101", "owner": "o1", "area": "-3.5"}], "ballots": []},
        "must be more than 0 m² (got -3.5)",
    ),
    (
        "area as a JSON number",
        {**OWNERS, "parts": [{"part": "1-101", "owner": "o1", "area": 85.5}]},
        'parts[0]: "area" must be text, like "85.50" (got 85.5).',
    ),
    (
        "duplicate part",
        {**OWNERS, "parts": [OWNERS["parts"][0], OWNERS["parts"][0]]},
        'Part "1-101" is listed twice (entries 1 and 2).',
    ),
    (
        "missing owner",
        {**OWNERS, "parts": [{"part": "1-101", "area": "80"}]},
        'parts[0] lacks "owner".',
    ),
    (
        "empty owner",
        {**OWNERS, "parts": [{"part": "1-101", "owner": "", "area": "80"}]},
        'Part "1-101" (entry 1) has no owner.',
    ),
    ("owners rule on members", {**MEMBERS, "rule": "owners_ordinary"}, "counts owners"),
    ("members rule on parts", {**OWNERS, "rule": "two_thirds"}, "counts members"),
    ("empty electorate", {**MEMBERS, "members": [], "ballots": []}, "The electorate is empty"),
    ("malformed JSON", '{"rule": "majority",', "This is not valid JSON"),
    ("duplicate key", '{"rule": "majority", "rule": "two_thirds"}', 'The key "rule" appears twice'),
    ("NaN", '{"rule": NaN}', "NaN is not a number JSON allows."),
    ("not an object", '["majority"]', "The file must hold one JSON object"),
    ("unknown key", {**MEMBERS, "ballot": []}, "Unknown key(s) ballot"),
    ("no rule", {k: v for k, v in MEMBERS.items() if k != "rule"}, 'The document names no "rule".'),
    ("no ballots", {k: v for k, v in MEMBERS.items() if k != "ballots"}, 'has no "ballots"'),
    ("both electorates", {**MEMBERS, "parts": OWNERS["parts"]}, 'Give either "members"'),
    ("neither electorate", {"rule": "majority", "ballots": []}, 'Give either "members"'),
    ("members not a list", {**MEMBERS, "members": "m1"}, '"members" must be a list'),
    ("ballots not a list", {**MEMBERS, "ballots": {}}, '"ballots" must be a list.'),
    ("ballot not an object", {**MEMBERS, "ballots": ["m1"]}, "ballots[0] must be an object."),
    (
        "ballot with an unknown key",
        {**MEMBERS, "ballots": [{"voter": "m1", "choice": "yes", "vote": "no"}]},
        "ballots[0]: unknown key(s) vote; the keys are: voter, choice.",
    ),
    (
        "ballot with a bad choice",
        {**MEMBERS, "ballots": [{"voter": "m1", "choice": "for"}]},
        'says "for"; a ballot says yes, no or abstain',
    ),
    ("custom without a rule", {**MEMBERS, "rule": "custom"}, 'needs a custom rule'),
    (
        "bad custom rule",
        {**MEMBERS, "rule": "custom", "custom_rule": {"pass": [{"measure": "votes"}]}},
        "custom_rule.pass[0] lacks",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("document", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_exits_2_with_a_message_and_nothing_on_stdout(tmp_path, document, message):
    path = write(tmp_path, document)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("tally", str(path), stdout=out, stderr=err)
    assert caught.value.returncode == 2
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{path}: ")
    assert out.getvalue() == ""


def test_a_missing_file_exits_2(tmp_path):
    with pytest.raises(CommandError) as caught:
        run(tmp_path / "absent.json")
    assert caught.value.returncode == 2
    assert str(caught.value) == f"No such file: {tmp_path / 'absent.json'}"


def test_a_directory_or_a_file_that_is_not_utf8_exits_2(tmp_path):
    with pytest.raises(CommandError) as caught:
        run(tmp_path)
    assert caught.value.returncode == 2
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"rule": "majorité"}'.encode("latin-1"))
    with pytest.raises(CommandError) as caught:
        run(latin)
    assert caught.value.returncode == 2
    assert "is not UTF-8 text" in str(caught.value)


# A real process: Django's own handling of CommandError decides the exit status.


def courtyard(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "-m", "courtyard.cli", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(("document", "passed"), [(MEMBERS, True), (OWNERS, False)])
def test_the_command_line_exits_0_whenever_the_tally_was_computed(tmp_path, document, passed):
    result = courtyard("tally", str(write(tmp_path, document)))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    output = json.loads(result.stdout)  # exactly one JSON object
    assert output["passed"] is passed
    assert isinstance(output["reasons"], list)
    assert output["reasons"]


SUBPROCESS_BAD = [
    "unknown rule",
    "ballot from outside",
    "two ballots from one voter",
    "zero area",
    "negative area",
    "malformed JSON",
]


@pytest.mark.parametrize("case", SUBPROCESS_BAD)
def test_the_command_line_exits_2_on_bad_input_with_nothing_on_stdout(tmp_path, case):
    document = next(b[1] for b in BAD if b[0] == case)
    result = courtyard("tally", str(write(tmp_path, document)))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("CommandError: ")
    assert str(tmp_path) in result.stderr


def test_the_command_line_exits_2_on_a_missing_file(tmp_path):
    result = courtyard("tally", str(tmp_path / "absent.json"))
    assert (result.returncode, result.stdout) == (2, "")
    assert "No such file" in result.stderr
