"""Forms of the public council pages: councils and charters, members, proposals,
resolutions and their tasks. They parse and check shapes only; the actions decide."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any, cast

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courtyard.councils.actions._common import TEXT_MAX, TITLE_MAX
from courtyard.councils.actions.council import CHARTER_LIMITS
from courtyard.councils.models import Council, CouncilMember, DecisionRule, MemberRole, Rating
from courtyard.demands.models import ServiceCategory
from courtyard.organizations.models import Organization
from courtyard.people.models import User

# How many units or categories a <select> lists; any candidate is accepted.
UNITS_SHOWN = 200
CATEGORIES_SHOWN = 300


class ActionForm(forms.Form):
    """An action's form: ids are prefixed with the action so that several forms share a
    page without clashing; the field names stay plain."""

    def __init__(self, *args: Any, slug: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{slug}_%s")
        super().__init__(*args, **kwargs)
        self.slug = slug


def _text(label: Any, *, required: bool = True, rows: int = 3, limit: int = 2000) -> Any:
    return forms.CharField(
        label=label, max_length=limit, required=required, widget=forms.Textarea({"rows": rows})
    )


class NoFieldsForm(ActionForm):
    pass


class UnitField(forms.IntegerField):
    """A unit chosen in a <select> of the first UNITS_SHOWN candidates; any candidate is
    accepted (the form sets `candidates`)."""

    widget = forms.Select

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=2**62, **kwargs)


def listed_units(candidates: QuerySet[Organization]) -> list[Organization]:
    """What a unit <select> offers (compute once per page: several forms share it)."""
    return list(candidates.order_by("name", "pk")[:UNITS_SHOWN])


def listed_categories() -> list[ServiceCategory]:
    """What a category <select> offers: active categories without active sub-categories."""
    leaves = ServiceCategory.objects.active().filter(
        ~Exists(ServiceCategory.objects.filter(parent=OuterRef("pk"), is_active=True))
    )
    return list(leaves.order_by("name", "pk")[:CATEGORIES_SHOWN])


def _offer(form: forms.Form, name: str, listed: list[Any], empty: Any = None) -> None:
    choices = [(item.pk, item.display_name) for item in listed]
    form.fields[name].widget.choices = [("", empty), *choices] if empty else choices


def _clean_unit(candidates: QuerySet[Organization], pk: int | None) -> Organization | None:
    if pk is None:
        return None
    organization = candidates.filter(pk=pk).first()
    if organization is None:
        raise forms.ValidationError(_("Choose one of the units listed."))
    return organization


def _clean_username(value: str) -> User | None:
    value = (value or "").strip()
    if not value:
        return None
    user = User.objects.filter(username=value, is_active=True).first()
    if user is None:
        raise forms.ValidationError(_("No active account has this user name."))
    return user


# ── Councils ──────────────────────────────────────────────────────────────────────────────


class CouncilForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=TITLE_MAX)
    description = _text(_("Description (optional)"), required=False, rows=4, limit=TEXT_MAX)


CHARTER_LABELS = {
    "notice_days": _("Notice period (days)"),
    "publication_working_days": _("Publication period (working days)"),
    "objection_days": _("Objection window (days)"),
    "objection_threshold": _("Objections that send a resolution back"),
    "support_threshold": _("Supporters that oblige screening"),
    "screening_days": _("Screening deadline (days)"),
    "meets_every_days": _("Meets at least every (days)"),
    "speech_minutes": _("Minutes per speech"),
    "speeches_per_motion": _("Speeches per person and motion"),
}


class CharterForm(forms.Form):
    """The charter's numbers and switches. A custom rule is kept when the council has one
    (it is written in the API as data, not on this page)."""

    decision_rule = forms.ChoiceField(label=_("Decision rule"))
    secret_ballots = forms.BooleanField(label=_("Secret ballots"), required=False)
    results_hidden_until_close = forms.BooleanField(
        label=_("Results hidden until the vote closes"), required=False
    )

    def __init__(self, *args: Any, council: Council, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {name: getattr(council, name) for name in [*CHARTER_LIMITS, "decision_rule"]}
            | {
                "secret_ballots": council.secret_ballots,
                "results_hidden_until_close": council.results_hidden_until_close,
            },
        )
        super().__init__(*args, **kwargs)
        rules = [c for c in DecisionRule.choices if c[0] != DecisionRule.CUSTOM]
        if council.custom_rule is not None:
            rules.append((DecisionRule.CUSTOM, DecisionRule.CUSTOM.label))
        cast(forms.ChoiceField, self.fields["decision_rule"]).choices = rules
        for name, (low, high) in CHARTER_LIMITS.items():
            self.fields[name] = forms.IntegerField(
                label=CHARTER_LABELS[name], min_value=low, max_value=high
            )

    def charter(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class MemberForm(ActionForm):
    username = forms.CharField(label=_("User name of the person"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices)
    organization = UnitField(label=_("Represents (unit or organization)"), required=False)

    def __init__(self, *args: Any, candidates: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = candidates

    def offer(self, units: list[Organization]) -> None:
        """The units the <select> lists (the form is being shown)."""
        _offer(self, "organization", units, _("None"))

    def clean_username(self) -> User:
        user = _clean_username(self.cleaned_data["username"])
        assert user is not None  # the field is required
        return user

    def clean_organization(self) -> Organization | None:
        return _clean_unit(self.candidates, self.cleaned_data["organization"])


# ── Proposals ─────────────────────────────────────────────────────────────────────────────


class ProposalForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    body = _text(_("What and why"), rows=6, limit=TEXT_MAX)
    organization = forms.ModelChoiceField(
        label=_("On behalf of (optional)"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("Myself, as a resident"),
    )
    demand = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, handled: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["organization"])
        field.queryset = handled.order_by("name", "pk")


class ReasonForm(ActionForm):
    reason = _text(_("Reason"))


# ── Resolutions and tasks ─────────────────────────────────────────────────────────────────


class RecordSignatureForm(ActionForm):
    """The secretary records a signature a member made on the paper minutes."""

    member = forms.TypedChoiceField(label=_("Member who signed the minutes"), coerce=int)

    def __init__(self, *args: Any, members: list[CouncilMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = {m.pk: m for m in members}
        field = self.fields["member"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(m.pk, f"{m.display_name} · {m.get_role_display()}") for m in members]

    def clean_member(self) -> CouncilMember:
        return self.members[self.cleaned_data["member"]]


class ObjectionForm(ActionForm):
    reason = _text(_("Why you object"), rows=4)


class EvaluationForm(ActionForm):
    rating = forms.ChoiceField(
        label=_("How was it carried out?"), choices=Rating.choices, widget=forms.RadioSelect
    )
    comment = _text(_("Comment (optional)"), required=False)


def _end_of_day(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(23, 59)))


class TaskForm(ActionForm):
    title = forms.CharField(label=_("Task"), max_length=TITLE_MAX)
    due = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))
    owner = forms.CharField(
        label=_("Responsible person (user name, optional)"), max_length=150, required=False
    )
    organization = UnitField(label=_("Responsible unit (optional)"), required=False)

    def __init__(self, *args: Any, candidates: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = candidates

    def offer(self, units: list[Organization]) -> None:
        """The units the <select> lists (the form is being shown)."""
        _offer(self, "organization", units, _("None"))

    def clean_owner(self) -> User | None:
        return _clean_username(self.cleaned_data["owner"])

    def clean_organization(self) -> Organization | None:
        return _clean_unit(self.candidates, self.cleaned_data["organization"])

    def due_at(self) -> datetime:
        return _end_of_day(self.cleaned_data["due"])


class CompleteTaskForm(ActionForm):
    note = forms.CharField(label=_("Note (optional)"), max_length=2000, required=False)


class DispatchTaskForm(ActionForm):
    """A follow-up task becomes a demand: its category, and a unit of the district or the
    responsibility table."""

    category = forms.IntegerField(
        label=_("Service category"), min_value=1, max_value=2**62, widget=forms.Select
    )
    organization = UnitField(
        label=_("Unit"),
        required=False,
        help_text=_("Leave empty to follow the task's unit or the responsibility table."),
    )

    def __init__(self, *args: Any, candidates: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = candidates

    def offer(self, units: list[Organization], categories: list[ServiceCategory]) -> None:
        """The units and categories the <select>s list (the form is being shown)."""
        _offer(self, "organization", units, _("Automatic"))
        _offer(self, "category", categories)

    def clean_category(self) -> ServiceCategory:
        category = ServiceCategory.objects.active().filter(pk=self.cleaned_data["category"]).first()
        if category is None:
            raise forms.ValidationError(_("Choose one of the categories listed."))
        return category

    def clean_organization(self) -> Organization | None:
        return _clean_unit(self.candidates, self.cleaned_data["organization"])
