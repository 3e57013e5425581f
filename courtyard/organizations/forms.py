from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from courtyard.organizations.models import Organization, OrganizationKind, Position


class DirectoryFilterForm(forms.Form):
    """The only filters the directory accepts (a whitelist, never arbitrary lookups)."""

    q = forms.CharField(label=_("Name starts with"), max_length=50, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *OrganizationKind.choices], required=False
    )
    place = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class AddMemberForm(forms.Form):
    """Choose a unit among `candidates`. The list shows the first CHOICES_SHOWN of `listed`
    (the candidates narrowed by a name search, in place order); any candidate is accepted."""

    CHOICES_SHOWN = 500
    organization = forms.IntegerField(label=_("Unit"), widget=forms.Select)
    position = forms.ChoiceField(label=_("Position"), choices=Position.choices)

    def __init__(
        self,
        *args: Any,
        candidates: QuerySet[Organization],
        listed: QuerySet[Organization],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = candidates
        self.fields["organization"].widget.choices = [
            (org.pk, org.display_name) for org in listed[: self.CHOICES_SHOWN]
        ]

    def clean_organization(self) -> Organization:
        organization = self.candidates.filter(pk=self.cleaned_data["organization"]).first()
        if organization is None:
            raise forms.ValidationError(_("Choose a unit seated here that is not yet a member."))
        return organization


class DualReportForm(forms.Form):
    AS_MEMBER = "member"
    organization = forms.ChoiceField(label=_("Register as"))
    commitments = forms.CharField(
        label=_("What will you do for the community?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "For example: open our canteen to elderly residents on weekdays; "
            "two volunteers for the weekend clean-up."
        ),
    )

    def __init__(self, *args: Any, handled: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(org.pk), org.display_name) for org in handled]
        choices.append((self.AS_MEMBER, str(_("Myself, as an in-service party member"))))
        self.fields["organization"].choices = choices  # type: ignore[attr-defined]
