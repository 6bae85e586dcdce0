"""Throttling answers 429 as application/problem+json with a Retry-After header."""

import pytest
from django.core.cache import cache
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight_throttle(monkeypatch):
    # The test settings switch throttling off; turn a tight per-user limit on for this test.
    monkeypatch.setattr(APIView, "throttle_classes", [UserRateThrottle])
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/minute"})
    cache.clear()
    yield
    cache.clear()


def test_third_request_in_a_minute_is_429_problem(api_as, tight_throttle):
    # given
    client = api_as(UserFactory())
    assert client.get("/api/v1/orders/").status_code == 200
    assert client.get("/api/v1/orders/").status_code == 200

    # when
    response = client.get("/api/v1/orders/")

    # then
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body["status"] == 429
    assert body["code"] == "throttled"
    assert set(body) >= {"type", "title", "status", "detail", "code"}


def test_the_limit_is_per_user(api_as, tight_throttle):
    # given one user has used up their allowance
    first = api_as(UserFactory())
    for _ in range(3):
        first.get("/api/v1/orders/")

    # when another user calls
    response = api_as(UserFactory()).get("/api/v1/orders/")

    # then
    assert response.status_code == 200
