"""The API's token authentication answers as DRF's does, its lookup a prepared read."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_signs_its_user_in_and_another_token_another_user():
    # given
    ana, bo = UserFactory(username="ana"), UserFactory(username="bo")
    ana_key, bo_key = Token.objects.create(user=ana).key, Token.objects.create(user=bo).key

    # when / then
    assert _client(ana_key).get("/api/v1/me/").json()["username"] == "ana"
    assert _client(bo_key).get("/api/v1/me/").json()["username"] == "bo"


def test_an_unknown_token_is_401():
    response = _client("0" * 40).get("/api/v1/me/")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")


def test_the_token_of_a_deactivated_user_is_401():
    # given
    user = UserFactory()
    key = Token.objects.create(user=user).key
    user.is_active = False
    user.save(update_fields=["is_active"])

    # when
    response = _client(key).get("/api/v1/me/")

    # then
    assert response.status_code == 401
