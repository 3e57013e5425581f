"""The JSON document `courtyard tally` reads, checked strictly: an unknown key, a number
where text is expected or a key given twice is refused, since a silently ignored typo in an
audit file would change the count.

    {"rule": "owners_special",
     "parts": [{"part": "1-101", "owner": "o1", "area": "85.50"}, …],   # or "members": ["m1", …]
     "ballots": [{"voter": "o1", "choice": "yes"}, …],
     "custom_rule": {…}}                                               # only with "rule": "custom"
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from courtyard.councils.tally.electorate import Ballot, Electorate, Part, TallyError
from courtyard.councils.tally.engine import Tally, tally_votes
from courtyard.councils.tally.rule import get_rule

DOCUMENT_KEYS = ("rule", "members", "parts", "ballots", "custom_rule")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) < len(pairs):
        keys = [key for key, _value in pairs]
        twice = next(key for key in keys if keys.count(key) > 1)
        raise TallyError(_('The key "%(key)s" appears twice in one object.') % {"key": twice})
    return data


def _no_constants(name: str) -> Any:
    raise TallyError(_("%(name)s is not a number JSON allows.") % {"name": name})


def parse_json(text: str) -> Any:
    """The JSON value in `text`; numbers with a point stay exact (Decimal)."""
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicate_keys,
            parse_float=Decimal,
            parse_constant=_no_constants,
        )
    except json.JSONDecodeError as exc:
        raise TallyError(
            _("This is not valid JSON: %(error)s (line %(line)d, column %(column)d).")
            % {"error": exc.msg, "line": exc.lineno, "column": exc.colno}
        ) from None


def _as_json(value: Any) -> str:
    """A value as it was written in the file (numbers with a point are parsed as Decimal)."""
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _objects(data: dict[str, Any], key: str, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    items = data[key]
    if not isinstance(items, list):
        raise TallyError(_('"%(key)s" must be a list.') % {"key": key})
    expected = set(fields)
    for i, item in enumerate(items):
        # The usual case, checked fast; the details below say what is wrong.
        if (
            type(item) is dict
            and item.keys() == expected
            and set(map(type, item.values())) == {str}
        ):
            continue
        where = f"{key}[{i}]"
        if not isinstance(item, dict):
            raise TallyError(_("%(where)s must be an object.") % {"where": where})
        unknown = sorted(set(item) - set(fields))
        if unknown:
            raise TallyError(
                _("%(where)s: unknown key(s) %(keys)s; the keys are: %(allowed)s.")
                % {"where": where, "keys": ", ".join(unknown), "allowed": ", ".join(fields)}
            )
        for field in fields:
            if field not in item:
                raise TallyError(
                    _('%(where)s lacks "%(field)s".') % {"where": where, "field": field}
                )
            value = item[field]
            if not isinstance(value, str):
                raise TallyError(
                    _('%(where)s: "%(field)s" must be text, like "%(example)s" (got %(value)s).')
                    % {
                        "where": where,
                        "field": field,
                        "example": {"area": "85.50", "choice": "yes"}.get(field, "o1"),
                        "value": _as_json(value),
                    }
                )
    return items


def tally_document(data: Any) -> Tally:
    """The tally the document asks for; TallyError says what is wrong with it."""
    if not isinstance(data, dict):
        raise TallyError(
            _(
                'The file must hold one JSON object with "rule", "ballots", and "members" '
                'or "parts".'
            )
        )
    unknown = sorted(set(data) - set(DOCUMENT_KEYS))
    if unknown:
        raise TallyError(
            _("Unknown key(s) %(keys)s; the keys are: %(allowed)s.")
            % {"keys": ", ".join(unknown), "allowed": ", ".join(DOCUMENT_KEYS)}
        )
    if "rule" not in data:
        raise TallyError(_('The document names no "rule".'))
    rule = get_rule(data["rule"], data.get("custom_rule"))
    if ("members" in data) == ("parts" in data):
        raise TallyError(
            _('Give either "members" (a list of ids) or "parts" (a list of exclusive parts).')
        )
    if "members" in data:
        members = data["members"]
        if not isinstance(members, list):
            raise TallyError(_('"members" must be a list of member ids.'))
        electorate = Electorate.of_members(members)
    else:
        parts = _objects(data, "parts", ("part", "owner", "area"))
        electorate = Electorate.of_parts(Part(p["part"], p["owner"], p["area"]) for p in parts)
    if "ballots" not in data:
        raise TallyError(_('The document has no "ballots" (give an empty list if nobody voted).'))
    items = _objects(data, "ballots", ("voter", "choice"))
    ballots = [Ballot(b["voter"], b["choice"]) for b in items]
    return tally_votes(rule, electorate, ballots)
