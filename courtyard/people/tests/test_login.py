"""The web login: language cookie, wrong passwords, lockout, logout, password change, and
argon2 as the password hasher."""

from __future__ import annotations

import pytest
from axes.utils import reset
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.test import Client

from config import settings as project_settings
from conftest import PASSWORD, make_user
from courtyard.people.models import User

LOGIN = "/accounts/login/"
ACCOUNT = "/accounts/"
NEW_PASSWORD = "a-new-and-longer-passphrase"


@pytest.fixture(autouse=True)
def clean_axes(db):  # type: ignore[no-untyped-def]
    reset()
    yield
    reset()


@pytest.fixture
def real_hashing(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS


@pytest.fixture
def user(db) -> User:  # type: ignore[no-untyped-def]
    return make_user("wang", display_name="王秀兰", preferred_language="en")


def browser() -> Client:
    return Client(headers={"Accept-Language": "en"})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def log_in(client: Client, password: str, username: str = "wang"):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": username, "password": password})


def test_the_login_page_shows_the_form(db):
    response = browser().get(LOGIN)

    assert response.status_code == 200
    assert 'name="username"' in response.text
    assert 'name="password"' in response.text
    assert 'name="csrfmiddlewaretoken"' in response.text


def test_login_redirects_to_the_account_and_sets_the_language_cookie(user):
    client = browser()

    response = log_in(client, PASSWORD)

    assert response.status_code == 302
    assert response.url == ACCOUNT
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 365 * 24 * 3600
    assert logged_in(client)
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.get(ACCOUNT).status_code == 200


def test_login_follows_a_safe_next_and_ignores_an_offsite_one(user):
    client = browser()
    response = client.post(LOGIN, {"username": "wang", "password": PASSWORD, "next": "/places/"})
    assert response.url == "/places/"

    other = browser()
    response = other.post(
        LOGIN, {"username": "wang", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.url == ACCOUNT


def test_the_language_cookie_follows_the_persons_preference(db):
    make_user("li", preferred_language="zh-hans")

    response = log_in(browser(), PASSWORD, username="li")

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_a_wrong_password_shows_an_error_and_starts_no_session(user):
    client = browser()

    response = log_in(client, "not-my-password")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Please enter a correct username and password. Note that both fields may be case-sensitive."
    ]
    assert 'role="alert"' in response.text
    assert not logged_in(client)
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_a_logged_in_visitor_is_sent_on_from_the_login_page(user):
    client = browser()
    client.force_login(user)

    response = client.get(LOGIN)

    assert response.status_code == 302
    assert response.url == ACCOUNT


def test_after_the_failure_limit_even_the_right_password_shows_the_lockout_page(user):
    client = browser()
    for attempt in range(1, settings.AXES_FAILURE_LIMIT):
        assert log_in(client, f"wrong-{attempt}").status_code == 200

    locking = log_in(client, "wrong-last")
    right = log_in(client, PASSWORD)

    for response in (locking, right):
        assert response.status_code == 429
        assert "people/locked_out.html" in [t.name for t in response.templates]
        assert "Too many failed logins" in response.text
        assert "This account is locked for a while" in response.text
    assert not logged_in(client)


def test_the_lockout_is_per_account(user):
    make_user("li")
    client = browser()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"wrong-{attempt}")

    response = log_in(client, PASSWORD, username="li")

    assert response.status_code == 302
    assert logged_in(client)


def test_a_success_before_the_limit_resets_the_failures(user):
    client = browser()
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, f"wrong-{attempt}")
    assert log_in(client, PASSWORD).status_code == 302
    client.post("/accounts/logout/")

    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, f"again-{attempt}").status_code == 200
    assert log_in(client, PASSWORD).status_code == 302


def test_logout_is_a_post_that_ends_the_session(user):
    client = browser()
    log_in(client, PASSWORD)

    refused = client.get("/accounts/logout/")
    assert refused.status_code == 405
    assert logged_in(client)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response.url == "/"
    assert not logged_in(client)
    account = client.get(ACCOUNT)
    assert account.status_code == 302
    assert account.url == f"{LOGIN}?next={ACCOUNT}"


def test_password_change_needs_a_login(db):
    response = browser().get("/accounts/password/")

    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next=/accounts/password/"


def test_password_change_flow_keeps_the_session_and_the_new_password_works(user):
    client = browser()
    log_in(client, PASSWORD)
    assert client.get("/accounts/password/").status_code == 200

    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert response.url == "/accounts/password/done/"
    assert client.get("/accounts/password/done/").status_code == 200
    assert logged_in(client)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not user.check_password(PASSWORD)
    assert log_in(browser(), NEW_PASSWORD).status_code == 302
    assert log_in(browser(), PASSWORD).status_code == 200


def test_password_change_with_a_wrong_old_password_changes_nothing(user):
    client = browser()
    log_in(client, PASSWORD)

    response = client.post(
        "/accounts/password/",
        {
            "old_password": "not-it",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["old_password"] == [
        "Your old password was entered incorrectly. Please enter it again."
    ]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_refuses_a_weak_password(user):
    client = browser()
    log_in(client, PASSWORD)

    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )

    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_passwords_are_hashed_with_argon2(real_hashing, user):
    assert project_settings.PASSWORD_HASHERS[0] == (
        "django.contrib.auth.hashers.Argon2PasswordHasher"
    )
    assert user.password.startswith("argon2$argon2id$")


def test_an_older_hash_is_upgraded_to_argon2_at_login(real_hashing, user):
    User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))

    assert log_in(browser(), PASSWORD).status_code == 302

    user.refresh_from_db()
    assert user.password.startswith("argon2")


def test_a_language_chosen_before_logging_in_is_kept(user):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
