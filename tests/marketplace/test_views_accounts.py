"""Sign-up, log-in and log-out pages."""

import pytest
from django.urls import reverse

from marketplace.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _signup_data(**overrides):
    data = {
        "username": "ada",
        "email": "ada@example.com",
        "display_name": "Ada L.",
        "password1": "Analytical-Engine-1843",
        "password2": "Analytical-Engine-1843",
    }
    return {**data, **overrides}


def test_signup_page_renders(client):
    response = client.get(reverse("signup"))

    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_signup_creates_the_user_and_logs_them_in(client):
    response = client.post(reverse("signup"), _signup_data())

    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    user = User.objects.get(username="ada")
    assert user.display_name == "Ada L."
    assert int(client.session["_auth_user_id"]) == user.pk


def test_signup_refuses_a_duplicate_username_on_its_field(client):
    UserFactory(username="ada")

    response = client.post(reverse("signup"), _signup_data(username="ADA"))

    assert response.status_code == 200
    assert "A user with that username already exists." in response.context["form"].errors["username"]
    assert User.objects.filter(username__iexact="ada").count() == 1
    assert "_auth_user_id" not in client.session


def test_signup_refuses_a_weak_password_on_the_password_field(client):
    response = client.post(reverse("signup"), _signup_data(password1="12345678", password2="12345678"))

    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert b'aria-invalid="true"' in response.content
    assert not User.objects.filter(username="ada").exists()


def test_signup_refuses_passwords_that_differ(client):
    response = client.post(reverse("signup"), _signup_data(password2="Something-Else-99"))

    assert response.context["form"].errors["password2"]
    assert not User.objects.filter(username="ada").exists()


def test_signup_sends_a_logged_in_user_to_the_dashboard(client, user):
    client.force_login(user)

    response = client.get(reverse("signup"))

    assert response.status_code == 302
    assert response.url == reverse("dashboard")


def test_login_page_renders_and_logs_in(client):
    user = UserFactory()

    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("dashboard")


def test_login_with_a_wrong_password_shows_an_error(client):
    user = UserFactory()

    response = client.post(reverse("login"), {"username": user.username, "password": "wrong"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_that_ends_the_session(client, user):
    client.force_login(user)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert "_auth_user_id" not in client.session


def test_every_page_has_the_language_switcher(client):
    response = client.get(reverse("login"))

    assert reverse("set_language").encode() in response.content
    assert b'value="nl"' in response.content
