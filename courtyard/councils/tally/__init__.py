"""The tally engine: decision rules counted exactly, every result explained.

    electorate = Electorate.of_parts([Part("1-101", "o1", "85.50"), …])
    result = tally_votes("owners_special", electorate, [Ballot("o1", "yes"), …])
    result.passed, result.quorum_met, result.reasons

- `electorate` — who may vote: members, or owners of exclusive parts (one owner, one person;
  areas add up), and the ballots (yes / no / abstain; everyone who casts one takes part).
- `rule` — a rule is data (participation + pass conditions); the named rules of Civil Code
  Art. 278 and of council charters, and custom rules parsed from a charter's JSON.
- `engine` — `tally_votes`, the `Tally` result with its reasons.
- `document` — the JSON file `courtyard tally` reads.

Refusals are `TallyError` (a `core.errors.BadInput`) with a sentence saying what is wrong.
"""

from courtyard.councils.tally.electorate import (
    Ballot,
    Choice,
    Electorate,
    ElectorateKind,
    Part,
    TallyError,
)
from courtyard.councils.tally.engine import Check, Tally, tally_votes
from courtyard.councils.tally.rule import (
    CUSTOM,
    RULES,
    Base,
    Condition,
    Count,
    Measure,
    Rule,
    get_rule,
    parse_rule,
)

__all__ = [
    "CUSTOM",
    "RULES",
    "Ballot",
    "Base",
    "Check",
    "Choice",
    "Condition",
    "Count",
    "Electorate",
    "ElectorateKind",
    "Measure",
    "Part",
    "Rule",
    "Tally",
    "TallyError",
    "get_rule",
    "parse_rule",
    "tally_votes",
]
