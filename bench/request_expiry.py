"""Benchmark the expiry sweep of resolution requests on a throw-away database.

Seeds N open requests whose answer window has passed (cancel and extension requests mixed,
on service orders in progress with their payment in escrow), runs ``expire_requests`` with
every effect (orders cancelled with the proposed split or due dates moved, ledger, refunds,
credit, audit rows for requests and orders, notifications and their e-mails queued), and
reports requests per second and the peak of Python memory during the sweep. It runs twice,
at N/4 and at N, so you can see whether memory grows with the rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gigfair python bench/request_expiry.py --requests 20000

It creates and drops its own test database (``bench_<name>``); your data is not touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.jobs import sweep_run  # noqa: E402

CHUNK = 5000


def seed(n: int) -> None:
    """N open requests past their window, half cancel and half extension, written in bulk."""
    from disputes.models import ResolutionRequest
    from marketplace.models import Listing, User
    from orders.ledger import account_for, ledger_build, ledger_post_many
    from orders.models import AccountKind, Order, Payment
    from orders.services import policy_current

    policy = policy_current()
    now = timezone.now()
    users = User.objects.bulk_create(
        [User(username=f"bench{i}", email=f"bench{i}@example.com", password="!") for i in range(400)]  # noqa: S106
    )
    clients, providers = users[:200], users[200:]
    service = Listing.objects.create(
        kind="service", owner=providers[0], title="Bench service", price=Decimal("100.00"), delivery_days=3, revisions=1
    )
    orders = [
        Order(
            kind="service",
            listing=service,
            title="bench",
            client=clients[i % 200],
            provider=providers[i % 200],
            policy=policy,
            price=Decimal("100.00"),
            currency="EUR",
            delivery_days=3,
            due_at=now + timedelta(days=1),
            state="in_progress",
            created_at=now - timedelta(days=3),
        )
        for i in range(n)
    ]
    for start in range(0, n, CHUNK):
        Order.objects.bulk_create(orders[start : start + CHUNK])
    Payment.objects.bulk_create(
        [
            Payment(
                order=o,
                gateway="bench",
                reference=f"bench-{o.pk}",
                method="card",
                amount=o.price,
                currency="EUR",
                status="succeeded",
            )
            for o in orders
        ],
        batch_size=CHUNK,
    )
    gateway = account_for(kind=AccountKind.GATEWAY, currency="EUR")
    escrow = account_for(kind=AccountKind.ESCROW, currency="EUR")
    for start in range(0, n, CHUNK):
        ledger_post_many(
            [
                ledger_build(kind="charge", currency="EUR", order=o, lines=[(gateway, o.price), (escrow, -o.price)])
                for o in orders[start : start + CHUNK]
            ]
        )
    requests = []
    for i, o in enumerate(orders):
        common = {
            "order": o,
            "message": "bench",
            "respond_by": now - timedelta(minutes=1),
            "created_at": now - timedelta(hours=49),
        }
        if i % 2:
            requests.append(
                ResolutionRequest(
                    author=o.provider,
                    author_role="provider",
                    type="extend_delivery",
                    new_due_at=o.due_at + timedelta(days=2),
                    **common,
                )
            )
        else:
            requests.append(
                ResolutionRequest(
                    author=o.client,
                    author_role="client",
                    type="cancel",
                    reason="schedule_change",
                    refund_percent=Decimal("60"),
                    **common,
                )
            )
    ResolutionRequest.objects.bulk_create(requests, batch_size=CHUNK)


def _run(n: int, *, trace: bool) -> tuple[int, float, float, str]:
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    t0 = time.perf_counter()
    seed(n)
    if not trace:
        print(f"  seeded {n} expired requests in {time.perf_counter() - t0:.1f}s", flush=True)
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    result = sweep_run("disputes.expire_requests")
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else 0.0
    if trace:
        tracemalloc.stop()
    return result.processed, elapsed, peak, result.detail


def _check(n: int) -> None:
    """Every request ended and every effect is there: the speed is not bought with skipped work."""
    from core.models import TransitionLog
    from disputes.models import ResolutionRequest
    from marketplace.models import Notification
    from orders.models import Cancellation, Order, Refund

    assert not ResolutionRequest.objects.filter(state="open").exists()
    assert ResolutionRequest.objects.filter(resolution="auto_accepted").count() == n
    cancels = (n + 1) // 2
    assert Cancellation.objects.count() == Refund.objects.count() == cancels
    assert Order.objects.filter(state="cancelled").count() == cancels
    assert TransitionLog.objects.count() == n + n  # one per request, one per order (cancel or extension)
    assert Notification.objects.count() == 2 * n + 2 * cancels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20000, help="expired requests (default 20000)")
    args = parser.parse_args()
    print(f"database: {connection.vendor}")
    setup_test_environment()
    # Its own database, so a test run on the same server is never disturbed.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_{connection.settings_dict['NAME']}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        for n in (max(args.requests // 4, 1), args.requests):
            print(f"N = {n}")
            rows, elapsed, _peak, detail = _run(n, trace=False)
            _check(n)
            _rows, _elapsed, peak, _detail = _run(n, trace=True)
            print(
                f"  disputes.expire_requests {rows:7d} requests {elapsed:7.2f}s {rows / elapsed:8.0f} requests/s"
                f"  peak {peak:6.1f} MiB  ({detail})",
                flush=True,
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
