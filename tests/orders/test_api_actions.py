"""Order actions over the API: each allowed for the right party in the right state, refused otherwise."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from orders import services
from orders.models import Delivery, LedgerTransaction, Order
from tests.factories import (
    UserFactory,
    order_delivered,
    order_in_progress,
    service_order,
    shift_checked_in,
    shift_order,
)

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _snapshot(order: Order) -> tuple:
    """Everything a refused action must leave as it was."""
    order = Order.objects.get(pk=order.pk)
    return (
        order.state,
        order.requirements,
        order.due_at,
        order.revisions_used,
        order.auto_complete_at,
        order.history.count(),
        Delivery.objects.filter(order=order).count(),
        LedgerTransaction.objects.filter(order=order).count(),
    )


def _assert_problem(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == code


@pytest.fixture
def awaiting():
    """A service order awaiting requirements, with one revision included."""
    return service_order()


@pytest.fixture
def in_progress():
    return order_in_progress()


@pytest.fixture
def delivered():
    return order_delivered()


@pytest.fixture
def booked():
    """A booked shift whose check-in window is open (it starts in an hour)."""
    return shift_order(starts_in=timedelta(hours=1))


@pytest.fixture
def checked_in():
    """A shift starting in an hour that its provider has just checked in to."""
    return shift_checked_in()


# --- requirements -------------------------------------------------------------------------


def test_client_submits_requirements(api_as, awaiting):
    # when
    response = api_as(awaiting.client).post(
        f"/api/v1/orders/{awaiting.pk}/requirements/", {"requirements": "A fox"}, format="json"
    )

    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["requirements"]) == ("in_progress", "A fox")
    assert body["due_at"] is not None
    assert body["history"][-1]["transition"] == "submit_requirements"


def test_provider_submitting_requirements_is_403_wrong_party(api_as, awaiting):
    # given
    before = _snapshot(awaiting)

    # when
    response = api_as(awaiting.provider).post(
        f"/api/v1/orders/{awaiting.pk}/requirements/", {"requirements": "A fox"}, format="json"
    )

    # then
    _assert_problem(response, 403, "wrong_party")
    assert _snapshot(awaiting) == before


def test_stranger_submitting_requirements_is_404(api_as, awaiting):
    # given
    before = _snapshot(awaiting)

    # when
    response = api_as(UserFactory()).post(
        f"/api/v1/orders/{awaiting.pk}/requirements/", {"requirements": "A fox"}, format="json"
    )

    # then
    _assert_problem(response, 404, "not_found")
    assert _snapshot(awaiting) == before


def test_requirements_twice_is_409_invalid_transition(api_as, in_progress):
    # given
    before = _snapshot(in_progress)

    # when
    response = api_as(in_progress.client).post(
        f"/api/v1/orders/{in_progress.pk}/requirements/", {"requirements": "A bear"}, format="json"
    )

    # then
    _assert_problem(response, 409, "invalid_transition")
    assert _snapshot(in_progress) == before


def test_blank_requirements_are_400_naming_requirements(api_as, awaiting):
    # given
    before = _snapshot(awaiting)

    # when
    response = api_as(awaiting.client).post(
        f"/api/v1/orders/{awaiting.pk}/requirements/", {"requirements": "  "}, format="json"
    )

    # then
    _assert_problem(response, 400, "invalid")
    assert list(response.json()["errors"]) == ["requirements"]
    assert _snapshot(awaiting) == before


def test_action_without_credentials_is_401(api, awaiting):
    # given
    before = _snapshot(awaiting)

    # when
    response = api.post(f"/api/v1/orders/{awaiting.pk}/requirements/", {"requirements": "A fox"}, format="json")

    # then
    _assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    assert _snapshot(awaiting) == before


# --- deliver ------------------------------------------------------------------------------


def test_provider_delivers_with_json(api_as, in_progress):
    # when
    response = api_as(in_progress.provider).post(
        f"/api/v1/orders/{in_progress.pk}/deliver/", {"message": "Here it is"}, format="json"
    )

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "delivered"
    assert body["auto_complete_at"] is not None
    assert [(d["message"], d["files"]) for d in body["deliveries"]] == [("Here it is", [])]


def test_provider_delivers_files_with_multipart(api_as, in_progress):
    # given
    files = [
        SimpleUploadedFile("notes.txt", b"the logo, explained", content_type="text/plain"),
        SimpleUploadedFile("logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32, content_type="image/png"),
    ]

    # when
    response = api_as(in_progress.provider).post(
        f"/api/v1/orders/{in_progress.pk}/deliver/", {"message": "Here it is", "files": files}, format="multipart"
    )

    # then
    assert response.status_code == 200
    (delivery,) = response.json()["deliveries"]
    assert [(f["name"], f["content_type"]) for f in delivery["files"]] == [
        ("notes.txt", "text/plain"),
        ("logo.png", "image/png"),
    ]
    assert all(f["url"] for f in delivery["files"])


def test_delivering_a_refused_file_type_is_415_and_changes_nothing(api_as, in_progress):
    # given
    before = _snapshot(in_progress)
    binary = SimpleUploadedFile("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\xff\xff", content_type="image/png")

    # when
    response = api_as(in_progress.provider).post(
        f"/api/v1/orders/{in_progress.pk}/deliver/", {"message": "Here", "files": [binary]}, format="multipart"
    )

    # then
    _assert_problem(response, 415, "unsupported_media_type")
    assert list(response.json()["errors"]) == ["files"]
    assert _snapshot(in_progress) == before


def test_delivering_without_a_message_is_400_naming_message(api_as, in_progress):
    # given
    before = _snapshot(in_progress)

    # when
    response = api_as(in_progress.provider).post(
        f"/api/v1/orders/{in_progress.pk}/deliver/", {"message": ""}, format="json"
    )

    # then
    _assert_problem(response, 400, "invalid")
    assert list(response.json()["errors"]) == ["message"]
    assert _snapshot(in_progress) == before


def test_client_delivering_is_403_wrong_party(api_as, in_progress):
    # given
    before = _snapshot(in_progress)

    # when
    response = api_as(in_progress.client).post(
        f"/api/v1/orders/{in_progress.pk}/deliver/", {"message": "Here"}, format="json"
    )

    # then
    _assert_problem(response, 403, "wrong_party")
    assert _snapshot(in_progress) == before


def test_stranger_delivering_is_404(api_as, in_progress):
    # given
    before = _snapshot(in_progress)

    # when
    response = api_as(UserFactory()).post(
        f"/api/v1/orders/{in_progress.pk}/deliver/", {"message": "Here"}, format="json"
    )

    # then
    _assert_problem(response, 404, "not_found")
    assert _snapshot(in_progress) == before


def test_delivering_before_requirements_is_409_invalid_transition(api_as, awaiting):
    # given
    before = _snapshot(awaiting)

    # when
    response = api_as(awaiting.provider).post(
        f"/api/v1/orders/{awaiting.pk}/deliver/", {"message": "Here"}, format="json"
    )

    # then
    _assert_problem(response, 409, "invalid_transition")
    assert _snapshot(awaiting) == before


def test_repeated_delivery_with_the_same_key_is_replayed_not_redone(api_as, in_progress):
    # given
    client = api_as(in_progress.provider)
    url = f"/api/v1/orders/{in_progress.pk}/deliver/"
    first = client.post(url, {"message": "Here"}, format="json", HTTP_IDEMPOTENCY_KEY="deliver-1")

    # when
    again = client.post(url, {"message": "Here"}, format="json", HTTP_IDEMPOTENCY_KEY="deliver-1")

    # then
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Delivery.objects.filter(order=in_progress).count() == 1


# --- accept-delivery ----------------------------------------------------------------------


def test_client_accepts_the_delivery_and_escrow_is_released(api_as, delivered):
    # when
    response = api_as(delivered.client).post(f"/api/v1/orders/{delivered.pk}/accept-delivery/")

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "completed"
    assert [t["kind"] for t in body["ledger_transactions"]] == ["charge", "release"]
    release = body["ledger_transactions"][-1]
    assert sorted((e["account"], e["amount"]) for e in release["entries"]) == [
        ("escrow", "120.00"),
        ("platform", "-12.00"),
        ("provider", "-108.00"),
    ]


def test_provider_accepting_the_delivery_is_403_wrong_party(api_as, delivered):
    # given
    before = _snapshot(delivered)

    # when
    response = api_as(delivered.provider).post(f"/api/v1/orders/{delivered.pk}/accept-delivery/")

    # then
    _assert_problem(response, 403, "wrong_party")
    assert _snapshot(delivered) == before


def test_stranger_accepting_the_delivery_is_404(api_as, delivered):
    # given
    before = _snapshot(delivered)

    # when
    response = api_as(UserFactory()).post(f"/api/v1/orders/{delivered.pk}/accept-delivery/")

    # then
    _assert_problem(response, 404, "not_found")
    assert _snapshot(delivered) == before


def test_accepting_before_delivery_is_409_invalid_transition(api_as, in_progress):
    # given
    before = _snapshot(in_progress)

    # when
    response = api_as(in_progress.client).post(f"/api/v1/orders/{in_progress.pk}/accept-delivery/")

    # then
    _assert_problem(response, 409, "invalid_transition")
    assert response.json()["state"] == "in_progress"
    assert _snapshot(in_progress) == before


# --- request-revision ---------------------------------------------------------------------


def test_client_requests_a_revision(api_as, delivered):
    # when
    response = api_as(delivered.client).post(
        f"/api/v1/orders/{delivered.pk}/request-revision/", {"message": "Bigger"}, format="json"
    )

    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["revisions_used"], body["revisions_allowed"]) == ("in_progress", 1, 1)
    assert body["deliveries"][-1]["revision_request"] == "Bigger"
    assert body["history"][-1]["reason"] == "Bigger"


def test_revision_with_none_left_is_409_no_revisions_left(api_as, delivered):
    # given: the one included revision is used and the work delivered again
    services.order_request_revision(order=delivered, actor=delivered.client, message="Bigger")
    services.order_deliver(order=delivered, actor=delivered.provider, message="Bigger now")
    before = _snapshot(delivered)

    # when
    response = api_as(delivered.client).post(
        f"/api/v1/orders/{delivered.pk}/request-revision/", {"message": "Even bigger"}, format="json"
    )

    # then
    _assert_problem(response, 409, "no_revisions_left")
    assert _snapshot(delivered) == before


def test_provider_requesting_a_revision_is_403_wrong_party(api_as, delivered):
    # given
    before = _snapshot(delivered)

    # when
    response = api_as(delivered.provider).post(
        f"/api/v1/orders/{delivered.pk}/request-revision/", {"message": "Bigger"}, format="json"
    )

    # then
    _assert_problem(response, 403, "wrong_party")
    assert _snapshot(delivered) == before


def test_stranger_requesting_a_revision_is_404(api_as, delivered):
    # given
    before = _snapshot(delivered)

    # when
    response = api_as(UserFactory()).post(
        f"/api/v1/orders/{delivered.pk}/request-revision/", {"message": "Bigger"}, format="json"
    )

    # then
    _assert_problem(response, 404, "not_found")
    assert _snapshot(delivered) == before


def test_revision_before_delivery_is_409_invalid_transition(api_as, in_progress):
    # given
    before = _snapshot(in_progress)

    # when
    response = api_as(in_progress.client).post(
        f"/api/v1/orders/{in_progress.pk}/request-revision/", {"message": "Bigger"}, format="json"
    )

    # then
    _assert_problem(response, 409, "invalid_transition")
    assert _snapshot(in_progress) == before


def test_revision_without_a_message_is_400_naming_message(api_as, delivered):
    # given
    before = _snapshot(delivered)

    # when
    response = api_as(delivered.client).post(f"/api/v1/orders/{delivered.pk}/request-revision/", {}, format="json")

    # then
    _assert_problem(response, 400, "invalid")
    assert list(response.json()["errors"]) == ["message"]
    assert _snapshot(delivered) == before


# --- check-in -----------------------------------------------------------------------------


def test_provider_checks_in(api_as, booked):
    # when
    response = api_as(booked.provider).post(f"/api/v1/orders/{booked.pk}/check-in/")

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "checked_in"
    assert body["auto_complete_at"] is not None


def test_client_checking_in_is_403_wrong_party(api_as, booked):
    # given
    before = _snapshot(booked)

    # when
    response = api_as(booked.client).post(f"/api/v1/orders/{booked.pk}/check-in/")

    # then
    _assert_problem(response, 403, "wrong_party")
    assert _snapshot(booked) == before


def test_stranger_checking_in_is_404(api_as, booked):
    # given
    before = _snapshot(booked)

    # when
    response = api_as(UserFactory()).post(f"/api/v1/orders/{booked.pk}/check-in/")

    # then
    _assert_problem(response, 404, "not_found")
    assert _snapshot(booked) == before


def test_checking_in_before_the_window_is_409_check_in_not_open(api_as):
    # given: the shift starts in two days
    order = shift_order()
    before = _snapshot(order)

    # when
    response = api_as(order.provider).post(f"/api/v1/orders/{order.pk}/check-in/")

    # then
    _assert_problem(response, 409, "check_in_not_open")
    assert _snapshot(order) == before


def test_checking_in_twice_is_409_invalid_transition(api_as, checked_in):
    # given
    before = _snapshot(checked_in)

    # when
    response = api_as(checked_in.provider).post(f"/api/v1/orders/{checked_in.pk}/check-in/")

    # then
    _assert_problem(response, 409, "invalid_transition")
    assert _snapshot(checked_in) == before


# --- complete -----------------------------------------------------------------------------


def test_client_completes_a_shift_and_escrow_is_released(api_as, checked_in):
    # when
    response = api_as(checked_in.client).post(f"/api/v1/orders/{checked_in.pk}/complete/")

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "completed"
    assert body["completed_at"] is not None
    assert [t["kind"] for t in body["ledger_transactions"]] == ["charge", "release"]


def test_provider_completing_is_403_wrong_party(api_as, checked_in):
    # given
    before = _snapshot(checked_in)

    # when
    response = api_as(checked_in.provider).post(f"/api/v1/orders/{checked_in.pk}/complete/")

    # then
    _assert_problem(response, 403, "wrong_party")
    assert _snapshot(checked_in) == before


def test_stranger_completing_is_404(api_as, checked_in):
    # given
    before = _snapshot(checked_in)

    # when
    response = api_as(UserFactory()).post(f"/api/v1/orders/{checked_in.pk}/complete/")

    # then
    _assert_problem(response, 404, "not_found")
    assert _snapshot(checked_in) == before


def test_completing_before_check_in_is_409_invalid_transition(api_as, booked):
    # given
    before = _snapshot(booked)

    # when
    response = api_as(booked.client).post(f"/api/v1/orders/{booked.pk}/complete/")

    # then
    _assert_problem(response, 409, "invalid_transition")
    assert _snapshot(booked) == before


def test_completing_a_service_order_is_409_invalid_transition(api_as, delivered):
    # given: a service order is accepted, not completed
    before = _snapshot(delivered)

    # when
    response = api_as(delivered.client).post(f"/api/v1/orders/{delivered.pk}/complete/")

    # then
    _assert_problem(response, 409, "invalid_transition")
    assert _snapshot(delivered) == before
