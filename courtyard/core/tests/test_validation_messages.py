"""API validation errors name the field and say what it must be, in the reader's language."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Some input is not valid: limit: must be at most 200"),
        ("zh-hans", "limit: 不能大于200"),
    ],
)
def test_a_limit_out_of_range_is_explained(language, expected):
    response = Client(HTTP_ACCEPT_LANGUAGE=language).get("/api/v1/places?limit=999")
    assert response.status_code == 422
    assert expected in response.json()["detail"]


@pytest.mark.django_db
def test_every_bad_field_is_named():
    detail = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/places?parent=x&limit=0").json()
    assert "parent: must be a whole number" in detail["detail"]
    assert "limit: must be at least 1" in detail["detail"]
