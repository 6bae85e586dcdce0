"""Ordering from a listing and every action form on the order page: allowed and refused."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.models import TransitionLog
from orders.models import Delivery, Order, OrderState, Payment
from tests.factories import (
    ServiceListingFactory,
    ShiftListingFactory,
    UserFactory,
    order_completed,
    order_delivered,
    order_in_progress,
    service_order,
    shift_order,
)

pytestmark = pytest.mark.django_db


def _act(client, order, action, data=None, **kwargs):
    prefixed = {f"{action}-{key}": value for key, value in (data or {}).items()}
    return client.post(reverse("order_action", args=[order.pk, action]), prefixed, **kwargs)


def _state(order):
    return Order.objects.values_list("state", flat=True).get(pk=order.pk)


# --- Ordering -----------------------------------------------------------------------------


def test_ordering_a_service_charges_into_escrow_and_opens_the_order(client, user):
    listing = ServiceListingFactory(price=Decimal("75.00"))
    client.force_login(user)

    response = client.post(reverse("order_create", args=[listing.pk]), {"requirements": ""}, follow=True)

    order = Order.objects.get(client=user)
    assert response.redirect_chain == [(reverse("order_detail", args=[order.pk]), 302)]
    assert order.state == OrderState.AWAITING_REQUIREMENTS
    assert order.payments.get().amount == Decimal("75.00")
    assert "held in escrow" in response.content.decode()


def test_ordering_with_requirements_starts_work_at_once(client, user):
    listing = ServiceListingFactory()
    client.force_login(user)

    client.post(reverse("order_create", args=[listing.pk]), {"requirements": "A red fox"})

    order = Order.objects.get(client=user)
    assert (order.state, order.requirements) == (OrderState.IN_PROGRESS, "A red fox")


def test_booking_a_shift_makes_me_its_provider(client, user):
    listing = ShiftListingFactory()
    client.force_login(user)

    response = client.post(reverse("order_create", args=[listing.pk]))

    order = Order.objects.get(provider=user)
    assert response.status_code == 302
    assert (order.state, order.client_id) == (OrderState.BOOKED, listing.owner_id)


def test_a_second_booking_of_a_shift_is_refused_on_the_page_and_changes_nothing(client):
    order = shift_order()
    latecomer = UserFactory()
    client.force_login(latecomer)

    response = client.post(reverse("order_create", args=[order.listing_id]))

    assert response.status_code == 200
    assert response.context["order_form"].non_field_errors() == ["This shift is full: its 1 place is booked."]
    assert "This shift is full: every place is booked." in response.content.decode()  # the box says so
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1


def test_ordering_my_own_service_is_refused_on_the_page(client):
    listing = ServiceListingFactory()
    client.force_login(listing.owner)

    response = client.post(reverse("order_create", args=[listing.pk]))

    assert response.status_code == 200
    assert "You cannot order your own service." in response.content.decode()
    assert not Order.objects.exists()


def test_ordering_a_withdrawn_listing_is_refused(client, user):
    listing = ServiceListingFactory(is_active=False)
    client.force_login(user)

    response = client.post(reverse("order_create", args=[listing.pk]))

    assert response.status_code == 200
    assert "Unknown listing." in response.content.decode()
    assert not Order.objects.exists()


def test_ordering_needs_login_and_post(client, user):
    listing = ServiceListingFactory()

    assert client.post(reverse("order_create", args=[listing.pk])).status_code == 302
    client.force_login(user)
    assert client.get(reverse("order_create", args=[listing.pk])).status_code == 405
    assert not Order.objects.exists()


# --- Service order actions ----------------------------------------------------------------


def test_client_sends_requirements(client):
    order = service_order()
    client.force_login(order.client)

    response = _act(client, order, "requirements", {"requirements": "A fox, in orange"}, follow=True)

    assert _state(order) == OrderState.IN_PROGRESS
    assert "Requirements sent" in response.content.decode()


def test_empty_requirements_are_refused_on_the_field(client):
    order = service_order()
    client.force_login(order.client)

    response = _act(client, order, "requirements", {"requirements": "   "})

    assert response.status_code == 200
    assert response.context["actions"]["requirements"].errors["requirements"]
    assert _state(order) == OrderState.AWAITING_REQUIREMENTS


def test_provider_delivers_with_files(client):
    order = order_in_progress()
    client.force_login(order.provider)
    files = [
        SimpleUploadedFile("a.txt", b"first", content_type="text/plain"),
        SimpleUploadedFile("b.pdf", b"%PDF-1.4 fake", content_type="application/pdf"),
    ]

    response = _act(client, order, "deliver", {"message": "Done", "files": files})

    assert response.status_code == 302
    assert _state(order) == OrderState.DELIVERED
    delivery = Delivery.objects.get(order=order)
    assert sorted(f.name for f in delivery.files.all()) == ["a.txt", "b.pdf"]


def test_delivering_a_refused_file_type_shows_the_error_on_the_files_field_and_changes_nothing(client):
    order = order_in_progress()
    client.force_login(order.provider)
    bad = SimpleUploadedFile("run.exe", b"MZ\x90\x00\x03\x00\x00\x00\x00", content_type="application/octet-stream")

    response = _act(client, order, "deliver", {"message": "Done", "files": [bad]})

    assert response.status_code == 200
    assert "run.exe is not an accepted file type" in response.context["actions"]["deliver"].errors["files"][0]
    assert _state(order) == OrderState.IN_PROGRESS
    assert not Delivery.objects.exists()


def test_client_requests_a_revision(client):
    order = order_delivered(revisions=1)
    client.force_login(order.client)

    response = _act(client, order, "revision", {"message": "Bigger ears"}, follow=True)

    order.refresh_from_db()
    assert (order.state, order.revisions_used) == (OrderState.IN_PROGRESS, 1)
    assert "Revision requested" in response.content.decode()


def test_a_revision_beyond_the_bound_is_refused_and_changes_nothing(client):
    order = order_delivered(revisions=0)
    client.force_login(order.client)
    logs = TransitionLog.objects.count()

    response = _act(client, order, "revision", {"message": "Again"})

    assert response.status_code == 200
    assert "All 0 revisions included with this order have been used." in response.content.decode()
    assert _state(order) == OrderState.DELIVERED
    assert TransitionLog.objects.count() == logs


def test_client_accepts_the_delivery(client):
    order = order_delivered()
    client.force_login(order.client)

    response = _act(client, order, "accept", follow=True)

    assert _state(order) == OrderState.COMPLETED
    assert "the order is complete" in response.content.decode()


def test_the_provider_cannot_accept_their_own_delivery(client):
    order = order_delivered()
    client.force_login(order.provider)

    response = _act(client, order, "accept")

    assert response.status_code == 200
    assert "Only the client of this order can accept the delivery." in response.content.decode()
    assert _state(order) == OrderState.DELIVERED


def test_an_action_the_order_has_moved_past_is_refused_with_a_message(client):
    order = order_completed()
    client.force_login(order.client)

    response = _act(client, order, "accept")

    assert response.status_code == 200
    assert "You cannot accept the delivery of an order that is completed." in response.content.decode()
    assert _state(order) == OrderState.COMPLETED


def test_an_unknown_action_is_404(client):
    order = service_order()
    client.force_login(order.client)

    assert client.post(reverse("order_action", args=[order.pk, "teleport"])).status_code == 404


def test_actions_are_post_only(client):
    order = order_delivered()
    client.force_login(order.client)

    assert client.get(reverse("order_action", args=[order.pk, "accept"])).status_code == 405
    assert _state(order) == OrderState.DELIVERED


# --- Shift order actions ------------------------------------------------------------------


def test_provider_checks_in_and_client_confirms(client):
    order = shift_order(starts_at=timezone.now() + timedelta(hours=1))

    client.force_login(order.provider)
    _act(client, order, "check_in")
    assert _state(order) == OrderState.CHECKED_IN

    client.force_login(order.client)
    response = _act(client, order, "confirm", follow=True)
    assert _state(order) == OrderState.COMPLETED
    assert "Shift confirmed" in response.content.decode()


def test_checking_in_before_the_window_opens_is_refused_and_changes_nothing(client):
    order = shift_order(starts_at=timezone.now() + timedelta(days=2))
    client.force_login(order.provider)

    response = _act(client, order, "check_in")

    assert response.status_code == 200
    assert "Check-in opens at" in response.content.decode()
    assert _state(order) == OrderState.BOOKED


def test_confirming_before_check_in_is_refused(client):
    order = shift_order()
    client.force_login(order.client)

    response = _act(client, order, "confirm")

    assert "The worker must check in first." in response.content.decode()
    assert _state(order) == OrderState.BOOKED
