"""Races on resolution requests leave exactly one outcome (PostgreSQL, threads)."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from core.exceptions import ApplicationError
from core.jobs import sweep_run
from core.models import TransitionLog
from disputes.models import RequestState, ResolutionRequest
from disputes.selectors.requests import unanswered_update_requests_count
from disputes.services.requests import (
    request_accept,
    request_decline,
    request_open,
    request_respond,
    request_withdraw,
)
from marketplace.services import availability_set
from orders.models import Cancellation, Order, OrderState, Refund
from tests.disputes.test_requests_services import open_cancel, open_extension, open_update
from tests.factories import order_in_progress
from tests.orders.test_concurrency import race
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _request_log_count(r) -> int:
    return TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(ResolutionRequest), object_id=r.pk
    ).count()


def test_two_parties_opening_requests_at_once_leave_one_open():
    order = order_in_progress()

    results = race(
        lambda: open_cancel(Order.objects.get(pk=order.pk)),
        lambda: open_extension(Order.objects.get(pk=order.pk)),
        lambda: request_open(
            order=Order.objects.get(pk=order.pk), actor=order.client, type="request_update", message="?"
        ),
    )

    assert sum(isinstance(r, ResolutionRequest) for r in results) == 1
    assert all(r.code == "request_already_open" for r in results if isinstance(r, ApplicationError))
    assert ResolutionRequest.objects.filter(order=order, state=RequestState.OPEN).count() == 1


def test_accept_racing_the_expiry_sweep_cancels_the_order_once():
    order = order_in_progress()
    r = open_cancel(order, percent="40")

    with time_machine.travel(r.respond_by + timedelta(seconds=1), tick=True):
        results = race(
            lambda: request_accept(resolution_request=ResolutionRequest.objects.get(pk=r.pk), actor=order.provider),
            lambda: sweep_run("disputes.expire_requests"),
        )

    # then the answer came too late whoever ran first: the window's outcome, once
    r.refresh_from_db()
    assert (r.state, r.resolution) == (RequestState.ACCEPTED, "auto_accepted")
    assert Cancellation.objects.filter(order=order).count() == 1
    assert Refund.objects.filter(order=order).count() == 1
    assert Order.objects.get(pk=order.pk).history.filter(to_state=OrderState.CANCELLED).count() == 1
    assert _request_log_count(r) == 2  # open, then exactly one ending
    errors = [x for x in results if isinstance(x, ApplicationError)]
    assert [e.code for e in errors] == ["request_expired"]
    assert_every_transaction_balances()


def test_decline_racing_the_expiry_sweep_leaves_one_outcome():
    order = order_in_progress()
    r = open_extension(order)
    due_before = order.due_at

    with time_machine.travel(r.respond_by + timedelta(seconds=1), tick=True):
        race(
            lambda: request_decline(
                resolution_request=ResolutionRequest.objects.get(pk=r.pk), actor=order.client, message="No"
            ),
            lambda: sweep_run("disputes.expire_requests"),
        )

    # then the decline came too late: the extension is accepted automatically, once
    r.refresh_from_db()
    order.refresh_from_db()
    assert _request_log_count(r) == 2
    assert due_before != r.new_due_at
    assert (r.state, r.resolution, order.due_at) == (RequestState.ACCEPTED, "auto_accepted", r.new_due_at)
    assert order.history.filter(transition="extend_delivery").count() == 1


def test_respond_racing_the_expiry_sweep_expires_the_update_request_once():
    order = order_in_progress()
    r = open_update(order)

    with time_machine.travel(r.respond_by + timedelta(seconds=1), tick=True):
        results = race(
            lambda: request_respond(
                resolution_request=ResolutionRequest.objects.get(pk=r.pk), actor=order.provider, message="Nearly"
            ),
            lambda: sweep_run("disputes.expire_requests"),
            lambda: sweep_run("disputes.expire_requests"),
        )

    r.refresh_from_db()
    assert (r.state, r.resolution, r.response_message) == (RequestState.EXPIRED, "auto_expired", "")
    assert _request_log_count(r) == 2
    assert [x.code for x in results if isinstance(x, ApplicationError)] == ["request_expired"]
    assert unanswered_update_requests_count(provider=order.provider) == 1


def test_an_answer_in_time_racing_the_sweep_is_accepted_by_the_party():
    # given a request whose window is still open a little longer than the race takes
    order = order_in_progress()
    r = open_cancel(order, percent="40")

    with time_machine.travel(r.respond_by - timedelta(seconds=30), tick=True):
        results = race(
            lambda: request_accept(resolution_request=ResolutionRequest.objects.get(pk=r.pk), actor=order.provider),
            lambda: sweep_run("disputes.expire_requests"),
        )

    r.refresh_from_db()
    assert (r.state, r.resolution) == (RequestState.ACCEPTED, "by_party")
    assert not [x for x in results if isinstance(x, Exception)]
    assert Cancellation.objects.filter(order=order).count() == 1


def test_withdraw_racing_the_sweep_and_two_sweeps_at_once():
    orders = [order_in_progress() for _ in range(12)]
    requests = [open_cancel(o) for o in orders]
    latest = max(r.respond_by for r in requests)

    with time_machine.travel(latest + timedelta(seconds=1), tick=True):
        race(
            lambda: request_withdraw(
                resolution_request=ResolutionRequest.objects.get(pk=requests[0].pk), actor=orders[0].client
            ),
            lambda: sweep_run("disputes.expire_requests"),
            lambda: sweep_run("disputes.expire_requests"),
        )

    assert not ResolutionRequest.objects.filter(state=RequestState.OPEN).exists()
    for r in requests:
        assert _request_log_count(r) == 2
    assert Cancellation.objects.count() == ResolutionRequest.objects.filter(state=RequestState.ACCEPTED).count()
    assert Cancellation.objects.count() in (11, 12)
    assert_every_transaction_balances()


def test_time_away_announced_while_the_expiry_sweep_runs_leaves_one_outcome():
    # given a cancel request sent to the provider whose window has just ended
    order = order_in_progress()
    r = open_cancel(order, percent="40")

    # when the provider announces two days away while the sweep runs
    with time_machine.travel(r.respond_by + timedelta(seconds=1), tick=True):
        results = race(
            lambda: availability_set(user=order.provider, away_until=timezone.now() + timedelta(days=2)),
            lambda: sweep_run("disputes.expire_requests"),
        )

    # then either the sweep accepted it (and the announcement moved nothing), or the announcement
    # came first: its window counts the time away from now on, and the sweep left it open
    assert not [x for x in results if isinstance(x, Exception)]
    r.refresh_from_db()
    order.refresh_from_db()
    if r.state == RequestState.ACCEPTED:
        assert order.state == OrderState.CANCELLED
        assert Cancellation.objects.filter(order=order).count() == 1
    else:
        assert r.state == RequestState.OPEN and order.state == OrderState.IN_PROGRESS
        assert not Cancellation.objects.filter(order=order).exists()
    assert _request_log_count(r) == (2 if r.state == RequestState.ACCEPTED else 1)
    assert_every_transaction_balances()
