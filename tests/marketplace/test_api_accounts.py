"""Sign-up, API tokens and the caller's account."""

import pytest
from django.utils import translation
from rest_framework.authtoken.models import Token

from marketplace.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _sign_up(api, **overrides):
    body = {"username": "ana", "email": "ana@example.com", "password": "Correct-Horse-42", **overrides}
    return api.post("/api/v1/accounts/", body, format="json")


def test_sign_up_creates_the_account_and_never_returns_the_password(api):
    # when
    response = _sign_up(api, display_name="Ana B.")

    # then
    assert response.status_code == 201
    body = response.json()
    user = User.objects.get(username="ana")
    assert body == {
        "id": user.pk,
        "username": "ana",
        "email": "ana@example.com",
        "email_verified": False,  # until the link e-mailed to it is followed
        "display_name": "Ana B.",
        "language": "en",  # the sign-up request's
        "time_zone": "UTC",  # the site's, until the account chooses one
    }
    assert user.check_password("Correct-Horse-42")


@pytest.mark.parametrize(
    ("accept_language", "code"), [("zh-TW,zh;q=0.9", "zh-hant"), ("pt-BR", "pt-br"), ("pt", "pt-br"), ("", "en")]
)
def test_sign_up_stores_the_language_the_caller_asked_in(api, accept_language, code):
    # when (the request leaves its language active in this thread: back to the default afterwards)
    with translation.override(None):
        response = api.post(
            "/api/v1/accounts/",
            {"username": "ana", "email": "ana@example.com", "password": "Correct-Horse-42"},
            format="json",
            HTTP_ACCEPT_LANGUAGE=accept_language,
        )

    # then: their notifications and e-mails will be in it
    assert response.status_code == 201
    assert User.objects.get(username="ana").language == code


def test_sign_up_with_a_taken_username_is_400_naming_username(api):
    # given
    UserFactory(username="ana", email="the-first-ana@example.com")

    # when
    response = _sign_up(api, username="ANA")

    # then
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert list(response.json()["errors"]) == ["username"]
    assert User.objects.filter(username__iexact="ana").count() == 1


def test_sign_up_with_a_weak_password_is_400_naming_password(api):
    # when
    response = _sign_up(api, password="12345678")

    # then
    assert response.status_code == 400
    assert "password" in response.json()["errors"]
    assert not User.objects.exists()


def test_sign_up_with_a_bad_email_is_400_naming_email(api):
    # when
    response = _sign_up(api, email="not-an-address")

    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["email"]
    assert not User.objects.exists()


def test_sign_up_reports_every_bad_field_at_once(api):
    # when
    response = _sign_up(api, email="nope", password="123")

    # then
    assert set(response.json()["errors"]) == {"email", "password"}


def test_sign_up_without_fields_is_400_naming_each(api):
    # when
    response = api.post("/api/v1/accounts/", {}, format="json")

    # then
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "email", "password"}


def test_sign_up_ignores_a_bad_token(api):
    # given: a partner sends its stale credentials along
    api.credentials(HTTP_AUTHORIZATION="Token stale")

    # when
    response = _sign_up(api)

    # then
    assert response.status_code == 201


def test_token_is_issued_for_good_credentials(api):
    # given
    user = UserFactory(username="ana")

    # when
    response = api.post("/api/v1/auth/token/", {"username": "ana", "password": PASSWORD}, format="json")

    # then
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}


def test_token_is_the_same_on_a_second_request(api):
    # given
    UserFactory(username="ana")
    first = api.post("/api/v1/auth/token/", {"username": "ana", "password": PASSWORD}, format="json")

    # when
    second = api.post("/api/v1/auth/token/", {"username": "ana", "password": PASSWORD}, format="json")

    # then
    assert first.json() == second.json()


def test_token_works_as_authorization(api):
    # given
    user = UserFactory(username="ana")
    token = api.post("/api/v1/auth/token/", {"username": "ana", "password": PASSWORD}, format="json").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    # when
    response = api.get("/api/v1/me/")

    # then
    assert response.status_code == 200
    assert response.json()["id"] == user.pk


def test_token_with_a_wrong_password_is_400_naming_the_problem(api):
    # given
    UserFactory(username="ana")

    # when
    response = api.post("/api/v1/auth/token/", {"username": "ana", "password": "wrong"}, format="json")

    # then
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == "invalid_credentials"
    assert "username and password" in body["detail"]
    assert not Token.objects.exists()


def test_token_for_a_deactivated_account_is_refused(api):
    # given
    UserFactory(username="ana", is_active=False)

    # when
    response = api.post("/api/v1/auth/token/", {"username": "ana", "password": PASSWORD}, format="json")

    # then
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def test_token_without_password_is_400_naming_password(api):
    # when
    response = api.post("/api/v1/auth/token/", {"username": "ana"}, format="json")

    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["password"]


def test_me_returns_the_callers_account(api_as):
    # given
    user = UserFactory(username="ana", display_name="Ana")

    # when
    response = api_as(user).get("/api/v1/me/")

    # then
    assert response.json() == {
        "id": user.pk,
        "username": "ana",
        "email": user.email,
        "email_verified": True,
        "display_name": "Ana",
        "language": user.language,
        "time_zone": "UTC",  # none chosen yet: the site's
    }


def test_the_caller_changes_their_language_and_their_next_notifications_follow(api_as):
    # given
    user = UserFactory(language="en")
    client = api_as(user)

    # when
    response = client.patch("/api/v1/me/", {"language": "zh-hant"}, format="json")

    # then
    assert response.status_code == 200 and response.json()["language"] == "zh-hant"
    user.refresh_from_db()
    assert user.language == "zh-hant"
    assert client.get("/api/v1/me/").json()["language"] == "zh-hant"


@pytest.mark.parametrize("body", [{"language": "fr"}, {"language": ""}])
def test_an_unknown_language_is_400_and_nothing_changes(api_as, body):
    user = UserFactory(language="nl")

    response = api_as(user).patch("/api/v1/me/", body, format="json")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "language" in response.json()["errors"]
    user.refresh_from_db()
    assert user.language == "nl"


def test_a_change_of_nothing_is_400_and_nothing_changes(api_as):
    user = UserFactory(language="nl")

    response = api_as(user).patch("/api/v1/me/", {}, format="json")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "language" in response.json()["detail"] and "email" in response.json()["detail"]
    user.refresh_from_db()
    assert user.language == "nl"


def test_me_without_credentials_is_401(api):
    # when
    response = api.get("/api/v1/me/")

    # then
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
