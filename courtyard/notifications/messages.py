"""What each notification says, per verb, in the reader's language.

Like `core.audit.register_verb_labels`: a verb maps to a translatable sentence with one
placeholder, `%(target)s`, filled at display time with the notification's `target_repr`.
The sentence is the template and the label only its argument, so a label with "%" or
markup in it is shown as text (templates escape the result)."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

MESSAGES: dict[str, StrOrPromise] = {}


def register_messages(messages: dict[str, StrOrPromise]) -> None:
    MESSAGES.update(messages)


def message_for(verb: str, target_repr: str) -> str:
    """The sentence for `verb` about `target_repr`; an unknown verb still says something."""
    template = MESSAGES.get(verb)
    if template is None:
        return gettext("%(target)s: something happened (%(verb)s).") % {
            "target": target_repr,
            "verb": verb,
        }
    return str(template) % {"target": target_repr}


def register_defaults() -> None:
    """The verbs the demand, whistle and council actions send."""
    register_messages(
        {
            # Demands (接诉即办).
            "demand_dispatched": _("Demand %(target)s was dispatched to your unit."),
            "demand_replied": _(
                "Demand %(target)s has a reply: please say whether it was resolved."
            ),
            "demand_answered": _("Your demand %(target)s was answered."),
            "demand_declined": _("Your demand %(target)s was declined: see the reason."),
            "extension_approved": _("The extension for demand %(target)s was approved."),
            "extension_refused": _("The extension for demand %(target)s was refused."),
            "demand_reminder": _("Demand %(target)s: its deadline is near."),
            "demand_escalated": _("Demand %(target)s is overdue and was escalated to you."),
            # Whistles (吹哨报到).
            "whistle_blown": _("Your unit was summoned by the whistle %(target)s: report on site."),
            # Councils (议事协商).
            "meeting_announced": _("The meeting %(target)s was announced."),
            "vote_opened": _("The vote %(target)s is open: you may vote online."),
            "resolution_published": _("The resolution %(target)s was published."),
            "resolution_returned": _(
                "The resolution %(target)s was returned to the council by objections."
            ),
            "proposal_threshold_reached": _(
                "The proposal %(target)s reached its support threshold: screen it."
            ),
            "proposal_screened": _("Your proposal %(target)s was put on the agenda."),
            "proposal_declined": _("Your proposal %(target)s was declined: see the reason."),
        }
    )
