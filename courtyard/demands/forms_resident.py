"""Forms of the resident's pages and of the action forms on a demand's page.

They parse and check shape only (lengths, choices, dates, that a chosen row exists among
those offered); the rules of the process are the actions' (demands.actions)."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, time
from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courtyard.core.text import localized_name
from courtyard.demands.actions import DESCRIPTION_MAX, TEXT_MAX
from courtyard.demands.models import Demand, Satisfaction, ServiceCategory
from courtyard.demands.photos import photos_field
from courtyard.organizations.models import Organization
from courtyard.places.models import SEGMENT, Place, PlaceKind, path_range, prefix_range

SEARCH_MAX = 50
CATEGORIES_SHOWN = 500
PLACES_SHOWN = 20
UNITS_SHOWN = 200
# A demand is raised at a street, a community, a grid or a building — not at a whole
# district or city, which no community could triage.
TOO_HIGH = (PlaceKind.CITY, PlaceKind.DISTRICT)
# The page's key (32 characters when we make it); stored as "web:<user id>:<key>" ≤ 64.
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,40}$")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def new_idempotency_key() -> str:
    """A fresh key for one rendering of the intake form (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


def search_term(value: Any) -> str:
    return str(value or "").strip()[:SEARCH_MAX]


# ── Intake ──────────────────────────────────────────────────────────────────────────────


def leaf_categories(q: str) -> QuerySet[ServiceCategory]:
    """Active categories without active sub-categories (what a resident picks), narrowed by
    `q`: the beginning of the name, of the parent's name, or of one of the keywords."""
    qs = (
        ServiceCategory.objects.active()
        .filter(~Exists(ServiceCategory.objects.filter(parent=OuterRef("pk"), is_active=True)))
        .select_related("parent")
    )
    if q:
        low, high = prefix_range(q)
        qs = qs.filter(
            Q(name__gte=low, name__lt=high)
            | Q(name_en__startswith=q)
            | Q(name_en__startswith=q[:1].upper() + q[1:])
            | Q(parent__name__gte=low, parent__name__lt=high)
            | Q(keywords__startswith=q)
            | Q(keywords__contains=f" {q}")
            | Q(keywords__contains=f",{q}")
            | Q(keywords__contains=f"，{q}")
        )
    return qs.order_by("name", "pk")


def grouped_choices(categories: list[ServiceCategory]) -> list[Any]:
    """Choices for a <select>: top-level categories first, then one <optgroup> per parent."""
    single = sorted(
        (c for c in categories if c.parent is None), key=lambda c: (c.display_name, c.pk)
    )
    groups: dict[int, tuple[str, list[tuple[int, str]]]] = {}
    for category in categories:
        if category.parent is not None:
            label = category.parent.display_name
            groups.setdefault(category.parent.pk, (label, []))[1].append(
                (category.pk, category.display_name)
            )
    choices: list[Any] = [("", _("— choose what it is about —"))]
    choices += [(c.pk, c.display_name) for c in single]
    for label, options in sorted(groups.values(), key=lambda g: g[0]):
        choices.append((label, sorted(options, key=lambda o: o[1])))
    return choices


def district_path(place: Place) -> str:
    """The path of the district a place lies in (the place's own path above that level)."""
    return place.path[: 2 * SEGMENT]


def place_candidates(home: Place | None) -> QuerySet[Place]:
    """Places a resident may pick by searching: within the district of their home; without
    a home, the streets and communities of the whole city (an indexed name search)."""
    qs = Place.objects.exclude(kind__in=TOO_HIGH)
    if home is None:
        return qs.filter(
            kind__in=[
                PlaceKind.STREET,
                PlaceKind.TOWNSHIP,
                PlaceKind.COMMUNITY,
                PlaceKind.VILLAGE,
            ]
        )
    low, high = path_range(district_path(home))
    return qs.filter(path__gte=low, path__lt=high)


def search_places(home: Place | None, place_q: str) -> list[Place]:
    if not place_q:
        return []
    low, high = prefix_range(place_q)
    return list(
        place_candidates(home)
        .filter(name__gte=low, name__lt=high)
        .select_related("parent")
        .order_by("name", "pk")[:PLACES_SHOWN]
    )


class DemandForm(forms.Form):
    """Raise a demand: what, where, and the category's extra questions.

    `categories` is what the <select> offers (perhaps narrowed by a search); any active
    category is accepted. `found_places` are the results of a place search, offered as
    radio buttons. The category's questions are asked once the category is known: from
    `?category=` or from a first submission (then the form asks them and is sent again)."""

    HOME, OTHER = "home", "other"

    category = forms.IntegerField(label=_("What is it about?"), widget=forms.Select)
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What is wrong, since when, and what you would like done."),
    )
    where = forms.ChoiceField(label=_("Where?"), widget=forms.RadioSelect)
    place_code = forms.CharField(
        label=_("Code of the place"),
        max_length=32,
        required=False,
        help_text=_("If you know it: the code of the building, community or street."),
    )
    place = forms.IntegerField(label=_("Place found"), required=False, widget=forms.RadioSelect)
    address = forms.CharField(
        label=_("Address or landmark"),
        max_length=300,
        required=False,
        help_text=_("For example: the lamp post at the east gate of the courtyard."),
    )
    latitude = forms.DecimalField(
        label=_("Latitude"),
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
    )
    longitude = forms.DecimalField(
        label=_("Longitude"),
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=40)
    # The page carries `questions_for`: the category whose questions it showed (see clean).

    def __init__(
        self,
        *args: Any,
        home: Place | None,
        categories: list[ServiceCategory],
        found_places: list[Place],
        chosen_category: ServiceCategory | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.home = home
        self.found_places = found_places
        self.chosen_category = chosen_category
        self.fields["category"].widget.choices = grouped_choices(categories)
        where: list[tuple[str, Any]] = [(self.OTHER, _("Another place"))]
        if home is not None:
            where.insert(0, (self.HOME, _("My home: %(home)s") % {"home": home.display_name}))
        self.fields["where"].choices = where  # type: ignore[attr-defined]
        self.fields["place"].widget.choices = [
            (
                p.pk,
                f"{p.display_name} · {p.get_kind_display()}"
                + (f" · {p.parent.display_name}" if p.parent else ""),
            )
            for p in found_places
        ]
        self.question_codes: list[str] = []
        if chosen_category is not None:
            self._add_questions(chosen_category)
        self.fields["photos"] = photos_field()

    def _add_questions(self, category: ServiceCategory) -> None:
        for question in category.attributes:
            code = str(question.get("code", ""))
            if not CODE_PATTERN.match(code):
                continue
            label = localized_name(
                str(question.get("description") or code), str(question.get("description_en") or "")
            )
            required = bool(question.get("required"))
            datatype = question.get("datatype", "string")
            field: forms.Field
            if datatype == "number":
                field = forms.DecimalField(label=label, required=required, max_digits=15)
            elif datatype == "singlevaluelist":
                values = [
                    (str(v.get("key")), str(v.get("name") or v.get("key")))
                    for v in question.get("values", [])
                ]
                field = forms.ChoiceField(
                    label=label, required=required, choices=[("", "—"), *values]
                )
            else:
                field = forms.CharField(label=label, required=required, max_length=500)
            self.fields[f"attr_{code}"] = field
            self.question_codes.append(code)

    @property
    def question_fields(self) -> list[forms.BoundField]:
        return [self[f"attr_{code}"] for code in self.question_codes]

    def clean_idempotency_key(self) -> str:
        key = self.cleaned_data["idempotency_key"]
        if not KEY_PATTERN.match(key):
            raise forms.ValidationError(_("This form is out of date: please send it again."))
        return key

    def clean_category(self) -> ServiceCategory:
        category = ServiceCategory.objects.active().filter(pk=self.cleaned_data["category"]).first()
        if category is None:
            raise forms.ValidationError(_("Choose a category from the list."))
        return category

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("where"):
            data["place"] = self._clean_place(data)
        category = data.get("category")
        if self.question_codes and str(self.data.get("questions_for")) != str(
            getattr(category, "pk", None)
        ):
            # The questions were not on the page that was sent: ask them, blame no answer.
            for code in self.question_codes:
                self.errors.pop(f"attr_{code}", None)
            raise forms.ValidationError(
                _("This category asks a few more questions: answer them below and send again.")
            )
        return data

    def _clean_place(self, data: dict[str, Any]) -> Place | None:
        place: Place | None
        if data["where"] == self.HOME:
            if data.get("place") or data.get("place_code"):
                self.add_error("where", _("Choose “another place” to raise it elsewhere."))
                return None
            place = self.home
        elif data.get("place"):
            place = place_candidates(self.home).filter(pk=data["place"]).first()
            if place is None:
                self.add_error("place", _("Choose one of the places found."))
                return None
        elif data.get("place_code"):
            place = Place.objects.filter(code=data["place_code"].strip()).first()
            if place is None:
                self.add_error("place_code", _("No place has this code."))
                return None
        else:
            self.add_error(
                "place_code", _("Give the code of the place, or search for it and choose it.")
            )
            return None
        if place is not None and place.kind in TOO_HIGH:
            self.add_error(
                "place_code", _("Choose a street, a community or a building, not a whole district.")
            )
            return None
        return place

    def similar_query(self) -> tuple[str, Place, ServiceCategory] | None:
        """(description, place, category) to look for similar demands with, read from a
        bound form as far as it is filled in (its errors are not shown: see
        views_resident.demand_create); None until all three are there."""
        self.is_valid()
        data = self.cleaned_data
        text, place, category = data.get("description"), data.get("place"), data.get("category")
        if text and isinstance(place, Place) and isinstance(category, ServiceCategory):
            return text, place, category
        return None

    def values_as_sent(self) -> dict[str, Any]:
        """The bound form's raw values, as `initial` for a fresh unbound form that shows
        them without errors (photos cannot be sent back to a browser)."""
        return {
            name: self.data.get(name)
            for name in self.fields
            if name != "photos" and self.data.get(name) not in (None, "")
        }

    def submission(self) -> dict[str, Any]:
        """Keyword arguments for actions.submit_demand."""
        data = self.cleaned_data
        return {
            "category": data["category"],
            "place": data["place"],
            "photos": data.get("photos") or [],
            "description": data["description"],
            "address": data["address"],
            "latitude": data["latitude"],
            "longitude": data["longitude"],
            "attributes": {
                code: str(data[f"attr_{code}"])
                for code in self.question_codes
                if data.get(f"attr_{code}") not in (None, "")
            },
        }


# ── Action forms on a demand's page ─────────────────────────────────────────────────────


class ActionForm(forms.Form):
    """An action's form: ids are prefixed with the action so that several forms share a
    page without clashing; the field names stay plain."""

    def __init__(self, *args: Any, slug: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{slug}_%s")
        super().__init__(*args, **kwargs)
        self.slug = slug


def _text(label: Any, *, required: bool = True, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=TEXT_MAX,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class NoFieldsForm(ActionForm):
    pass


class AnswerForm(ActionForm):
    answer = _text(_("Answer"), rows=4)


class ReasonForm(ActionForm):
    reason = _text(_("Reason"))


class ReplyForm(ActionForm):
    reply = _text(_("Reply: what was done"), rows=5)


class ContactForm(ActionForm):
    note = forms.CharField(
        label=_("Note on the contact (optional)"), max_length=TEXT_MAX, required=False
    )


class EvaluateForm(ActionForm):
    resolved = forms.TypedChoiceField(
        label=_("Is the problem resolved?"),
        choices=[("yes", _("Yes, resolved")), ("no", _("No, not resolved"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    satisfaction = forms.ChoiceField(
        label=_("How satisfied are you?"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    comment = _text(_("Comment (optional)"), required=False)


class ExtensionForm(ActionForm):
    until = forms.DateField(
        label=_("New reply date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = _text(_("Why more time is needed"))

    def until_datetime(self) -> datetime:
        """The end of the chosen day, in the local time zone."""
        return timezone.make_aware(datetime.combine(self.cleaned_data["until"], time(23, 59)))


class DecideExtensionForm(ActionForm):
    APPROVE, REFUSE = "approve", "refuse"
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[(APPROVE, _("Approve")), (REFUSE, _("Refuse"))]
    )


class MergeForm(ActionForm):
    primary = forms.IntegerField(
        label=_("Number of the demand this one duplicates"), min_value=1, max_value=10**15
    )

    def __init__(self, *args: Any, candidates: QuerySet[Demand], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = candidates

    def clean_primary(self) -> Demand:
        primary = self.candidates.filter(pk=self.cleaned_data["primary"]).first()
        if primary is None:
            raise forms.ValidationError(_("You have no other demand with this number."))
        return primary


class DispatchForm(ActionForm):
    """Dispatch by the responsibility table (no unit chosen) or to a unit chosen among the
    active organizations of the demand's district. The <select> lists the first
    UNITS_SHOWN of `listed` (narrowed by a name search); any candidate is accepted."""

    organization = forms.IntegerField(
        label=_("Unit"),  # a <select> of UNITS_SHOWN units; any candidate is accepted
        required=False,
        widget=forms.Select,
        help_text=_("Leave on automatic to send it to the unit the responsibility table names."),
    )

    def __init__(self, *args: Any, candidates: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = candidates
        self.list_units([])

    def list_units(self, listed: list[Organization]) -> None:
        """The units the <select> offers (the form is being shown)."""
        self.fields["organization"].widget.choices = [
            ("", _("Automatic, by the responsibility table")),
            *((org.pk, org.display_name) for org in listed),
        ]

    def clean_organization(self) -> Organization | None:
        pk = self.cleaned_data["organization"]
        if pk is None:
            return None
        organization = self.candidates.filter(pk=pk).first()
        if organization is None:
            raise forms.ValidationError(_("Choose an active unit of this district."))
        return organization
