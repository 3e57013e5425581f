from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        required=False,
        help_text=_("Shown only to you and to the staff who handle your affairs."),
    )
    preferred_language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("What is this token for?"),
        max_length=100,
        required=False,
        help_text=_("For example: the street's reporting script."),
    )
