"""The Celery side of the sweeps: the task beat sends, eagerly and through a real broker."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import connections
from django.utils import timezone

from config.celery import app
from core.jobs import sweep_names
from core.tasks import run_sweep_task
from orders.ledger import escrow_balance_for
from orders.models import Order, OrderState
from tests.factories import order_delivered


def delivered_and_due() -> Order:
    """A delivered service order whose three days ran out a minute ago."""
    # The worker thread runs on the real clock, so the order is made and delivered three days
    # and a minute in the past instead of the clock moving forward.
    return order_delivered(at=timezone.now() - timedelta(days=3, minutes=1))


def test_beat_sends_every_sweep_to_the_sweep_task():
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert sorted(entry["args"][0] for entry in schedule.values()) == sorted(sweep_names())
    assert {entry["task"] for entry in schedule.values()} == {run_sweep_task.name} == {"core.run_sweep"}


def test_the_task_is_registered_under_its_stable_name():
    app.loader.import_default_modules()

    assert "core.run_sweep" in app.tasks


@pytest.mark.django_db
def test_sweep_task_completes_a_due_order():
    order = delivered_and_due()

    result = run_sweep_task.delay("orders.auto_complete_service_orders")

    order.refresh_from_db()
    assert result.get() == "1 processed"
    assert order.state == OrderState.COMPLETED
    assert escrow_balance_for(order) == 0


@pytest.mark.django_db
def test_sweep_task_ignores_an_unknown_sweep():
    order = delivered_and_due()

    result = run_sweep_task.delay("orders.no_such_sweep")

    order.refresh_from_db()
    assert result.get() == "unknown"
    assert order.state == OrderState.DELIVERED


def _end_other_sessions() -> None:
    """End database sessions the worker's threads left open, so the test database can be dropped."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_sweep_sent_through_redis():
    # Given a due order, committed where the worker's own database connection can see it,
    order = delivered_and_due()

    def close_worker_connections(**kwargs) -> None:
        # The worker thread's connection would otherwise outlive the test and keep the
        # test database busy when it is dropped.
        connections.close_all()

    app.conf.update(task_always_eager=False, broker_url=os.environ["REDIS_URL"])
    assert app.conf.task_always_eager is False, "the task must go through the broker"
    assert app.conf.broker_url.startswith("redis://")
    task_postrun.connect(close_worker_connections, weak=False)
    try:
        # when beat's message goes through the broker to a real worker,
        with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30):
            run_sweep_task.delay("orders.auto_complete_service_orders")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                order.refresh_from_db()
                if order.state == OrderState.COMPLETED:
                    break
                time.sleep(0.2)
    finally:
        task_postrun.disconnect(close_worker_connections)
        _end_other_sessions()
        app.conf.update(task_always_eager=settings.CELERY_TASK_ALWAYS_EAGER, broker_url=settings.CELERY_BROKER_URL)

    # then the worker completed the order and released escrow.
    assert order.state == OrderState.COMPLETED
    assert order.history.last().actor_role == "system"
    assert escrow_balance_for(order) == 0
