"""The order page's Resolution Center, the request page, and the back office list."""

import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from disputes.models import ResolutionRequest
from orders.models import OrderState
from tests.disputes.test_requests_services import open_cancel, open_extension, open_update, snapshot
from tests.factories import UserFactory, order_in_progress

pytestmark = pytest.mark.django_db


def _page(client, order):
    response = client.get(reverse("order_detail", args=[order.pk]))
    assert response.status_code == 200
    return response


def test_the_order_page_offers_a_form_per_request_type_for_the_party(client):
    order = order_in_progress()
    client.force_login(order.client)

    html = _page(client, order).content.decode()

    assert "Resolution Center" in html
    for code in ("cancel", "extend_delivery", "request_update"):
        assert reverse("request_open", args=[order.pk, code]) in html


def test_opening_a_cancel_request_from_the_page(client):
    order = order_in_progress()
    client.force_login(order.client)

    response = client.post(
        reverse("request_open", args=[order.pk, "cancel"]),
        {
            "open-cancel-reason": "schedule_change",
            "open-cancel-refund_percent": "70",
            "open-cancel-message": "Plans changed",
        },
    )

    assert response.status_code == 302
    r = ResolutionRequest.objects.get()
    assert (r.type, r.refund_percent, r.author) == ("cancel", Decimal("70"), order.client)


def test_a_refused_request_shows_the_reason_and_keeps_what_was_typed(client):
    order = order_in_progress()
    open_cancel(order)
    client.force_login(order.provider)

    response = client.post(
        reverse("request_open", args=[order.pk, "request_update"]),
        {"open-request_update-message": "How is it going?"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Only the client can ask" in html or "already open" in html
    assert "How is it going?" in html
    assert ResolutionRequest.objects.count() == 1


def test_the_asked_party_sees_the_countdown_and_the_consequences_before_the_accept_button(client):
    order = order_in_progress(price=Decimal("120.00"))
    r = open_cancel(order, percent="50")
    client.force_login(order.provider)

    html = _page(client, order).content.decode()

    assert f'data-expires="{r.respond_by.isoformat()}"' in html
    consequences = html.index("You get 60.00")
    accept = html.index(reverse("request_action", args=[r.pk, "accept"]))
    assert consequences < accept
    assert "Your completion rate" in html
    assert reverse("request_action", args=[r.pk, "decline"]) in html
    assert reverse("request_action", args=[r.pk, "withdraw"]) not in html


def test_the_provider_reads_the_same_completion_rate_lines_as_in_the_cancel_dialog(client):
    # given: a cancel request on the provider's only order (nothing completed or cancelled yet)
    order = order_in_progress()
    r = open_cancel(order, percent="50")
    client.force_login(order.provider)

    # when
    response = client.get(reverse("request_detail", args=[r.pk]))

    # then: raw rate and its sample beside the smoothed one, before and after, as the quote shows them
    words = " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).replace("\u00a0", " ").split())
    assert "Your completion rate now 100 % smoothed (no orders yet)" in words
    assert "After this cancellation 83.33 % smoothed (raw 0 % of 1 order)" in words
    assert words.index("After this cancellation") < words.index("Accept and cancel the order")


def test_the_author_sees_withdraw_not_accept(client):
    order = order_in_progress()
    r = open_cancel(order)
    client.force_login(order.client)

    html = _page(client, order).content.decode()

    assert reverse("request_action", args=[r.pk, "withdraw"]) in html
    assert reverse("request_action", args=[r.pk, "accept"]) not in html
    assert "Your completion rate" not in html


def test_accepting_from_the_page_cancels_the_order(client):
    order = order_in_progress()
    r = open_cancel(order)
    client.force_login(order.provider)

    response = client.post(reverse("request_action", args=[r.pk, "accept"]), {"request-accept-message": ""})

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED


def test_declining_without_a_message_is_refused_on_the_page_and_changes_nothing(client):
    order = order_in_progress()
    r = open_extension(order)
    before = snapshot(order)
    client.force_login(order.client)

    response = client.post(reverse("request_action", args=[r.pk, "decline"]), {"request-decline-message": ""})

    assert response.status_code == 400
    assert snapshot(order) == before


def test_the_provider_responds_to_an_update_request_from_the_page(client):
    order = order_in_progress()
    r = open_update(order)
    client.force_login(order.provider)
    assert reverse("request_action", args=[r.pk, "respond"]) in _page(client, order).content.decode()

    client.post(reverse("request_action", args=[r.pk, "respond"]), {"request-respond-message": "Draft Friday"})

    r.refresh_from_db()
    assert (r.state, r.response_message) == ("accepted", "Draft Friday")


def test_past_requests_are_listed_and_have_a_page_with_their_history(client):
    order = order_in_progress()
    r = open_update(order)
    from disputes.services.requests import request_withdraw

    request_withdraw(resolution_request=r, actor=order.client)
    client.force_login(order.provider)

    html = _page(client, order).content.decode()
    detail = client.get(reverse("request_detail", args=[r.pk]))

    assert reverse("request_detail", args=[r.pk]) in html
    assert detail.status_code == 200
    assert "withdrawn" in detail.content.decode()


def test_a_stranger_gets_404_for_the_request_pages(client):
    order = order_in_progress()
    r = open_cancel(order)
    client.force_login(UserFactory())

    assert client.get(reverse("request_detail", args=[r.pk])).status_code == 404
    assert client.post(reverse("request_action", args=[r.pk, "accept"])).status_code == 404
    assert client.get(reverse("request_open", args=[order.pk, "cancel"])).status_code == 404


def test_the_order_page_with_requests_stays_within_a_query_budget(client, django_assert_max_num_queries):
    from disputes.services.requests import request_withdraw

    order = order_in_progress()
    for _ in range(5):
        request_withdraw(resolution_request=open_update(order), actor=order.client)
    open_cancel(order)
    client.force_login(order.provider)
    _page(client, order)  # warm caches (content types, sessions)

    with django_assert_max_num_queries(40):
        _page(client, order)


# --- Back office ------------------------------------------------------------------------------


def test_staff_list_requests_with_filters_and_see_the_log(client):
    order = order_in_progress()
    r = open_cancel(order)
    staff = UserFactory(support=True, is_superuser=True)
    client.force_login(staff)

    listing = client.get(reverse("admin:disputes_resolutionrequest_changelist"), {"overdue": "no", "type": "cancel"})
    page = client.get(reverse("admin:disputes_resolutionrequest_change", args=[r.pk]))

    assert listing.status_code == 200 and f"#{order.pk}" in listing.content.decode()
    assert page.status_code == 200
    assert "transition log" in page.content.decode().lower()
    assert client.get(reverse("admin:disputes_resolutionrequest_add")).status_code == 403
