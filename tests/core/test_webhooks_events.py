"""Which changes become webhook events, for whom, and what recording them costs."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.jobs import sweep_run
from core.models import WebhookDelivery
from core.webhooks.events import ANY_ACTIVE_CACHE_KEY, any_active_endpoint, event_types, webhook_events_record
from core.webhooks.services import webhook_endpoint_create, webhook_endpoint_update
from disputes.services.requests import request_accept, request_open
from orders import services as order_services
from orders.models import Order
from tests.factories import UserFactory, order_in_progress, service_order

pytestmark = pytest.mark.django_db

EVERYTHING = ["*"]


def endpoint_for(user, events=EVERYTHING, url="https://partner.example/hooks"):
    return webhook_endpoint_create(owner=user, url=url, events=events)


def test_catalogue_names_each_subject_and_state():
    types = set(event_types())

    assert {"order.cancelled", "order.completed", "request.accepted", "case.ruled", "ticket.approved"} <= types
    assert {"claim.pending_review", "claim.accepted", "claim.rejected", "appeal.upheld", "appeal.denied"} <= types
    assert "ping" not in types
    assert {"review.pending", "review.published", "review.removed"} <= types
    assert {"payout.requested", "payout.paid", "payout.failed"} <= types
    subjects = {"order", "request", "case", "ticket", "claim", "appeal", "review", "payout"}
    assert all(t.split(".")[0] in subjects for t in types)


def test_only_the_parties_endpoints_get_the_event():
    # given
    order = service_order()
    client_hook, provider_hook = endpoint_for(order.client), endpoint_for(order.provider)
    endpoint_for(UserFactory())  # a stranger's

    # when
    order_in_progress(order=order)

    # then
    deliveries = WebhookDelivery.objects.filter(event_type="order.in_progress")
    assert {d.endpoint_id for d in deliveries} == {client_hook.pk, provider_hook.pk}
    assert len({d.event_id for d in deliveries}) == 1  # one event, delivered to two endpoints
    assert all(d.status == "pending" and d.payload["data"]["to"] == "in_progress" for d in deliveries)


def test_an_endpoint_gets_only_the_events_it_subscribes_to():
    # given
    order = service_order()
    completed_only = endpoint_for(order.client, events=["order.completed"])

    # when
    order = order_in_progress(order=order)
    order = order_services.order_deliver(order=order, actor=order.provider, message="Here it is")
    order_services.order_accept_delivery(order=order, actor=order.client)

    # then
    assert list(WebhookDelivery.objects.values_list("endpoint_id", "event_type")) == [
        (completed_only.pk, "order.completed")
    ]


def test_paused_endpoint_gets_nothing():
    order = service_order()
    webhook_endpoint_update(endpoint=endpoint_for(order.client), active=False)

    order_in_progress(order=order)

    assert not WebhookDelivery.objects.exists()


def test_request_events_go_to_the_parties_of_its_order():
    # given
    order = order_in_progress()
    client_hook = endpoint_for(order.client, events=["request.accepted", "order.cancelled"])
    provider_hook = endpoint_for(order.provider, events=["request.open"])
    resolution_request = request_open(
        order=order, actor=order.client, type="cancel", reason="schedule_change", refund_percent=50, message="Sorry"
    )

    # when
    request_accept(resolution_request=resolution_request, actor=order.provider)

    # then
    got = set(WebhookDelivery.objects.values_list("endpoint_id", "event_type"))
    assert got == {
        (provider_hook.pk, "request.open"),
        (client_hook.pk, "request.accepted"),
        (client_hook.pk, "order.cancelled"),
    }
    accepted = WebhookDelivery.objects.get(event_type="request.accepted")
    assert accepted.payload["data"]["object"]["url"] == f"/api/v1/requests/{resolution_request.pk}/"
    assert accepted.payload["data"]["by"] == order.provider.username


def test_events_are_sent_only_after_the_commit(receiver, django_capture_on_commit_callbacks):
    # given
    order = service_order()
    endpoint_for(order.client, url=receiver.url)

    # when
    with django_capture_on_commit_callbacks() as callbacks:
        order_in_progress(order=order)

    # then: written in the transaction, not yet sent
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert receiver.received == []
    for callback in callbacks:
        callback()
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert len(receiver.received) == 1


def test_no_endpoint_anywhere_costs_no_query_once_known(django_assert_num_queries):
    # given: the cold cache costs one query, once
    order = service_order()
    rows = [
        {
            "content_type_id": ContentType.objects.get_for_model(Order).pk,
            "object_id": order.pk,
            "transition": "x",
            "from_state": "a",
            "to_state": "b",
            "actor_id": None,
            "actor_role": "system",
            "reason": "",
            "at": timezone.now(),
        }
    ]
    assert any_active_endpoint() is False

    # when / then
    with django_assert_num_queries(0):
        assert webhook_events_record(rows) == []


def test_a_new_endpoint_is_heard_at_once_after_nobody_was():
    order = service_order()
    assert any_active_endpoint() is False  # cached "nobody"

    endpoint_for(order.client)
    order_in_progress(order=order)

    assert WebhookDelivery.objects.count() == 1


def _late_cohort(n: int, due_at):
    # Requirements go in three days before ``due_at``, so the orders fall due then.
    orders = [order_in_progress(delivery_days=3, at=due_at - timedelta(days=3)) for _ in range(n)]
    for order in orders:
        endpoint_for(order.client)
        endpoint_for(order.provider, events=["order.late"])
    return orders


def test_a_sweep_batch_records_events_in_a_constant_number_of_queries():
    # given: two cohorts of late orders, of 2 and of 8, every party with an endpoint
    now = timezone.now()
    _late_cohort(2, now + timedelta(days=10))
    _late_cohort(8, now + timedelta(days=20))

    # when: each run starts without the cached "anyone listening?", as after its expiry
    runs = []
    for days, expected in ((10, 2), (20, 8)):
        cache.delete(ANY_ACTIVE_CACHE_KEY)
        with (
            time_machine.travel(now + timedelta(days=days, seconds=1), tick=False),
            CaptureQueriesContext(connection) as queries,
        ):
            assert sweep_run("orders.mark_late_orders").processed == expected
        runs.append(queries.captured_queries)
    few, many = runs

    # then: one event per order for each of its two parties' endpoints
    assert WebhookDelivery.objects.filter(event_type="order.late").count() == 20
    assert len(many) == len(few)
    webhook_queries = [q for q in many if "webhook" in q["sql"]]
    # "anyone listening?", the parties' endpoints, the outbox
    assert len(webhook_queries) <= 3


def test_a_cache_outage_falls_back_to_the_database(monkeypatch):
    # given
    order = service_order()
    endpoint_for(order.client)

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr("core.webhooks.events.django_cache.get", down)
    monkeypatch.setattr("core.webhooks.events.django_cache.set", down)

    # when
    order_in_progress(order=order)

    # then
    assert WebhookDelivery.objects.count() == 1


def test_a_subject_wildcard_gets_that_subjects_events_only():
    # given
    order = order_in_progress()
    hook = endpoint_for(order.client, events=["request.*"])

    # when
    resolution_request = request_open(
        order=order, actor=order.client, type="cancel", reason="schedule_change", refund_percent=50, message="Sorry"
    )
    request_accept(resolution_request=resolution_request, actor=order.provider)

    # then: the request's events, not the order's cancellation
    assert sorted(WebhookDelivery.objects.filter(endpoint=hook).values_list("event_type", flat=True)) == [
        "request.accepted",
        "request.open",
    ]
