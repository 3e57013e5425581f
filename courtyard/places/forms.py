from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from courtyard.places.models import ADMINISTRATIVE_KINDS, Place, prefix_range


class PlaceSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find your street, community or village"),
        max_length=50,
        help_text=_("The beginning of its name, such as 草厂 or 学院路, or its 12-digit code."),
    )

    def results(self) -> list[Place]:
        """Places whose code is `q`, or whose name starts with it (an indexed prefix match),
        among the administrative levels; at most 20."""
        q = self.cleaned_data["q"].strip()
        by_code = list(Place.objects.filter(code=q)[:1])
        if by_code:
            return by_code
        low, high = prefix_range(q)
        return list(
            Place.objects.filter(
                name__gte=low, name__lt=high, kind__in=sorted(ADMINISTRATIVE_KINDS)
            )
            .select_related("parent")
            .order_by("name", "pk")[:20]
        )
