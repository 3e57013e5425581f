from dataclasses import dataclass

import pytest
from django.utils import translation

from courtyard.councils import actions
from courtyard.councils.models import Council, CouncilMember, MemberRole


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    """The reasons are asserted word for word in English (the catalogs may translate them)."""
    with translation.override("en"):
        yield


@dataclass
class Board:
    """A courtyard council at 草厂社区 with five members; `chair` and `secretary` run it."""

    council: Council
    chair: CouncilMember
    secretary: CouncilMember
    members: list[CouncilMember]  # all five, chair and secretary first


@pytest.fixture
def board(city, personas) -> Board:  # type: ignore[no-untyped-def]
    from conftest import make_user

    council = actions.create_council(
        by=personas.here, place=city.community, name="草厂社区议事会", support_threshold=3
    )
    people = [make_user(f"member-{i}", display_name=f"委员{i}") for i in range(1, 6)]
    roles = [MemberRole.CHAIR, MemberRole.SECRETARY] + [MemberRole.RESIDENT] * 3
    members = [
        actions.add_member(council, by=personas.here, user=user, role=role)
        for user, role in zip(people, roles, strict=True)
    ]
    return Board(council, members[0], members[1], members)
