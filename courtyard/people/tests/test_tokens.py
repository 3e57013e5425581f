"""API tokens: only the hash is stored, every token expires, a revoked one never works, the
token endpoint is locked after repeated wrong passwords, and a session-cookie write without a
CSRF token counts as anonymous."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from axes.utils import reset
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.utils import timezone, translation

from conftest import PASSWORD
from courtyard.core.errors import Conflict
from courtyard.core.models import AuditEvent
from courtyard.people.actions import authenticate_token, issue_token, revoke_token
from courtyard.people.middleware import BearerTokenMiddleware
from courtyard.people.models import ApiToken

ME = "/api/v1/me"
TOKEN = "/api/v1/auth/token"
EXPIRED = "This API token has expired. Ask for a new one at POST /api/v1/auth/token."
REVOKED = "This API token was revoked. Ask for a new one at POST /api/v1/auth/token."
INVALID = "This API token is not valid."
MALFORMED = "Use the header Authorization: Bearer <token>."
LOCKED = "Too many failed logins: this account is locked for a while. Try again later."


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def clean_axes(db):  # type: ignore[no-untyped-def]
    reset()
    yield
    reset()


def api(raw: str | None = None, **headers: str) -> Client:
    """An API client in English, sending the bearer token if given."""
    if raw is not None:
        headers["Authorization"] = f"Bearer {raw}"
    return Client(headers={"Accept-Language": "en", **headers})


# --- issuing ---------------------------------------------------------------------------


def test_issue_token_stores_only_the_sha256_of_the_key(personas):
    token, raw = issue_token(personas.here, by=personas.here, name=" script ")

    assert raw.startswith("cy_")
    assert len(raw) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert stored.prefix == raw[:10]
    assert stored.name == "script"
    assert raw not in {str(v) for v in ApiToken.objects.filter(pk=token.pk).values().get().values()}
    lifetime = stored.expires_at - stored.created_at
    assert abs(lifetime - settings.API_TOKEN_LIFETIME) < datetime.timedelta(seconds=5)
    assert stored.revoked_at is None


def test_issue_token_is_audited_without_the_key(personas):
    token, raw = issue_token(personas.here, by=personas.here)

    event = AuditEvent.objects.for_object(token).get()
    assert event.verb == "issue_token"
    assert event.actor == personas.here
    assert event.changes == {}
    assert raw not in event.target_repr
    assert raw not in str(event.changes)


def test_two_tokens_have_different_keys(personas):
    first = issue_token(personas.here, by=None)[1]
    second = issue_token(personas.here, by=None)[1]

    assert first != second


# --- using a token ---------------------------------------------------------------------


def test_a_token_authenticates_get_me(city, personas):
    _token, raw = issue_token(personas.here, by=personas.here)

    response = api(raw).get(ME)

    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "worker-here"
    assert body["display_name"] == "李社工"
    assert body["preferred_language"] == "zh-hans"
    assert body["roles"] == [
        {
            "kind": "community_worker",
            "place_id": city.community.pk,
            "place_name": "Caochang Community",
            "organization_id": None,
            "organization_name": None,
            "starts_on": str(timezone.localdate()),
            "ends_on": None,
        }
    ]


def test_using_a_token_records_when_it_was_last_used(personas):
    token, raw = issue_token(personas.here, by=None)

    api(raw).get(ME)

    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < datetime.timedelta(minutes=1)


def test_without_a_token_or_session_me_is_401(db):
    response = api().get(ME)

    assert response.status_code == 401
    assert response.json() == {"detail": "Log in, or send Authorization: Bearer <token>."}


def test_an_expired_token_is_401_saying_it_expired(personas):
    token, raw = issue_token(personas.here, by=None)
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    response = api(raw).get(ME)

    assert response.status_code == 401
    assert response.json() == {"detail": EXPIRED}
    assert authenticate_token(raw) == (None, EXPIRED)


def test_a_revoked_token_is_401(personas):
    token, raw = issue_token(personas.here, by=None)
    revoke_token(token, by=personas.here)

    response = api(raw).get(ME)

    assert response.status_code == 401
    assert response.json() == {"detail": REVOKED}


def test_an_unknown_token_is_401(db):
    response = api("cy_this-token-was-never-issued").get(ME)

    assert response.status_code == 401
    assert response.json() == {"detail": INVALID}


def test_the_token_of_a_disabled_account_is_401(personas):
    _token, raw = issue_token(personas.here, by=None)
    personas.here.is_active = False
    personas.here.save(update_fields=["is_active"])

    response = api(raw).get(ME)

    assert response.status_code == 401
    assert response.json() == {"detail": "This account is disabled."}


@pytest.mark.parametrize(
    "header", ["Token abc", "Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "cy_abc"]
)
def test_a_malformed_authorization_header_is_401(personas, header):
    response = api(Authorization=header).get(ME)

    assert response.status_code == 401
    assert response.json() == {"detail": MALFORMED}


def test_a_bad_token_is_401_even_with_a_valid_session(personas):
    client = api("cy_nonsense")
    client.force_login(personas.here)

    response = client.get(ME)

    assert response.status_code == 401


def test_the_bearer_scheme_is_case_insensitive(personas):
    _token, raw = issue_token(personas.here, by=None)

    response = api(Authorization=f"bearer {raw}").get(ME)

    assert response.status_code == 200


# --- revoking --------------------------------------------------------------------------


def test_revoke_token_twice_is_a_conflict_and_writes_nothing_more(personas):
    token, _raw = issue_token(personas.here, by=None)
    revoke_token(token, by=personas.here)
    token.refresh_from_db()
    revoked_at = token.revoked_at
    events = AuditEvent.objects.count()

    with pytest.raises(Conflict) as exc:
        revoke_token(token, by=personas.here)

    assert exc.value.message == "This token was already revoked."
    token.refresh_from_db()
    assert token.revoked_at == revoked_at
    assert AuditEvent.objects.count() == events


def test_revoke_token_is_audited(personas):
    token, _raw = issue_token(personas.here, by=None)

    revoke_token(token, by=personas.here)

    token.refresh_from_db()
    event = AuditEvent.objects.for_object(token).first()
    assert event is not None
    assert event.verb == "revoke_token"
    assert event.changes == {"revoked_at": [None, str(token.revoked_at)]}


def test_delete_auth_token_revokes_the_token_used_and_only_it(personas):
    used, raw = issue_token(personas.here, by=None)
    other, other_raw = issue_token(personas.here, by=None)

    response = api(raw).delete(TOKEN)

    assert response.status_code == 204
    used.refresh_from_db()
    other.refresh_from_db()
    assert used.revoked_at is not None
    assert other.revoked_at is None
    assert api(raw).get(ME).status_code == 401
    assert api(other_raw).get(ME).status_code == 200


def test_delete_auth_token_without_a_token_is_401(personas):
    client = api()
    client.force_login(personas.here)

    response = client.delete(TOKEN)

    assert response.status_code == 401
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()


# --- exchanging a password for a token -------------------------------------------------


def post_credentials(username: str, password: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = api().post(
        TOKEN, {"username": username, "password": password}, content_type="application/json"
    )
    return response.status_code, (
        response.json() if response["Content-Type"].startswith("application/json") else {}
    )


def test_good_credentials_give_a_token_that_works(personas):
    status, body = post_credentials("worker-here", PASSWORD)

    assert status == 200
    assert set(body) == {"token", "expires_at"}
    token = ApiToken.objects.get(user=personas.here)
    assert token.key_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    assert token.name == "API"
    me = api(body["token"]).get(ME)
    assert me.status_code == 200
    assert me.json()["username"] == "worker-here"


def test_a_wrong_password_is_401_with_a_detail(personas):
    status, body = post_credentials("worker-here", "wrong-password")

    assert (status, body) == (401, {"detail": "The username or password is wrong."})
    assert not ApiToken.objects.exists()


def test_an_unknown_user_is_401_with_the_same_detail(db):
    status, body = post_credentials("nobody", PASSWORD)

    assert (status, body) == (401, {"detail": "The username or password is wrong."})


def test_missing_credentials_are_422(db):
    response = api().post(TOKEN, {"username": "x"}, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["detail"] == ("Some input is not valid: password: is required")


def test_failures_below_the_limit_do_not_lock(personas):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert post_credentials("worker-here", "wrong-password")[0] == 401

    status, body = post_credentials("worker-here", PASSWORD)

    assert status == 200
    assert "token" in body


def test_after_the_failure_limit_the_right_password_is_refused_with_429_json(personas):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_credentials("worker-here", "wrong-password")

    response = api().post(
        TOKEN,
        {"username": "worker-here", "password": PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 429
    assert response.json() == {"detail": LOCKED}


def test_after_the_failure_limit_the_right_password_gives_no_token(personas):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_credentials("worker-here", "wrong-password")

    response = api().post(
        TOKEN,
        {"username": "worker-here", "password": PASSWORD},
        content_type="application/json",
    )

    assert response.status_code in {403, 429}
    assert not ApiToken.objects.exists()


def test_the_lockout_is_per_account(personas):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_credentials("worker-here", "wrong-password")

    status, _body = post_credentials("street-officer", PASSWORD)

    assert status == 200


# --- CSRF on session-authenticated API writes ------------------------------------------


def run_middleware(request: HttpRequest) -> object:
    seen: dict[str, object] = {}

    def view(req: HttpRequest) -> HttpResponse:
        seen["user"] = req.user
        return HttpResponse("ok")

    BearerTokenMiddleware(view)(request)
    return seen["user"]


def test_a_session_api_write_without_csrf_token_is_treated_as_anonymous(personas):
    request = RequestFactory().post("/api/v1/anything", {})
    request.user = personas.here

    assert isinstance(run_middleware(request), AnonymousUser)


def test_a_session_api_write_with_the_csrf_token_keeps_the_user(personas):
    factory = RequestFactory()
    secret_holder = factory.get("/")
    token = get_token(secret_holder)
    cookie = secret_holder.META["CSRF_COOKIE"]
    request = factory.post("/api/v1/anything", {}, headers={"X-CSRFToken": token})
    request.COOKIES[settings.CSRF_COOKIE_NAME] = cookie
    request.user = personas.here

    assert run_middleware(request) == personas.here


def test_a_session_api_read_needs_no_csrf_token(personas):
    request = RequestFactory().get("/api/v1/anything")
    request.user = personas.here

    assert run_middleware(request) == personas.here


def test_a_bearer_write_needs_no_csrf_token(personas):
    _token, raw = issue_token(personas.above, by=None)
    request = RequestFactory().post(
        "/api/v1/anything", {}, headers={"Authorization": f"Bearer {raw}"}
    )
    request.user = personas.here

    assert run_middleware(request) == personas.above


def test_outside_the_api_the_middleware_leaves_the_user_alone(personas):
    request = RequestFactory().post("/accounts/", {})
    request.user = personas.here

    assert run_middleware(request) == personas.here


def test_delete_with_session_cookie_and_no_csrf_token_revokes_nothing(personas):
    token, raw = issue_token(personas.here, by=None)
    client = Client(enforce_csrf_checks=True, headers={"Accept-Language": "en"})
    client.force_login(personas.here)

    response = client.delete(TOKEN)

    assert response.status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is None
    assert api(raw).get(ME).status_code == 200


def test_a_session_read_of_me_works_without_csrf(personas):
    client = Client(enforce_csrf_checks=True, headers={"Accept-Language": "en"})
    client.force_login(personas.here)

    response = client.get(ME)

    assert response.status_code == 200
    assert response.json()["username"] == "worker-here"
