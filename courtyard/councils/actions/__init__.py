"""Every change to councils and their decisions: one action per step (verb_noun, keyword
arguments, `by=` the actor). Each is atomic, checks the state it starts from, refuses with a
DomainError that changes nothing, and writes an audit row. Who may call which action is
decided by `councils.rules`, checked by the pages and the API before they call."""

from courtyard.councils.actions.clocks import Swept, check_council_clocks
from courtyard.councils.actions.council import (
    add_member,
    change_charter,
    create_council,
    remove_member,
)
from courtyard.councils.actions.meetings import (
    add_motion,
    announce_meeting,
    cancel_meeting,
    close_meeting,
    defer_motion,
    end_speech,
    give_floor,
    open_meeting,
    record_attendance,
    schedule_meeting,
    start_debate,
)
from courtyard.councils.actions.proposals import (
    decline_proposal,
    raise_proposal,
    screen_proposal,
    support_proposal,
    withdraw_proposal,
)
from courtyard.councils.actions.resolutions import (
    add_task,
    complete_task,
    dispatch_task,
    evaluate_resolution,
    is_affected,
    object_to_resolution,
    publish_resolution,
    record_signature,
    sign_resolution,
    signatures_needed,
    take_effect,
)
from courtyard.councils.actions.rolls import RollImportError, import_roll, read_roll
from courtyard.councils.actions.votes import (
    cancel_vote,
    cast_ballot,
    close_vote,
    create_vote,
    open_vote,
    record_hands,
    record_paper_ballot,
    tally_vote,
)

__all__ = [
    "RollImportError",
    "Swept",
    "add_member",
    "add_motion",
    "add_task",
    "announce_meeting",
    "cancel_meeting",
    "cancel_vote",
    "cast_ballot",
    "change_charter",
    "check_council_clocks",
    "close_meeting",
    "close_vote",
    "complete_task",
    "create_council",
    "create_vote",
    "decline_proposal",
    "defer_motion",
    "dispatch_task",
    "end_speech",
    "evaluate_resolution",
    "give_floor",
    "import_roll",
    "is_affected",
    "object_to_resolution",
    "open_meeting",
    "open_vote",
    "publish_resolution",
    "raise_proposal",
    "read_roll",
    "record_attendance",
    "record_hands",
    "record_paper_ballot",
    "record_signature",
    "remove_member",
    "schedule_meeting",
    "screen_proposal",
    "sign_resolution",
    "signatures_needed",
    "start_debate",
    "support_proposal",
    "take_effect",
    "tally_vote",
    "withdraw_proposal",
]
