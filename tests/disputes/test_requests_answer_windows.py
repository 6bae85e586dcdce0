"""Windows are enforced at the answer: an answer after ``respond_by`` is refused with
``request_expired``, and the outcome silence brings (the expiry sweep's) applies then, committed,
whether or not the sweep has run. A request on hold while the provider is away is not late."""

from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import translation

from core.exceptions import Conflict, PermissionDenied
from core.jobs import sweep_run
from core.models import ActorRole, WebhookDelivery
from core.webhooks.services import webhook_endpoint_create
from disputes.models import RequestState, Resolution, ResolutionRequest
from disputes.selectors.requests import unanswered_update_requests_count
from disputes.services.requests import request_accept, request_decline, request_respond
from marketplace.models import Notification
from marketplace.services import availability_set
from orders.models import Cancellation, Order, OrderState
from tests.disputes.test_requests_services import open_cancel, open_extension, open_update, request_log, snapshot
from tests.factories import UserFactory, order_in_progress
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)


def _late(r: ResolutionRequest, action, **kwargs):
    """Run ``action`` a second after the request's window closed; return the refusal."""
    with time_machine.travel(r.respond_by + SECOND, tick=False), pytest.raises(Conflict) as refused:
        action(resolution_request=r, **kwargs)
    assert refused.value.code == "request_expired"
    r.refresh_from_db()
    return refused.value


def _sweep_after(r: ResolutionRequest) -> int:
    with time_machine.travel(r.respond_by + timedelta(minutes=5), tick=False):
        return sweep_run("disputes.expire_requests").processed


# --- Services -----------------------------------------------------------------------------------


def test_accepting_a_cancel_request_too_late_is_refused_and_it_is_accepted_automatically(
    django_capture_on_commit_callbacks,
):
    # given a cancel request the provider left unanswered past its window
    order = order_in_progress(price=Decimal("120.00"))
    r = open_cancel(order, percent="60")

    # when the provider accepts a second too late (the sweep has not run yet)
    with django_capture_on_commit_callbacks(execute=True):
        refusal = _late(r, request_accept, actor=order.provider, message="Fine by me")

    # then the answer is refused, and the rules' outcome applies, by the system, as the sweep's would
    assert "accepted automatically" in refusal.message
    assert refusal.extra == {"state": RequestState.ACCEPTED, "resolution": Resolution.AUTO_ACCEPTED}
    assert (r.state, r.resolution, r.responded_by, r.response_message) == (
        RequestState.ACCEPTED,
        Resolution.AUTO_ACCEPTED,
        None,
        "",
    )
    assert request_log(r) == [("open", "", "open"), ("auto_accept", "open", "accepted")]
    cancellation = Cancellation.objects.get(order=order)
    assert (cancellation.actor_id, cancellation.actor_role, cancellation.refund_to_client) == (
        None,
        ActorRole.SYSTEM,
        Decimal("72.00"),
    )
    assert Order.objects.get(pk=order.pk).state == OrderState.CANCELLED
    assert {n.user_id for n in Notification.objects.filter(kind="request_auto_accepted")} == {
        order.client_id,
        order.provider_id,
    }
    assert not Notification.objects.filter(kind="request_accepted").exists()
    assert_every_transaction_balances()
    # and the sweep finds nothing left to do
    assert _sweep_after(r) == 0


def test_declining_an_extension_too_late_is_refused_and_the_new_due_date_applies():
    order = order_in_progress()
    r = open_extension(order, hours=48)

    refusal = _late(r, request_decline, actor=order.client, message="No")

    order.refresh_from_db()
    assert "the new due date applies" in refusal.message
    assert (r.state, r.resolution) == (RequestState.ACCEPTED, Resolution.AUTO_ACCEPTED)
    assert order.due_at == r.new_due_at
    assert order.history.filter(transition="extend_delivery", actor_role=ActorRole.SYSTEM).count() == 1
    assert _sweep_after(r) == 0


def test_responding_to_an_update_too_late_is_refused_and_counts_against_responsiveness():
    order = order_in_progress()
    r = open_update(order)

    refusal = _late(r, request_respond, actor=order.provider, message="Nearly done")

    assert "counts against your responsiveness" in refusal.message
    assert (r.state, r.resolution, r.response_message) == (RequestState.EXPIRED, Resolution.AUTO_EXPIRED, "")
    assert request_log(r) == [("open", "", "open"), ("expire", "open", "expired")]
    assert unanswered_update_requests_count(provider=order.provider) == 1
    assert _sweep_after(r) == 0


def test_an_answer_at_the_very_end_of_the_window_is_too_late_and_a_second_before_is_in_time():
    late_order, timely_order = order_in_progress(), order_in_progress()
    late, timely = open_cancel(late_order), open_cancel(timely_order)

    with time_machine.travel(late.respond_by, tick=False), pytest.raises(Conflict) as refused:
        request_accept(resolution_request=late, actor=late_order.provider)
    with time_machine.travel(timely.respond_by - SECOND, tick=False):
        request_accept(resolution_request=timely, actor=timely_order.provider)

    late.refresh_from_db()
    timely.refresh_from_db()
    assert refused.value.code == "request_expired"
    assert (late.resolution, timely.resolution) == (Resolution.AUTO_ACCEPTED, Resolution.BY_PARTY)


def test_an_answer_after_the_sweep_ended_the_request_is_refused_as_too_late_and_changes_nothing():
    order = order_in_progress()
    r = open_extension(order)
    assert _sweep_after(r) == 1
    before = snapshot(order)

    with time_machine.travel(r.respond_by + timedelta(hours=1), tick=False), pytest.raises(Conflict) as refused:
        request_decline(resolution_request=r, actor=order.client, message="No")

    assert (refused.value.code, refused.value.extra["resolution"]) == ("request_expired", Resolution.AUTO_ACCEPTED)
    assert snapshot(order) == before


def test_a_request_on_hold_while_the_provider_is_away_is_answered_after_its_respond_by():
    # given a cancel request to a provider who went away, with no return date, before its window ended
    order = order_in_progress()
    r = open_cancel(order)
    with time_machine.travel(r.respond_by - timedelta(hours=1), tick=False):
        availability_set(user=order.provider)
    r.refresh_from_db()

    # when they answer from their time away, past the original respond_by
    with time_machine.travel(r.respond_by + timedelta(hours=5), tick=False):
        request_accept(resolution_request=r, actor=order.provider)

    # then the answer counts: the window was on hold
    r.refresh_from_db()
    assert (r.state, r.resolution, r.responded_by) == (RequestState.ACCEPTED, Resolution.BY_PARTY, order.provider)


def test_the_author_answering_too_late_is_refused_as_before_and_silence_does_not_run():
    order = order_in_progress()
    r = open_cancel(order)
    before = snapshot(order)

    with time_machine.travel(r.respond_by + SECOND, tick=False), pytest.raises(PermissionDenied):
        request_accept(resolution_request=r, actor=order.client)

    assert snapshot(order) == before


def test_the_late_answer_tells_both_parties_in_their_own_language_and_webhooks_follow(
    django_capture_on_commit_callbacks,
):
    order = order_in_progress(client=UserFactory(language="nl"), provider=UserFactory(language="pt-br"))
    hook = webhook_endpoint_create(
        owner=order.client, url="https://partner.example/hooks", events=["request.accepted", "order.cancelled"]
    )
    r = open_cancel(order)

    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=True):
        _late(r, request_accept, actor=order.provider)

    titles = {n.user_id: n.title for n in Notification.objects.filter(kind="request_auto_accepted")}
    assert titles[order.client_id] == f"Het verzoek bij bestelling #{order.pk} is automatisch geaccepteerd"
    assert titles[order.provider_id] == f"A solicitação do pedido #{order.pk} foi aceite automaticamente"
    assert set(WebhookDelivery.objects.filter(endpoint=hook).values_list("event_type", flat=True)) == {
        "request.accepted",
        "order.cancelled",
    }


@pytest.mark.django_db(transaction=True)
def test_the_outcome_is_committed_before_the_answer_is_refused():
    # given no transaction around the call: the service's own is the outermost
    order = order_in_progress()
    r = open_cancel(order)
    mail.outbox.clear()

    _late(r, request_accept, actor=order.provider)

    # then what silence decided was committed (e-mails go out only on commit) and stays
    assert ResolutionRequest.objects.get(pk=r.pk).resolution == Resolution.AUTO_ACCEPTED
    assert Order.objects.get(pk=order.pk).state == OrderState.CANCELLED
    assert {tuple(m.to) for m in mail.outbox} >= {(order.client.email,), (order.provider.email,)}


# --- API ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opener", "action", "data", "state", "resolution"),
    [
        (open_cancel, "accept", {}, "accepted", "auto_accepted"),
        (open_cancel, "decline", {"message": "No"}, "accepted", "auto_accepted"),
        (open_extension, "accept", {}, "accepted", "auto_accepted"),
        (open_update, "respond", {"message": "Nearly"}, "expired", "auto_expired"),
    ],
)
def test_api_an_answer_after_respond_by_is_409_request_expired_and_the_request_shows_its_outcome(
    api_as, opener, action, data, state, resolution
):
    order = order_in_progress()
    r = opener(order)
    answerer = order.client if r.author_role == "provider" else order.provider
    api = api_as(answerer)

    with time_machine.travel(r.respond_by + SECOND, tick=False):
        response = api.post(f"/api/v1/requests/{r.pk}/{action}/", data, format="json")
        shown = api.get(f"/api/v1/requests/{r.pk}/").json()

    assert response.status_code == 409
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert (body["code"], body["state"], body["resolution"]) == ("request_expired", state, resolution)
    assert (shown["state"], shown["resolution"], shown["actions"]) == (state, resolution, [])


def test_api_an_answer_while_the_window_is_on_hold_is_200(api_as):
    order = order_in_progress()
    r = open_cancel(order)
    with time_machine.travel(r.respond_by - timedelta(hours=1), tick=False):
        availability_set(user=order.provider)

    with time_machine.travel(r.respond_by + timedelta(hours=2), tick=False):
        response = api_as(order.provider).post(f"/api/v1/requests/{r.pk}/accept/", {}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["resolution"] == "by_party"


def test_api_a_repeated_late_answer_replays_the_409(api_as):
    order = order_in_progress()
    r = open_cancel(order)
    api = api_as(order.provider)

    with time_machine.travel(r.respond_by + SECOND, tick=False):
        first = api.post(f"/api/v1/requests/{r.pk}/accept/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
        again = api.post(f"/api/v1/requests/{r.pk}/accept/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert (first.status_code, again.status_code) == (409, 409)
    assert Cancellation.objects.filter(order=order).count() == 1


# --- Pages ------------------------------------------------------------------------------------------


def test_page_accepting_too_late_says_so_and_shows_the_automatic_outcome(client):
    order = order_in_progress()
    r = open_cancel(order)
    client.force_login(order.provider)

    with time_machine.travel(r.respond_by + SECOND, tick=False):
        response = client.post(reverse("request_action", args=[r.pk, "accept"]), {"request-accept-message": ""})

    html = unescape(response.content.decode())
    assert response.status_code == 400
    assert "The time to answer ended at" in html
    assert "so the request was accepted automatically" in html
    r.refresh_from_db()
    assert (r.state, r.resolution) == (RequestState.ACCEPTED, Resolution.AUTO_ACCEPTED)
    assert Order.objects.get(pk=order.pk).state == OrderState.CANCELLED


def test_page_responding_too_late_says_it_counts_against_responsiveness(client):
    order = order_in_progress()
    r = open_update(order)
    client.force_login(order.provider)

    with time_machine.travel(r.respond_by + SECOND, tick=False):
        response = client.post(
            reverse("request_action", args=[r.pk, "respond"]), {"request-respond-message": "Nearly done"}
        )

    assert response.status_code == 400
    assert "counts against your responsiveness" in unescape(response.content.decode())
    assert ResolutionRequest.objects.get(pk=r.pk).state == RequestState.EXPIRED
