"""Forms of the staff pages: the triage queue's filters and bulk actions, recording a demand
on behalf of someone, the unit inbox's tabs. Every filter is a whitelisted field."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from courtyard.core.text import localized_name
from courtyard.demands.models import Channel, ServiceCategory, Status
from courtyard.demands.photos import photos_field
from courtyard.organizations.models import Organization
from courtyard.people.scopes import administers
from courtyard.places.models import Place

# The triage queue by default: what waits for the community.
TRIAGE_STATUSES = (Status.SUBMITTED, Status.ACCEPTED)
# The unit inbox's tabs: to sign for, to contact the requester, to reply.
INBOX_TABS = (Status.DISPATCHED, Status.SIGNED, Status.CONTACTED)
# Channels staff record on someone's behalf.
RECORDED_CHANNELS = (Channel.PHONE, Channel.WALK_IN, Channel.GRID_PATROL)
# At most this many demands in one bulk action (two pages of the queue).
BULK_MAX = 100

# Standard answers for "answer directly" (consultations). settings.DEMANDS["ANSWER_TEMPLATES"]
# replaces the list: items are {"code", "zh", "en"} (or plain strings).
DEFAULT_ANSWER_TEMPLATES: list[dict[str, str]] = [
    {
        "code": "answered-by-phone",
        "zh": "您好，您咨询的问题社区工作人员已电话答复。如仍有疑问，欢迎再次联系社区居委会。",
        "en": (
            "Hello, a community worker has answered your question by phone. If anything is "
            "still unclear, please contact the community committee again."
        ),
    },
    {
        "code": "office-hours",
        "zh": "您好，社区居委会工作日 9:00–17:00 对外办公，地址见社区公示栏，欢迎前来办理。",
        "en": (
            "Hello, the community committee is open on working days from 9:00 to 17:00; its "
            "address is on the community notice board. You are welcome to come by."
        ),
    },
    {
        "code": "policy",
        "zh": (
            "您好，相关政策可在北京市人民政府网站（www.beijing.gov.cn）“政策文件”栏目查询；"
            "办理时请携带身份证件到社区服务站。"
        ),
        "en": (
            "Hello, the rules that apply are published on the Beijing government's website "
            "(www.beijing.gov.cn, under policy documents); to apply, bring your ID card to the "
            "community service station."
        ),
    },
]


def answer_templates() -> list[tuple[str, str]]:
    """(code, text in the active language) of the configured standard answers."""
    configured = getattr(settings, "DEMANDS", {}).get("ANSWER_TEMPLATES", DEFAULT_ANSWER_TEMPLATES)
    templates = []
    for i, item in enumerate(configured):
        if isinstance(item, str):
            templates.append((str(i), item))
        else:
            zh = item.get("zh") or item.get("zh-hans") or ""
            text = localized_name(zh, item.get("en", "")) or item.get("en", "")
            templates.append((str(item.get("code", i)), text))
    return [(code, text) for code, text in templates if text]


def category_labels(categories: Sequence[ServiceCategory]) -> dict[int, str]:
    """Each category's name with its ancestors' (市政设施 › 路灯不亮), from one list."""
    by_pk = {c.pk: c for c in categories}
    labels = {}
    for category in categories:
        names, seen = [], set()
        current: ServiceCategory | None = category
        while current is not None and current.pk not in seen:
            seen.add(current.pk)
            names.append(current.display_name)
            current = by_pk.get(current.parent_id) if current.parent_id else None
        labels[category.pk] = " › ".join(reversed(names))
    return labels


def category_and_below(categories: Sequence[ServiceCategory], pk: int) -> set[int]:
    """The category and every category under it (a catalogue is a few levels deep)."""
    chosen = {pk}
    grew = True
    while grew:
        below = {c.pk for c in categories if c.parent_id in chosen} - chosen
        chosen |= below
        grew = bool(below)
    return chosen


class TriageFilterForm(forms.Form):
    """The only filters the triage queue accepts."""

    OPEN = "open"
    status = forms.ChoiceField(label=_("Status"), required=False)
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False)
    place = forms.IntegerField(label=_("Place"), required=False, min_value=1, widget=forms.Select)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(
        self,
        *args: Any,
        user: Any,
        categories: Sequence[ServiceCategory],
        places: Sequence[Place],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            ("", _("To triage (submitted or accepted)")),
            (self.OPEN, _("All open")),
            *Status.choices,
        ]
        labels = category_labels(categories)
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", _("All categories")),
            *sorted(labels.items(), key=lambda item: item[1]),
        ]
        self.fields["place"].widget.choices = [
            ("", _("All my places")),
            *((p.pk, p.display_name) for p in places),
        ]

    def clean_place(self) -> Place | None:
        """A place the user administers; any other id, existing or not, is the same error."""
        pk = self.cleaned_data["place"]
        if pk is None:
            return None
        place = Place.objects.filter(pk=pk).first()
        if place is None or not administers(self.user, place.path):
            raise forms.ValidationError(_("Choose one of the places you administer."))
        return place


class IdListField(forms.Field):
    """Demand ids ticked in a list: digits only, each once, at most BULK_MAX."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        if not all(isinstance(v, str) and v.isascii() and v.isdigit() for v in values):
            raise forms.ValidationError(_("Choose demands from the list."))
        ids = list(dict.fromkeys(int(v) for v in values))
        if len(ids) > BULK_MAX:
            raise forms.ValidationError(
                _("Choose at most %(max)d demands at a time.") % {"max": BULK_MAX}
            )
        return ids

    def validate(self, value: Any) -> None:
        if not value:
            raise forms.ValidationError(_("Tick the demands to act on."))


class BulkActionForm(forms.Form):
    """One action on the ticked demands of the triage queue."""

    ACCEPT, DISPATCH, ANSWER = "accept", "dispatch", "answer"
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            (ACCEPT, _("Accept")),
            (DISPATCH, _("Dispatch by the responsibility table")),
            (ANSWER, _("Answer directly (a consultation)")),
        ],
    )
    ids = IdListField(label=_("Demands"))
    answer = forms.CharField(
        label=_("Answer"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For “answer directly”: write it, or leave it empty and choose a standard one."
        ),
    )
    template = forms.ChoiceField(label=_("Standard answer"), required=False)

    def __init__(self, *args: Any, templates: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.templates = dict(templates)
        self.fields["template"].choices = [  # type: ignore[attr-defined]
            ("", _("None")),
            *templates,
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == self.ANSWER:
            text = (data.get("answer") or "").strip() or self.templates.get(
                data.get("template") or "", ""
            )
            if not text:
                self.add_error("answer", _("Write an answer or choose a standard one."))
            data["answer"] = text
        return data


PHONE_RE = re.compile(r"^\+?\d{7,15}$")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


class RecordDemandForm(forms.Form):
    """A demand taken by phone, at the counter or on a grid patrol, for someone else."""

    channel = forms.ChoiceField(
        label=_("How it came in"),
        choices=[(c.value, c.label) for c in RECORDED_CHANNELS],
    )
    requester_name = forms.CharField(label=_("Requester's name"), max_length=100, required=False)
    requester_phone = forms.CharField(
        label=_("Requester's phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text=_("Needed for a phone demand: the unit calls the requester back."),
    )
    place = forms.CharField(
        label=_("Place code"),
        max_length=32,
        widget=forms.TextInput(attrs={"list": "place-options", "autocomplete": "off"}),
        help_text=_("The code of the courtyard, building or community; find it above."),
    )
    category = forms.TypedChoiceField(label=_("Category"), coerce=int)
    description = forms.CharField(
        label=_("What is the problem?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    address = forms.CharField(label=_("Address or landmark"), max_length=300, required=False)
    # One form, one demand: a double-submitted form is recorded once (see submit_demand).
    key = forms.RegexField(regex=r"^[0-9a-f]{32}$", required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, user: Any, categories: Sequence[ServiceCategory], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.categories = {c.pk: c for c in categories if c.is_active}
        labels = category_labels(categories)
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose a category")),
            *sorted(((pk, labels[pk]) for pk in self.categories), key=lambda item: item[1]),
        ]
        # The chosen category's extra questions: asked once it is chosen (no JavaScript).
        raw = str(self.data.get("category", "")) if self.is_bound else ""
        self.chosen = self.categories.get(int(raw)) if raw.isascii() and raw.isdigit() else None
        self.question_codes: list[str] = []
        for question in self.chosen.attributes if self.chosen else []:
            self._add_question(question)
        # Photos the requester handed over (a grid patrol's own): not part of the
        # idempotency key, which `submission()` feeds (see views_staff._record_key).
        self.fields["photos"] = photos_field()

    def _add_question(self, question: dict[str, Any]) -> None:
        code = str(question.get("code", ""))
        if not CODE_PATTERN.match(code):
            return
        label = localized_name(
            str(question.get("description") or code), str(question.get("description_en") or "")
        )
        required = bool(question.get("required"))
        field: forms.Field
        if question.get("datatype") == "number":
            field = forms.DecimalField(label=label, required=required, max_digits=15)
        elif question.get("datatype") == "singlevaluelist":
            values = [
                (
                    str(v.get("key")),
                    localized_name(str(v.get("name") or v.get("key")), str(v.get("name_en") or "")),
                )
                for v in question.get("values", [])
            ]
            field = forms.ChoiceField(label=label, required=required, choices=[("", "—"), *values])
        else:
            field = forms.CharField(label=label, required=required, max_length=500)
        self.fields[f"attr_{code}"] = field
        self.question_codes.append(code)

    @property
    def question_fields(self) -> list[forms.BoundField]:
        return [self[f"attr_{code}"] for code in self.question_codes]

    def clean_requester_phone(self) -> str:
        phone = re.sub(r"[\s-]", "", self.cleaned_data["requester_phone"])
        if phone and not PHONE_RE.match(phone):
            raise forms.ValidationError(_("Write the phone number with digits only."))
        return phone

    def clean_place(self) -> Place:
        """A place the user administers. An unknown code and a place elsewhere get the same
        answer: staff cannot learn what lies outside their scope."""
        place = Place.objects.filter(code=self.cleaned_data["place"].strip()).first()
        if place is None or not administers(self.user, place.path):
            raise forms.ValidationError(
                _("No place with this code was found among the places you administer.")
            )
        return place

    def clean_category(self) -> ServiceCategory:
        return self.categories[self.cleaned_data["category"]]  # the choices hold only these

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        missing_phone = not data.get("requester_phone") and "requester_phone" not in self.errors
        if data.get("channel") == Channel.PHONE and missing_phone:
            self.add_error("requester_phone", _("A phone demand needs the caller's phone number."))
        asked = self.chosen and str(self.data.get("questions_for")) == str(self.chosen.pk)
        if self.question_codes and not asked:
            # The questions were not on the page that was sent: ask them, blame no answer.
            for code in self.question_codes:
                self.errors.pop(f"attr_{code}", None)
            raise forms.ValidationError(
                _("This category asks a few more questions: answer them below and send again.")
            )
        return data

    def submission(self) -> dict[str, Any]:
        """Keyword arguments for actions.submit_demand."""
        data = self.cleaned_data
        names = ("channel", "requester_name", "requester_phone", "place", "category")
        return {
            **{name: data[name] for name in names},
            "description": data["description"],
            "address": data["address"],
            "attributes": {
                code: str(data[f"attr_{code}"])
                for code in self.question_codes
                if data.get(f"attr_{code}") not in (None, "")
            },
        }


class InboxFilterForm(forms.Form):
    """The inbox's tab and, for those who handle several units, the unit."""

    tab = forms.ChoiceField(
        label=_("Step"),
        required=False,
        choices=[("", "")] + [(s.value, s.label) for s in INBOX_TABS],
    )
    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int, required=False)

    def __init__(self, *args: Any, units: Sequence[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [  # type: ignore[attr-defined]
            ("", _("All my units")),
            *((u.pk, u.display_name) for u in units),
        ]
