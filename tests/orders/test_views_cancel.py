"""Cancelling on the web: the quote dialog, confirming it, and the order page afterwards."""

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.urls import reverse

from core.jobs import sweep_run
from orders import services
from orders.cancellation import cancellation_quote, cancellation_reverse, order_cancel
from orders.gateways import _gateway_class
from orders.models import Cancellation, CancellationQuote, Order, OrderState, Refund, RefundStatus
from tests.factories import UserFactory, order_in_progress, order_late, service_order, shift_order
from tests.gateways import FlakyRefundGateway

pytestmark = pytest.mark.django_db

EUR = "\u00a0EUR"
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "cancel-dialog"}


def _dialog(client, order, **headers):
    return client.get(reverse("order_cancel", args=[order.pk]), **headers)


def _confirm(client, order, quote_id, *, reason="schedule_change", message="", **headers):
    data = {"reason": reason, "message": message, "quote_id": str(quote_id)}
    return client.post(reverse("order_cancel", args=[order.pk]), data, **headers)


def _effects(response) -> list[str]:
    return [effect.text for effect in response.context["effects"]]


def _text(response) -> str:
    return unescape(response.content.decode())


def _words(response) -> str:
    """The page as a reader sees it: no tags, one plain space between words."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _state(order) -> str:
    return Order.objects.values_list("state", flat=True).get(pk=order.pk)


def _has_confirm_button(response) -> bool:
    return 'name="quote_id"' in response.content.decode() and "Cancel the order" in response.content.decode()


# --- The quote, per tier and per side -------------------------------------------------------


@pytest.mark.parametrize(
    ("hours_before", "tier", "refund", "compensation"),
    [
        (30, "≥ 24 h before start", "80.00", None),
        (5, "2–24 h before start", "72.00", "8.00"),
        (1, "< 2 h before start", "56.00", "24.00"),
    ],
)
def test_client_sees_the_shift_tier_in_force_from_their_side(client, hours_before, tier, refund, compensation):
    order = shift_order(price=Decimal("80.00"))
    client.force_login(order.client)

    with time_machine.travel(order.starts_at - timedelta(hours=hours_before), tick=False):
        response = _dialog(client, order)

    assert response.status_code == 200
    effects = _effects(response)
    assert f"You get back {refund}{EUR}" in effects
    if compensation:
        assert f"The provider gets {compensation}{EUR} as compensation" in effects
    else:
        assert "The provider gets no compensation" in effects
    assert "The provider pays no cancellation fee" in effects
    assert "No one's credit score changes" in effects
    assert "It does not count against the provider's completion rate" in effects
    assert tier in _text(response)
    assert _has_confirm_button(response)


@pytest.mark.parametrize(
    ("hours_before", "expected", "not_expected"),
    [
        (
            30,
            [
                "You pay no cancellation fee",
                "No one's credit score changes",
                "It does not count against your completion rate",
            ],
            ["It counts as a complaint against you"],
        ),
        (
            5,
            [
                f"You pay a cancellation fee of 8.00{EUR}",
                "No one's credit score changes",
                "It counts against your completion rate",
            ],
            ["It counts as a complaint against you"],
        ),
        (
            1,
            [
                f"You pay a cancellation fee of 8.00{EUR}",
                "Your credit score drops by 10",
                "It counts against your completion rate",
                "It counts as a complaint against you",
            ],
            [],
        ),
    ],
)
def test_provider_sees_the_shift_tier_in_force_from_their_side(client, hours_before, expected, not_expected):
    order = shift_order(price=Decimal("80.00"))
    client.force_login(order.provider)

    with time_machine.travel(order.starts_at - timedelta(hours=hours_before), tick=False):
        response = _dialog(client, order)

    effects = _effects(response)
    assert "The client gets back 80.00\u00a0EUR" in effects
    assert "You get no compensation" in effects
    for line in expected:
        assert line in effects
    for line in not_expected:
        assert line not in effects
    assert _has_confirm_button(response)


def test_quote_says_until_when_it_holds_and_under_which_policy(client):
    order = shift_order()
    client.force_login(order.provider)

    with time_machine.travel(order.starts_at - timedelta(hours=24, minutes=5), tick=False):
        response = _dialog(client, order)

    quote = response.context["quote"]
    assert quote.valid_until == order.starts_at - timedelta(hours=24)  # the tier ends before 15 minutes pass
    html = _text(response)
    assert "(5\u00a0minutes left)" in html
    assert "These terms end when the quote does" in html
    assert "Policy version 1 (Gigfair standard terms)" in html
    assert "Provider cancels a booked shift" in html
    assert f'value="{quote.token}"' in html
    assert "no protection" in html


def test_client_cancels_free_while_requirements_are_awaited(client):
    order = service_order(price=Decimal("120.00"))
    client.force_login(order.client)

    response = _dialog(client, order)

    effects = _effects(response)
    assert f"You get back 120.00{EUR}" in effects
    assert "It does not count against the provider's completion rate" in effects
    assert "No one's credit score changes" in effects
    assert "before requirements" in _text(response)
    assert _has_confirm_button(response)


def test_in_progress_service_order_is_refused_with_the_resolution_center(client):
    order = order_in_progress()
    client.force_login(order.client)

    response = _dialog(client, order)

    assert response.context["quote"] is None
    html = _text(response)
    assert "ask the other party to cancel through the Resolution Center" in html
    assert "Ask the other party through the Resolution Center on the order page" in html
    assert not _has_confirm_button(response)
    assert not CancellationQuote.objects.exists()


def test_late_order_force_cancel_is_refused_during_the_grace_then_offered(client):
    order = order_late(price=Decimal("120.00"))
    client.force_login(order.client)

    with time_machine.travel(order.due_at + timedelta(minutes=1), tick=False):
        refused = _dialog(client, order)
    with time_machine.travel(order.due_at + timedelta(hours=24, minutes=1), tick=False):
        offered = _dialog(client, order)

    assert _state(order) == OrderState.LATE
    assert not _has_confirm_button(refused)
    assert "You can force-cancel from" in _text(refused)
    assert refused.context["view"].decision.available_from == order.due_at + timedelta(hours=24)
    assert _has_confirm_button(offered)
    effects = _effects(offered)
    assert f"You get back 120.00{EUR}" in effects
    assert "The provider's credit score drops by 5" in effects
    assert "It counts against the provider's completion rate" in effects
    assert "Provider responsible" in _text(offered)


def test_force_cancel_of_a_late_order_goes_through(client):
    order = order_late()
    client.force_login(order.client)

    with time_machine.travel(order.due_at + timedelta(hours=24, minutes=1), tick=False):
        quote = _dialog(client, order).context["quote"]
        response = _confirm(client, order, quote.token, reason="service_quality")

    assert response.status_code == 302
    cancellation = Cancellation.objects.get(order=order)
    assert (cancellation.path, cancellation.credit_delta, cancellation.quote_id) == ("client_force_late", -5, quote.id)


# --- Confirming --------------------------------------------------------------------------


def test_confirm_cancels_exactly_the_quoted_terms(client):
    order = shift_order(price=Decimal("80.00"))
    client.force_login(order.client)
    with time_machine.travel(order.starts_at - timedelta(hours=5), tick=False):
        quote = _dialog(client, order).context["quote"]

        # when the client confirms a minute later
        with time_machine.travel(order.starts_at - timedelta(hours=4, minutes=59), tick=False):
            response = _confirm(client, order, quote.token, reason="client_changed_demand", message="Event moved")

    assert response.status_code == 302
    assert response.url == reverse("order_detail", args=[order.pk])
    cancellation = Cancellation.objects.get(order=order)
    assert cancellation.quote_id == quote.id
    for term in (
        "refund_to_client",
        "compensation_to_provider",
        "retained_by_platform",
        "fee_to_platform",
        "credit_delta",
        "credit_party",
        "counts_against_completion_rate",
        "counts_as_complaint",
        "fault",
        "tier",
    ):
        assert getattr(cancellation, term) == getattr(quote, term), term
    assert (cancellation.reason, cancellation.message, cancellation.actor) == (
        "client_changed_demand",
        "Event moved",
        order.client,
    )
    assert Refund.objects.get(order=order).amount == Decimal("72.00")
    page = client.get(response.url)
    assert f"Order #{order.pk} is cancelled on the quoted terms." in page.content.decode()


def test_expired_quote_shows_an_error_and_a_fresh_quote_and_changes_nothing(client):
    order = shift_order(price=Decimal("80.00"))
    client.force_login(order.provider)
    with time_machine.travel(order.starts_at - timedelta(hours=24, minutes=5), tick=False):
        stale = _dialog(client, order).context["quote"]
    assert stale.fee_to_platform == 0

    with time_machine.travel(order.starts_at - timedelta(hours=23), tick=False):
        response = _confirm(client, order, stale.token, reason="logistics", message="Train strike")

    assert response.status_code == 200
    html = _text(response)
    assert "The quote you confirmed has expired, so nothing was cancelled." in html
    fresh = response.context["quote"]
    assert fresh.id != stale.id and fresh.fee_to_platform == Decimal("8.00")
    assert f"You pay a cancellation fee of 8.00{EUR}" in _effects(response)
    assert f'value="{fresh.token}"' in html and stale.token not in html
    assert 'value="logistics" selected' in html and "Train strike" in html  # what they typed is kept
    assert _state(order) == OrderState.BOOKED
    assert not Cancellation.objects.exists() and not Refund.objects.exists()


def test_expired_quote_in_the_dialog_answers_with_the_dialog(client):
    order = shift_order()
    client.force_login(order.provider)
    with time_machine.travel(order.starts_at - timedelta(hours=24, minutes=5), tick=False):
        stale = _dialog(client, order, **HTMX).context["quote"]

    with time_machine.travel(order.starts_at - timedelta(hours=23), tick=False):
        response = _confirm(client, order, stale.token, **HTMX)

    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'id="cancel-panel"' in response.content
    assert b"has expired" in response.content
    assert _state(order) == OrderState.BOOKED


def test_confirming_after_the_order_moved_on_explains_and_cancels_nothing(client):
    order = service_order()
    client.force_login(order.client)
    quote = _dialog(client, order).context["quote"]
    services.order_submit_requirements(order=order, actor=order.client, requirements="A fox")  # in another tab

    response = _confirm(client, order, quote.token)

    assert response.status_code == 200
    assert "Work on this order has started" in _text(response)
    assert response.context["quote"] is None and not _has_confirm_button(response)
    assert _state(order) == OrderState.IN_PROGRESS


def test_confirm_without_a_reason_cancels_nothing_and_asks_for_one(client):
    order = service_order()
    client.force_login(order.client)
    quote = _dialog(client, order).context["quote"]

    response = _confirm(client, order, quote.token, reason="")

    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert 'aria-invalid="true"' in response.content.decode()
    assert _state(order) == OrderState.AWAITING_REQUIREMENTS


def test_confirm_naming_no_quote_cancels_nothing(client):
    order = service_order()
    client.force_login(order.client)

    response = client.post(reverse("order_cancel", args=[order.pk]), {"reason": "other"})

    assert response.status_code == 200
    assert "named no quote, so nothing was cancelled" in response.content.decode()
    assert response.context["quote"] is not None
    assert _state(order) == OrderState.AWAITING_REQUIREMENTS


def test_confirm_with_someone_elses_quote_cancels_nothing(client):
    order = shift_order()
    theirs = cancellation_quote(order=order, actor=order.client).quote
    client.force_login(order.provider)

    response = _confirm(client, order, theirs.id)

    assert response.status_code == 200
    assert "does not belong to this order" in response.content.decode()
    assert _state(order) == OrderState.BOOKED


def test_confirming_twice_lands_on_the_cancelled_order(client):
    order = service_order()
    client.force_login(order.client)
    quote = _dialog(client, order).context["quote"]
    _confirm(client, order, quote.token)

    response = _confirm(client, order, quote.token, follow=True)

    assert response.redirect_chain == [(reverse("order_detail", args=[order.pk]), 302)]
    assert "already cancelled" in response.content.decode()
    assert Cancellation.objects.filter(order=order).count() == 1


def test_confirm_from_the_dialog_reloads_the_order_page(client):
    order = service_order()
    client.force_login(order.client)
    quote = _dialog(client, order, **HTMX).context["quote"]

    response = _confirm(client, order, quote.token, **HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("order_detail", args=[order.pk])
    assert _state(order) == OrderState.CANCELLED


# --- Who may, and in which form ------------------------------------------------------------


def test_a_stranger_gets_404_on_the_dialog_and_the_confirmation(client, user):
    order = shift_order()
    quote = cancellation_quote(order=order, actor=order.client).quote
    client.force_login(user)

    assert _dialog(client, order).status_code == 404
    assert _confirm(client, order, quote.token).status_code == 404
    assert _state(order) == OrderState.BOOKED


def test_staff_who_are_not_parties_cannot_cancel_here(client):
    order = shift_order()
    client.force_login(UserFactory(support=True))

    assert _dialog(client, order).status_code == 404


def test_the_dialog_needs_login(client):
    order = service_order()

    response = _dialog(client, order)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_htmx_gets_the_dialog_and_a_plain_request_gets_a_page(client):
    order = service_order()
    client.force_login(order.client)

    fragment = _dialog(client, order, **HTMX)
    page = _dialog(client, order)

    assert b"<html" not in fragment.content
    assert b"data-close-dialog" in fragment.content and b"hx-post=" in fragment.content
    assert b"<html" in page.content and b"hx-post=" not in page.content
    assert reverse("order_detail", args=[order.pk]).encode() in page.content  # the way back
    assert "HX-Request" in fragment["Vary"]


# --- The order page ----------------------------------------------------------------------


@pytest.mark.parametrize("party", ["client", "provider"])
def test_a_booked_shift_offers_both_parties_the_quoted_cancel(client, party):
    order = shift_order()
    client.force_login(getattr(order, party))

    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()

    url = reverse("order_cancel", args=[order.pk])
    assert f'href="{url}"' in html and f'hx-get="{url}"' in html
    assert "Cancel order…" in html and "Ask to cancel…" not in html
    assert '<dialog id="cancel-dialog"' in html


@pytest.mark.parametrize("party", ["client", "provider"])
def test_work_in_progress_has_one_cancel_door_the_resolution_center_request(client, party):
    # Neither party may cancel work in progress alone: the door is the request, never a dead dialog.
    order = order_in_progress()
    client.force_login(getattr(order, party))

    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert "Cancel order…" not in html
    assert 'href="#request-cancel"' in html and "Ask to cancel…" in html
    assert 'id="request-cancel"' in html  # the Resolution Center's cancel request it opens
    assert reverse("request_open", args=[order.pk, "cancel"]) in html


def test_a_shift_under_way_is_cancelled_with_a_claim(client):
    from tests.factories import shift_checked_in

    order = shift_checked_in()
    client.force_login(order.provider)

    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert "Cancel order…" not in html
    assert reverse("claim_file", args=[order.pk]) in html and "Cancel with a claim…" in html


def test_order_page_of_a_cancelled_order_offers_no_cancel(client):
    order = service_order()
    order_cancel(order=order, actor=order.client, reason="other")
    client.force_login(order.client)

    response = client.get(reverse("order_detail", args=[order.pk]))

    assert "Cancel order…" not in response.content.decode()
    assert response.context["can_cancel"] is False


def test_cancellation_panel_shows_who_why_the_rule_and_every_effect(client):
    order = shift_order(price=Decimal("80.00"))
    with time_machine.travel(order.starts_at - timedelta(hours=1), tick=False):
        quote = cancellation_quote(order=order, actor=order.provider).quote
        order_cancel(
            order=order, actor=order.provider, reason="schedule_change", message="Sick child", quote_id=quote.token
        )
    client.force_login(order.client)

    response = client.get(reverse("order_detail", args=[order.pk]))

    html = _text(response)
    panel = html[html.index('id="cancellation-title"') :]
    assert f"{order.provider.public_name} (provider)" in panel
    assert "Personal/schedule change" in panel and "Sick child" in panel
    assert "Provider cancels a booked shift" in panel and "< 2 h before start" in panel
    assert "policy version 1" in panel and "as quoted before confirming" in panel
    assert "Provider responsible" in panel
    assert f"80.00{EUR}" in panel  # refund to the client
    assert f"8.00{EUR}" in panel  # the provider's fee
    assert "-10 for the provider" in panel
    assert "counts against the provider's completion rate" in panel
    assert "counts as a complaint against the provider" in panel
    assert "Reversed on appeal" not in panel


def test_cancellation_panel_marks_the_viewers_own_part(client):
    order = shift_order()
    with time_machine.travel(order.starts_at - timedelta(hours=1), tick=False):
        order_cancel(order=order, actor=order.provider, reason="schedule_change")
    client.force_login(order.provider)

    response = client.get(reverse("order_detail", args=[order.pk]))

    words = _words(response)
    assert "Cancelled by you (provider)" in words
    assert "-10 for the provider (you)" in words
    assert "8.00 EUR (you)" in words  # the fee is theirs


def test_cancellation_reversed_on_appeal_says_so(client):
    order = shift_order()
    with time_machine.travel(order.starts_at - timedelta(hours=1), tick=False):
        order_cancel(order=order, actor=order.provider, reason="force_majeure")
    staff = UserFactory(support=True)
    cancellation_reverse(cancellation=order.cancellation, actor=staff, reason="Hospital letter checked")
    client.force_login(order.provider)

    response = client.get(reverse("order_detail", args=[order.pk]))

    html = _text(response)
    assert "Reversed on appeal" in html
    assert "Hospital letter checked" in html
    assert "does not count against the provider's completion rate" in html


def test_refunds_in_the_money_trail_show_their_status_and_dates(client, settings):
    settings.PAYMENT_GATEWAY = "tests.gateways.FlakyRefundGateway"
    _gateway_class.cache_clear()
    FlakyRefundGateway.failures_left = 1
    try:
        order = service_order(price=Decimal("120.00"))
        order_cancel(order=order, actor=order.client, reason="other")
        refund = order.refunds.get()
        client.force_login(order.client)

        pending = _text(client.get(reverse("order_detail", args=[order.pk])))
        with time_machine.travel(refund.settle_after, tick=False):
            sweep_run("orders.settle_refunds")
        failed = _text(client.get(reverse("order_detail", args=[order.pk])))
        refund.refresh_from_db()
        with time_machine.travel(refund.settle_after, tick=False):
            sweep_run("orders.settle_refunds")
        settled = _text(client.get(reverse("order_detail", args=[order.pk])))
    finally:
        _gateway_class.cache_clear()

    assert f"Refund 120.00{EUR}" in pending
    assert 'class="badge refund-pending">pending' in pending and "Settles after" in pending
    assert 'class="badge refund-failed">failed, will be retried' in failed and "Next attempt after" in failed
    assert 'class="badge refund-settled">settled' in settled and "Paid back" in settled
    assert Refund.objects.get().status == RefundStatus.SETTLED


def test_cancelled_order_page_reads_the_cancellation_and_refunds_in_a_few_queries(
    client, django_assert_max_num_queries
):
    order = service_order()
    order_cancel(order=order, actor=order.client, reason="other")
    client.force_login(order.client)

    # the open order page's 13 at most (the cancellation comes with the order) plus the refunds
    # with their payment
    with django_assert_max_num_queries(17):  # +3: requests, cases and tickets panels
        response = client.get(reverse("order_detail", args=[order.pk]))

    assert response.context["cancellation"].actor == order.client
