"""The order page: who may see it, what it shows, and which actions it offers."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from orders import services
from tests.factories import (
    UserFactory,
    order_completed,
    order_delivered,
    order_in_progress,
    service_order,
    shift_checked_in,
    shift_order,
)

pytestmark = pytest.mark.django_db

ACTION_URLS = ("requirements", "accept", "revision", "deliver", "check_in", "confirm")


def _shown_actions(response):
    return sorted(response.context["actions"])


def test_order_page_needs_login(client):
    order = service_order()

    response = client.get(reverse("order_detail", args=[order.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_order_page_is_404_for_a_stranger(client, user):
    order = service_order()
    client.force_login(user)

    assert client.get(reverse("order_detail", args=[order.pk])).status_code == 404


def test_order_page_is_404_for_an_unknown_order(client, user):
    client.force_login(user)

    assert client.get(reverse("order_detail", args=[999999])).status_code == 404


@pytest.mark.parametrize("party", ["client", "provider"])
def test_order_page_renders_for_both_parties(client, party):
    order = service_order()
    client.force_login(getattr(order, party))

    response = client.get(reverse("order_detail", args=[order.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert order.title in html
    assert "policy version 1" in html
    assert order.client.public_name in html and order.provider.public_name in html
    assert "private" in html and "no protection" in html


def test_order_page_shows_the_timeline_and_the_charge_into_escrow(client):
    order = service_order()
    client.force_login(order.client)

    response = client.get(reverse("order_detail", args=[order.pk]))

    html = response.content.decode()
    assert [(log.from_state, log.to_state) for log in response.context["history"]] == [("", "awaiting_requirements")]
    assert f"by {order.client.public_name} (client)" in html
    trail = response.context["money_trail"]
    assert [step["kind"] for step in trail] == ["charge"]
    assert "to escrow: 120.00\u00a0EUR" in html
    assert "Simulated card" in html


def test_order_page_shows_release_to_provider_minus_fee_after_completion(client):
    order = order_completed()
    client.force_login(order.provider)

    response = client.get(reverse("order_detail", args=[order.pk]))

    html = response.content.decode()
    assert [step["kind"] for step in response.context["money_trail"]] == ["charge", "release"]
    assert f"to provider {order.provider.public_name}: 108.00\u00a0EUR" in html
    assert "to Gigfair platform fee: 12.00\u00a0EUR" in html
    assert response.context["actions"] == {}


def test_order_page_shows_the_system_as_actor_of_automatic_steps(client):
    order = order_delivered()
    later = timezone.now() + timedelta(days=4)
    import time_machine

    with time_machine.travel(later):
        services.order_auto_complete(order_id=order.pk)
    client.force_login(order.client)

    response = client.get(reverse("order_detail", args=[order.pk]))

    assert "by the system" in response.content.decode()


def test_order_page_lists_deliveries_with_their_files(client):
    upload = SimpleUploadedFile("notes.txt", b"The logo, in words.", content_type="text/plain")
    order = order_delivered(files=[upload])
    client.force_login(order.client)

    response = client.get(reverse("order_detail", args=[order.pk]))

    html = response.content.decode()
    assert "Here it is" in html
    item = order.deliveries.get().files.get()
    assert reverse("delivery_file", args=[item.pk]) in html
    assert item.file.url not in html
    assert "notes.txt" in html


def test_delivered_file_downloads_for_parties_only(client, user):
    upload = SimpleUploadedFile("notes.txt", b"The logo, in words.", content_type="text/plain")
    order = order_delivered(files=[upload])
    item = order.deliveries.get().files.get()
    url = reverse("delivery_file", args=[item.pk])

    client.force_login(order.client)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"The logo, in words."
    assert "attachment" in response["Content-Disposition"]

    client.force_login(user)
    assert client.get(url).status_code == 404


# --- Which actions show ------------------------------------------------------------------


def test_awaiting_requirements_offers_the_client_requirements_and_the_provider_nothing(client):
    order = service_order()

    client.force_login(order.client)
    assert _shown_actions(client.get(reverse("order_detail", args=[order.pk]))) == ["requirements"]
    client.force_login(order.provider)
    response = client.get(reverse("order_detail", args=[order.pk]))
    assert _shown_actions(response) == []
    assert "Waiting for the client to send requirements." in response.content.decode()


def test_in_progress_offers_the_provider_delivery_only(client):
    order = order_in_progress()

    client.force_login(order.provider)
    response = client.get(reverse("order_detail", args=[order.pk]))
    assert _shown_actions(response) == ["deliver"]
    assert 'enctype="multipart/form-data"' in response.content.decode()
    client.force_login(order.client)
    assert _shown_actions(client.get(reverse("order_detail", args=[order.pk]))) == []


def test_delivered_offers_the_client_accept_and_revision_with_revisions_left(client):
    order = order_delivered(revisions=2)

    client.force_login(order.client)
    response = client.get(reverse("order_detail", args=[order.pk]))

    assert _shown_actions(response) == ["accept", "revision"]
    assert "2 revisions left." in response.content.decode()
    client.force_login(order.provider)
    assert _shown_actions(client.get(reverse("order_detail", args=[order.pk]))) == []


def test_delivered_without_revisions_left_offers_accept_only(client):
    order = order_delivered(revisions=0)

    client.force_login(order.client)
    response = client.get(reverse("order_detail", args=[order.pk]))

    assert _shown_actions(response) == ["accept"]
    assert "All revisions included with this order have been used." in response.content.decode()


def test_booked_shift_offers_check_in_only_when_the_window_is_open(client):
    soon = shift_order(starts_at=timezone.now() + timedelta(hours=1))
    later = shift_order(starts_at=timezone.now() + timedelta(days=2))

    client.force_login(soon.provider)
    assert _shown_actions(client.get(reverse("order_detail", args=[soon.pk]))) == ["check_in", "handover"]
    client.force_login(later.provider)
    response = client.get(reverse("order_detail", args=[later.pk]))
    assert _shown_actions(response) == ["handover"]  # a booked worker may always hand the shift over
    assert "Check-in opens at" in response.content.decode()
    client.force_login(soon.client)
    assert _shown_actions(client.get(reverse("order_detail", args=[soon.pk]))) == []


def test_checked_in_shift_offers_the_client_confirmation(client):
    order = shift_checked_in()

    client.force_login(order.client)
    assert _shown_actions(client.get(reverse("order_detail", args=[order.pk]))) == ["confirm"]
    client.force_login(order.provider)
    assert _shown_actions(client.get(reverse("order_detail", args=[order.pk]))) == []


# --- Queries ------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [3, 10])
def test_order_page_query_count_does_not_grow_with_deliveries_and_history(client, django_assert_max_num_queries, rows):
    order = service_order(revisions=20)
    services.order_submit_requirements(order=order, actor=order.client, requirements="A fox")
    for n in range(rows):
        files = [SimpleUploadedFile(f"v{n}-{i}.txt", b"draft", content_type="text/plain") for i in range(2)]
        services.order_deliver(order=order, actor=order.provider, message=f"Version {n}", files=files)
        if n < rows - 1:
            services.order_request_revision(order=order, actor=order.client, message="Bigger fox")
    services.order_accept_delivery(order=order, actor=order.client)
    client.force_login(order.client)

    # 10 for the order, 1 for the nav bell's unread count, 2 for the message thread (its messages,
    # and whether a block stands between the parties)
    # +4: requests, claim, cases and tickets panels; +1: the reviews of the completed order
    with django_assert_max_num_queries(18):
        response = client.get(reverse("order_detail", args=[order.pk]))

    assert len(response.context["deliveries"]) == rows
    assert len(response.context["history"]) == 2 * rows + 2


def test_order_page_for_a_stranger_does_not_leak_through_actions(client):
    order = service_order()
    stranger = UserFactory()
    client.force_login(stranger)

    for action in ACTION_URLS:
        assert client.post(reverse("order_action", args=[order.pk, action])).status_code == 404


def test_cancelled_order_page_shows_the_cancellation_and_the_refund(client):
    from orders.cancellation import order_cancel

    order = service_order()
    order_cancel(order=order, actor=order.client, reason="schedule_change")
    client.force_login(order.client)

    response = client.get(reverse("order_detail", args=[order.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="badge state-cancelled"' in html
    assert "This order was cancelled." in html
    assert response.context["cancellation"].refund_to_client == order.price
    assert "Refund 120.00\u00a0EUR" in html
    assert response.context["actions"] == {}


# --- The progress stepper -------------------------------------------------------------------------


def _steps(client, order):
    client.force_login(order.client)
    return [(s["code"], s["status"]) for s in client.get(reverse("order_detail", args=[order.pk])).context["steps"]]


def test_a_service_in_progress_stands_at_the_work_step(client):
    from tests.factories import order_in_progress

    assert _steps(client, order_in_progress()) == [
        ("ordered", "done"),
        ("requirements", "done"),
        ("work", "current"),
        ("delivered", "todo"),
        ("completed", "todo"),
    ]


def test_a_late_order_marks_its_step_late_and_the_page_says_so(client):
    from tests.factories import order_late

    order = order_late()
    assert ("work", "late") in _steps(client, order)
    assert (
        'class="step step-late" aria-current="step"'
        in client.get(reverse("order_detail", args=[order.pk])).content.decode()
    )


def test_a_completed_shift_has_every_step_done(client):
    from tests.factories import shift_completed

    assert _steps(client, shift_completed()) == [("booked", "done"), ("checked_in", "done"), ("completed", "done")]


def test_a_cancelled_order_shows_where_it_stopped(client):
    from orders.cancellation import order_cancel

    order = shift_order()
    order_cancel(order=order, actor=order.client, reason="other")

    assert _steps(client, order) == [("booked", "done"), ("cancelled", "cancelled")]
