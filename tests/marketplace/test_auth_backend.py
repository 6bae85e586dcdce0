"""The session's user is read by a prepared read, with ModelBackend's answers."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.urls import reverse

from marketplace.auth_backends import PreparedModelBackend
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_it_finds_the_same_user_as_model_backend():
    user = UserFactory()

    found = PreparedModelBackend().get_user(str(user.pk))

    assert found == ModelBackend().get_user(user.pk)
    assert {f.attname: getattr(found, f.attname) for f in type(user)._meta.concrete_fields} == {
        f.attname: getattr(user, f.attname) for f in type(user)._meta.concrete_fields
    }


@pytest.mark.parametrize("user_id", ["999999", "not-a-number", None, ""])
def test_no_such_user_is_none(user_id):
    assert PreparedModelBackend().get_user(user_id) is None


def test_an_inactive_user_is_signed_out_on_the_next_request(client):
    user = UserFactory()
    client.force_login(user, backend="marketplace.auth_backends.PreparedModelBackend")
    assert client.get(reverse("dashboard")).status_code == 200

    type(user).objects.filter(pk=user.pk).update(is_active=False)

    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_password_login_uses_it(client):
    user = UserFactory()
    user.set_password("Correct-Horse-9")
    user.save()

    client.post(reverse("login"), {"username": user.username, "password": "Correct-Horse-9"})

    assert client.session["_auth_user_backend"] == "marketplace.auth_backends.PreparedModelBackend"
    assert client.get(reverse("dashboard")).status_code == 200
