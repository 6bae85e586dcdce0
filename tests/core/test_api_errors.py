"""Every error the API gives is application/problem+json, with the status the contract names."""

import pytest

from tests.factories import UserFactory, order_in_progress

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def test_unauthenticated_request_is_401_problem_with_www_authenticate(api):
    # when
    response = api.get("/api/v1/orders/")

    # then
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"] == "Token"
    body = response.json()
    assert body["status"] == 401
    assert body["code"] == "not_authenticated"
    assert set(body) >= {"type", "title", "status", "detail", "code"}


def test_unknown_token_is_401_problem(api):
    # given
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    # when
    response = api.get("/api/v1/me/")

    # then
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "authentication_failed"


def test_malformed_json_is_400_problem(api_as):
    # given
    client = api_as(UserFactory())

    # when
    response = client.post("/api/v1/orders/", data='{"listing": ', content_type="application/json")

    # then
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "parse_error"


def test_json_nan_is_refused_as_malformed(api_as):
    # given
    client = api_as(UserFactory())

    # when
    response = client.post(
        "/api/v1/listings/", data='{"kind": "service", "title": "x", "price": NaN}', content_type="application/json"
    )

    # then
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_unknown_path_under_api_is_404_problem(api):
    # when
    response = api.get("/api/v1/no-such-thing/")

    # then
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "not_found"


def test_unsupported_media_type_is_415_problem(api_as):
    # given
    client = api_as(UserFactory())

    # when
    response = client.post("/api/v1/orders/", data="listing=1", content_type="text/plain")

    # then
    assert response.status_code == 415
    assert response["Content-Type"] == PROBLEM


def test_wrong_method_is_405_problem(api_as):
    # given
    client = api_as(UserFactory())

    # when
    response = client.delete("/api/v1/orders/")

    # then
    assert response.status_code == 405
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "method_not_allowed"


def test_a_json_body_over_the_memory_limit_is_413_problem_not_a_server_error(api_as, settings):
    # given: no Idempotency-Key, so the body is first read by the parser
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    # when
    response = api_as(UserFactory()).patch("/api/v1/me/", {"language": "nl", "x": "y" * 1000}, format="json")

    # then
    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "request_too_large"


def test_a_multipart_field_over_the_memory_limit_is_413_problem(api_as, settings):
    # given
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    order = order_in_progress()

    # when
    response = api_as(order.provider).post(f"/api/v1/orders/{order.pk}/deliver/", {"message": "x" * 1000})

    # then
    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM


def test_more_form_fields_than_django_reads_is_400_problem(api_as, settings):
    # given
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    order = order_in_progress()
    fields = {f"field{i}": "x" for i in range(50)}

    # when
    response = api_as(order.provider).post(f"/api/v1/orders/{order.pk}/deliver/", {"message": "Here", **fields})

    # then
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "invalid"
