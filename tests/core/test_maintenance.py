"""Housekeeping sweeps keep the plumbing tables from growing without end."""

from datetime import timedelta

import pytest
import time_machine

from core.jobs import sweep_run
from core.models import IdempotencyKey
from orders.cancellation import cancellation_quote, order_cancel
from orders.models import CancellationQuote
from tests.factories import UserFactory, service_order

pytestmark = pytest.mark.django_db


def test_idempotency_keys_older_than_24h_are_purged():
    user = UserFactory()
    IdempotencyKey.objects.create(user=user, key="old", method="POST", path="/x", request_hash="h")
    with time_machine.travel(timedelta(hours=25), tick=False):
        IdempotencyKey.objects.create(user=user, key="new", method="POST", path="/x", request_hash="h")
        result = sweep_run("core.purge_expired_idempotency_keys")

    assert result.processed == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_unused_quotes_are_purged_a_week_after_expiry_but_used_ones_stay():
    # Quotes are tokens now and only a used one is stored; rows stored unused before remain, and go.
    unused_order, used_order = service_order(), service_order()
    unused = cancellation_quote(order=unused_order, actor=unused_order.client).quote
    unused.save(force_insert=True)
    used = cancellation_quote(order=used_order, actor=used_order.client).quote
    order_cancel(order=used_order, actor=used_order.client, reason="other", quote_id=used.token)

    with time_machine.travel(timedelta(days=8), tick=False):
        result = sweep_run("orders.purge_stale_quotes")

    assert result.processed == 1
    assert list(CancellationQuote.objects.values_list("id", flat=True)) == [used.id]
