"""Idempotency-Key on POST: replay for the same body, 422 for another, 409 while in flight."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from core.api.idempotency import idempotency_begin
from marketplace.models import User
from orders.models import Delivery, Order, Payment
from tests.factories import PASSWORD, ServiceListingFactory, UserFactory, order_in_progress

pytestmark = pytest.mark.django_db


def test_same_key_and_body_replays_the_first_response_and_orders_once(api_as):
    # given
    client = api_as(UserFactory())
    listing = ServiceListingFactory()
    first = client.post("/api/v1/orders/", {"listing": listing.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    # when
    again = client.post("/api/v1/orders/", {"listing": listing.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    # then
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1


def test_a_key_used_more_than_a_day_ago_counts_as_new(api_as):
    # given: an order made with a key 25 hours ago
    client = api_as(UserFactory())
    listing = ServiceListingFactory()
    with time_machine.travel(timezone.now() - timedelta(hours=25)):
        client.post("/api/v1/orders/", {"listing": listing.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-old")

    # when: the same key and body again, now
    again = client.post("/api/v1/orders/", {"listing": listing.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-old")

    # then: a new order, and the key now holds its answer
    assert again.status_code == 201
    assert Order.objects.count() == 2
    assert again.json()["id"] == Order.objects.latest("id").pk
    replay = client.post("/api/v1/orders/", {"listing": listing.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-old")
    assert replay.content == again.content


def test_a_new_key_is_claimed_with_one_insert(api_as):
    # given
    client = api_as(UserFactory())
    listing = ServiceListingFactory()

    # when
    with CaptureQueriesContext(connection) as queries:
        client.post("/api/v1/orders/", {"listing": listing.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-new")

    # then: no lookup or clean-up before the claim
    keys = [q["sql"] for q in queries if "core_idempotencykey" in q["sql"]]
    assert [sql.split()[0] for sql in keys] == ["INSERT", "UPDATE"]


def test_same_key_with_another_body_is_422_and_writes_nothing(api_as):
    # given
    client = api_as(UserFactory())
    listing, other = ServiceListingFactory(), ServiceListingFactory()
    client.post("/api/v1/orders/", {"listing": listing.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    # when
    response = client.post("/api/v1/orders/", {"listing": other.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    # then
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "idempotency_key_reused"
    assert list(Order.objects.values_list("listing_id", flat=True)) == [listing.pk]


def test_same_key_while_the_first_request_is_in_flight_is_409(api_as):
    # given: the first request has claimed the key and not answered yet
    user = UserFactory()
    client = api_as(user)
    listing = ServiceListingFactory()
    body = f'{{"listing": {listing.pk}}}'.encode()
    idempotency_begin(user=user, key="k-3", method="POST", path="/api/v1/orders/", body=body)

    # when
    response = client.post("/api/v1/orders/", data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-3")

    # then
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_in_progress"
    assert not Order.objects.exists()


def test_keys_belong_to_their_user(api_as):
    # given: two users pick the same key
    listing = ServiceListingFactory()
    api_as(UserFactory()).post("/api/v1/orders/", {"listing": listing.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k")

    # when
    response = api_as(UserFactory()).post(
        "/api/v1/orders/", {"listing": listing.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )

    # then: the second user's order is made, not the first one's replayed
    assert response.status_code == 201
    assert Order.objects.count() == 2


def test_refused_request_is_replayed_as_refused(api_as):
    # given
    client = api_as(UserFactory())
    first = client.post("/api/v1/orders/", {"listing": 999999}, format="json", HTTP_IDEMPOTENCY_KEY="k-4")

    # when
    again = client.post("/api/v1/orders/", {"listing": 999999}, format="json", HTTP_IDEMPOTENCY_KEY="k-4")

    # then
    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()


def _same_answer(first, again) -> None:
    assert again.status_code == first.status_code
    assert again["Content-Type"] == first["Content-Type"]
    assert again.content == first.content


def test_a_replayed_success_is_the_same_bytes_status_and_content_type(api_as):
    # given
    client = api_as(UserFactory())
    listing = ServiceListingFactory()
    first = client.post("/api/v1/orders/", {"listing": listing.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-7")

    # when
    again = client.post("/api/v1/orders/", {"listing": listing.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-7")

    # then
    assert first.status_code == 201 and first["Content-Type"] == "application/json"
    _same_answer(first, again)


def test_a_replayed_error_is_the_same_problem_json_bytes(api_as):
    # given: a refusal with field errors (a body whose key order a JSON column would not keep)
    client = api_as(UserFactory())
    body = {"listing": 999999, "requirements": "x"}
    first = client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-8")

    # when
    again = client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-8")

    # then
    assert first.status_code == 400 and first["Content-Type"] == "application/problem+json"
    _same_answer(first, again)
    assert list(again.json()) == ["type", "title", "status", "detail", "code", "errors"]


def test_anonymous_callers_with_the_same_key_get_their_own_answers():
    # given: two people sign up, unknown to each other, with the same key
    body_a = {"username": "anna", "email": "anna@example.com", "password": PASSWORD}
    body_b = {"username": "bert", "email": "bert@example.com", "password": PASSWORD}
    first = APIClient().post("/api/v1/accounts/", body_a, format="json", HTTP_IDEMPOTENCY_KEY="signup")

    # when
    second = APIClient().post("/api/v1/accounts/", body_b, format="json", HTTP_IDEMPOTENCY_KEY="signup")

    # then: the second account is made, not the first one's answer replayed or refused
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json()["username"] == "bert"
    assert set(User.objects.values_list("username", flat=True)) == {"anna", "bert"}


def test_anonymous_callers_with_the_same_key_get_their_own_tokens():
    # given
    ana, bob = UserFactory(), UserFactory()
    first = APIClient().post(
        "/api/v1/auth/token/", {"username": ana.username, "password": PASSWORD}, format="json", HTTP_IDEMPOTENCY_KEY="t"
    )

    # when
    second = APIClient().post(
        "/api/v1/auth/token/", {"username": bob.username, "password": PASSWORD}, format="json", HTTP_IDEMPOTENCY_KEY="t"
    )

    # then
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["token"] == bob.auth_token.key != first.json()["token"]


def test_an_anonymous_caller_repeating_the_very_same_request_gets_it_replayed():
    # given
    body = {"username": "anna", "email": "anna@example.com", "password": PASSWORD}
    first = APIClient().post("/api/v1/accounts/", body, format="json", HTTP_IDEMPOTENCY_KEY="signup")

    # when
    again = APIClient().post("/api/v1/accounts/", body, format="json", HTTP_IDEMPOTENCY_KEY="signup")

    # then
    assert first.status_code == 201
    _same_answer(first, again)
    assert User.objects.filter(username="anna").count() == 1


def test_fingerprint_of_a_body_with_a_password_is_keyed():
    # given
    body = b'{"username": "ana", "password": "Correct-Horse-42"}'

    # when
    record = idempotency_begin(user=None, key="k-5", method="POST", path="/api/v1/auth/token/", body=body)

    # then: not a plain hash, which would let anyone with the table test passwords offline
    plain = hashlib.sha256(b"POST\0/api/v1/auth/token/\0" + body).hexdigest()
    assert record.request_hash != plain


def _upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("notes.txt", content, content_type="text/plain")


def test_upload_larger_than_the_memory_limit_with_a_key_is_accepted_and_replayed(api_as, settings):
    # given: an upload over the size Django buffers in memory
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    order = order_in_progress()
    client = api_as(order.provider)
    url = f"/api/v1/orders/{order.pk}/deliver/"
    big = b"a" * 4096
    first = client.post(url, {"message": "Here", "files": [_upload(big)]}, HTTP_IDEMPOTENCY_KEY="up-1")

    # when
    again = client.post(url, {"message": "Here", "files": [_upload(big)]}, HTTP_IDEMPOTENCY_KEY="up-1")

    # then
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert Delivery.objects.filter(order=order).count() == 1


def test_upload_with_the_same_key_and_another_file_is_422(api_as):
    # given
    order = order_in_progress()
    client = api_as(order.provider)
    url = f"/api/v1/orders/{order.pk}/deliver/"
    client.post(url, {"message": "Here", "files": [_upload(b"first draft")]}, HTTP_IDEMPOTENCY_KEY="up-2")

    # when
    response = client.post(url, {"message": "Here", "files": [_upload(b"other draft")]}, HTTP_IDEMPOTENCY_KEY="up-2")

    # then
    assert response.status_code == 422
    assert Delivery.objects.filter(order=order).count() == 1


def test_json_body_over_the_memory_limit_with_a_key_is_413_problem(api_as, settings):
    # given
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    listing = ServiceListingFactory()
    body = {"listing": listing.pk, "requirements": "x" * 500}

    # when
    response = api_as(UserFactory()).post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-6")

    # then
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "request_too_large"
    assert not Order.objects.exists()
