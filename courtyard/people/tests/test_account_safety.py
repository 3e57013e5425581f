"""Password changes end API tokens; a new token is shown once; lockouts count per client
behind a proxy; the admin cannot hand a token to someone else."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory

from conftest import PASSWORD
from courtyard.people.actions import issue_token
from courtyard.people.admin import ApiTokenAdmin
from courtyard.people.lockout import client_ip
from courtyard.people.models import ApiToken


def test_changing_the_password_revokes_every_token(personas, client_for):
    user = personas.resident
    _, raw = issue_token(user, by=user, name="script")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/me").status_code == 200

    response = client_for(user).post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-longer-passphrase-2026",
            "new_password2": "a-much-longer-passphrase-2026",
        },
    )

    assert response.status_code == 302
    assert api.get("/api/v1/me").status_code == 401
    assert not ApiToken.objects.usable().filter(user=user).exists()


def test_a_new_token_is_shown_once_and_a_reload_creates_nothing(personas, client_for):
    client = client_for(personas.resident)
    response = client.post("/accounts/tokens/", {"name": "报表"})
    assert response.status_code == 302
    shown = client.get("/accounts/").content.decode()
    token = ApiToken.objects.get(user=personas.resident)
    assert 'id="new-token"' in shown and token.prefix in shown
    again = client.get("/accounts/").content.decode()
    assert 'id="new-token"' not in again
    assert ApiToken.objects.filter(user=personas.resident).count() == 1


@pytest.mark.parametrize(
    ("behind_proxy", "forwarded", "expected"),
    [
        (False, "203.0.113.9", "10.0.0.1"),  # not behind a proxy: the header is ignored
        (True, "198.51.100.7, 203.0.113.9", "203.0.113.9"),  # the hop our proxy appended
        (True, "", "10.0.0.1"),
    ],
)
def test_lockouts_count_per_client_address(settings, behind_proxy, forwarded, expected):
    settings.BEHIND_PROXY = behind_proxy
    request = RequestFactory().post(
        "/accounts/login/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded
    )
    assert client_ip(request) == expected


def test_the_token_admin_is_read_only(personas):
    from django.contrib.admin.sites import site

    admin = ApiTokenAdmin(ApiToken, site)
    request = RequestFactory().get("/admin/")
    request.user = AnonymousUser()
    assert not admin.has_add_permission(request)
    assert not admin.has_delete_permission(request)
    assert set(admin.get_readonly_fields(request)) >= {"user", "expires_at", "revoked_at"}
