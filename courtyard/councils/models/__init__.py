"""Councils (议事会) and their lawful decisions — "residents raise, discuss, decide, do and
evaluate" (民提、民议、民决、民办、民评).

- `council`: a council at a place with its charter and members;
- `proposals`: proposals (议题) and their supporters, screened onto an agenda;
- `meetings`: meetings with notice, attendance, motions and the speaking order;
- `votes`: votes with a frozen electorate, ballots (one voter, one ballot), owners' rolls;
- `resolutions`: resolutions, signatures, publication (公示) with objections, follow-up
  tasks and the proposers' evaluation.

Every workflow state changes only through `councils.actions`.
"""

from courtyard.councils.models.council import (
    Council,
    CouncilMember,
    CouncilQuerySet,
    DecisionRule,
    MemberRole,
)
from courtyard.councils.models.meetings import (
    Attendance,
    Meeting,
    MeetingStatus,
    Motion,
    MotionStatus,
    Speech,
    Stance,
)
from courtyard.councils.models.proposals import (
    Proposal,
    ProposalStatus,
    ProposalSupport,
)
from courtyard.councils.models.resolutions import (
    Evaluation,
    FollowUpTask,
    Objection,
    Rating,
    Resolution,
    ResolutionStatus,
    Signature,
    TaskStatus,
)
from courtyard.councils.models.votes import (
    Ballot,
    ExclusivePart,
    Matter,
    OwnersRoll,
    SecretCount,
    Vote,
    VoteMethod,
    Voter,
    VoteStatus,
)

__all__ = [
    "Attendance",
    "Ballot",
    "Council",
    "CouncilMember",
    "CouncilQuerySet",
    "DecisionRule",
    "Evaluation",
    "ExclusivePart",
    "FollowUpTask",
    "Matter",
    "Meeting",
    "MeetingStatus",
    "MemberRole",
    "Motion",
    "MotionStatus",
    "Objection",
    "OwnersRoll",
    "Proposal",
    "ProposalStatus",
    "ProposalSupport",
    "Rating",
    "Resolution",
    "ResolutionStatus",
    "SecretCount",
    "Signature",
    "Speech",
    "Stance",
    "TaskStatus",
    "Vote",
    "VoteMethod",
    "VoteStatus",
    "Voter",
]
