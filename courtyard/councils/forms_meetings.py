"""Forms of the meeting side: scheduling, the agenda, the meeting screen, votes, ballots and
owners' rolls. They parse and bound the input; the actions decide (and refuse) the rest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from courtyard.councils.actions._common import TEXT_MAX, TITLE_MAX
from courtyard.councils.actions.meetings import MINUTES_MAX
from courtyard.councils.actions.rolls import MAX_BYTES
from courtyard.councils.models import CouncilMember, Matter, Proposal, Stance, Voter

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
CHOICES = [("yes", _("yes")), ("no", _("no")), ("abstain", _("abstain"))]
ABSENT = "absent"
HAND_CHOICES = [*CHOICES, (ABSENT, _("did not vote"))]
PK_MAX = 2**62


def _datetime(label: Any, *, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    location = forms.CharField(label=_("Where"), max_length=TITLE_MAX)
    starts_at = _datetime(_("Starts at"))


class MotionForm(forms.Form):
    """A motion from a proposal screened onto the agenda, or a free motion (title needed)."""

    proposal = forms.ModelChoiceField(
        label=_("From a proposal on the agenda"),
        queryset=Proposal.objects.none(),
        required=False,
        empty_label=_("— a motion of its own —"),
    )
    title = forms.CharField(
        label=_("Motion"),
        max_length=TITLE_MAX,
        required=False,
        help_text=_("Leave it empty to use the proposal's title."),
    )
    text = forms.CharField(
        label=_("Text"), max_length=TEXT_MAX, required=False, widget=forms.Textarea({"rows": 3})
    )

    def __init__(self, *args: Any, proposals: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["proposal"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = proposals

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("proposal") and not data.get("title") and "title" not in self.errors:
            self.add_error("title", _("Give the motion a title, or choose a proposal."))
        return data


class AttendanceForm(forms.Form):
    """Ticks among the council's current members (checked against the list shown, so no
    id from the request reaches the database)."""

    members = forms.TypedMultipleChoiceField(
        label=_("Present"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick the members who are present.")},
    )

    def __init__(self, *args: Any, members: Sequence[CouncilMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.by_pk = {m.pk: m for m in members}
        field = self.fields["members"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(m.pk, m.display_name) for m in members]

    def clean_members(self) -> list[CouncilMember]:
        return [self.by_pk[pk] for pk in self.cleaned_data["members"]]


class FloorForm(forms.Form):
    member = forms.IntegerField(label=_("Speaker"), min_value=1, max_value=PK_MAX)
    stance = forms.ChoiceField(label=_("Stance"), choices=Stance.choices)


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("Minutes"), max_length=MINUTES_MAX, widget=forms.Textarea({"rows": 6})
    )


class HandsForm(forms.Form):
    """One choice per present member's voter row; "did not vote" records nothing."""

    def __init__(self, *args: Any, voters: Sequence[Voter], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.voters = {f"voter_{v.pk}": v for v in voters}
        for name, voter in self.voters.items():
            self.fields[name] = forms.ChoiceField(
                label=voter.name,
                choices=HAND_CHOICES,
                initial=ABSENT,
                required=False,  # a row not sent is a member who did not raise a hand
                widget=forms.RadioSelect,
            )

    def choices(self) -> dict[Voter, str]:
        return {
            voter: self.cleaned_data[name]
            for name, voter in self.voters.items()
            if self.cleaned_data.get(name) not in ("", None, ABSENT)
        }


class VoteWindowForm(forms.Form):
    """A vote on a motion; an online window is optional (members may vote on their phones)."""

    online_opens_at = _datetime(_("Online voting opens"), required=False)
    online_closes_at = _datetime(_("Online voting closes"), required=False)


class BallotForm(forms.Form):
    choice = forms.ChoiceField(label=_("Your ballot"), choices=CHOICES)


class PaperBallotForm(forms.Form):
    voter = forms.IntegerField(label=_("Voter"), min_value=1, max_value=PK_MAX)
    choice = forms.ChoiceField(label=_("Ballot"), choices=CHOICES, widget=forms.RadioSelect)
    paper_ref = forms.CharField(label=_("Paper ballot number"), max_length=64)


class RollForm(forms.Form):
    name = forms.CharField(label=_("Name of the roll"), max_length=TITLE_MAX)
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, a header row with the columns part, area, owner_id, owner_name and "
            "optionally username."
        ),
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("This file is larger than 20 MB."))
        return bytes(upload.read())


class OwnersVoteForm(VoteWindowForm):
    title = forms.CharField(label=_("Question"), max_length=TITLE_MAX)
    matter = forms.ChoiceField(label=_("Matter (Civil Code Art. 278)"), choices=Matter.choices)

    field_order = ["title", "matter", "online_opens_at", "online_closes_at"]
