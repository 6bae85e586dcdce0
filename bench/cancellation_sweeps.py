"""Benchmark the clock-driven cancellation sweeps on a throw-away database.

Seeds N due rows for each sweep (late marking, no-shows, abandoned orders, refund
settlement, waitlist offers run out and passed on), runs the sweep with every effect
(ledger, credit, audit, notifications and their e-mails), and reports rows per second and
the peak of Python memory during the sweep.
It runs twice, at N/4 and at N, so you can see whether memory grows with the rows.
With ``--deposits`` the policy asks every worker for a deposit and each has put one down, so
the no-show sweep takes its fees from deposits first (compare its rate with a run without).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gigfair python bench/cancellation_sweeps.py --orders 20000

It creates and drops its own test database (``test_<name>``); your data is not touched.
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
from orders.reconciliation import reconcile  # noqa: E402


def seed(n: int, *, deposits: bool = False) -> None:
    """N orders due for each sweep, written in bulk (the way they would have accumulated)."""
    from marketplace.models import Listing, User
    from orders.ledger import account_for, ledger_build, ledger_post_many
    from orders.models import AccountKind, Order, Payment, Refund
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
    orders = []
    for i in range(n):
        c, p = clients[i % 200], providers[i % 200]
        common = {"client": c, "provider": p, "policy": policy, "price": Decimal("100.00"), "currency": "EUR"}
        # late marking: in progress, due an hour ago
        orders.append(
            Order(
                kind="service",
                listing=service,
                title="late",
                delivery_days=3,
                due_at=now - timedelta(hours=1),
                state="in_progress",
                **common,
            )
        )
        # refunded: cancelled yesterday, its refund owed and due now (the settlement sweep pays it)
        orders.append(
            Order(
                kind="service",
                listing=service,
                title="refunded",
                delivery_days=3,
                state="cancelled",
                cancelled_at=now - timedelta(days=1),
                **common,
            )
        )
        # abandoned: no requirements for 15 days
        orders.append(
            Order(
                kind="service",
                listing=service,
                title="abandoned",
                delivery_days=3,
                state="awaiting_requirements",
                created_at=now - timedelta(days=15),
                **common,
            )
        )
    shift_listings = Listing.objects.bulk_create(
        [
            Listing(
                kind="shift",
                owner=clients[i % 200],
                title=f"shift {i}",
                price=Decimal("100.00"),
                starts_at=now - timedelta(hours=2),
                ends_at=now + timedelta(hours=4),
                location="Bench",
            )
            for i in range(n)
        ]
    )
    for i, listing in enumerate(shift_listings):
        orders.append(
            Order(
                kind="shift",
                listing=listing,
                title="no-show",
                client=listing.owner,
                provider=providers[i % 200],
                policy=policy,
                price=Decimal("100.00"),
                currency="EUR",
                state="booked",
                starts_at=listing.starts_at,
                ends_at=listing.ends_at,
                location="Bench",
            )
        )
    for start in range(0, len(orders), 5000):
        Order.objects.bulk_create(orders[start : start + 5000])
    payments = Payment.objects.bulk_create(
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
        batch_size=5000,
    )
    gateway, escrow = (
        account_for(kind=AccountKind.GATEWAY, currency="EUR"),
        account_for(kind=AccountKind.ESCROW, currency="EUR"),
    )
    built = [
        ledger_build(kind="charge", currency="EUR", order=o, lines=[(gateway, o.price), (escrow, -o.price)])
        for o in orders
    ]
    for start in range(0, len(built), 5000):
        ledger_post_many(built[start : start + 5000])
    # refunds due: N pending refunds on the cancelled orders' payments
    refunds_owed = account_for(kind=AccountKind.REFUNDS, currency="EUR")
    Refund.objects.bulk_create(
        [
            Refund(
                order_id=p.order_id,
                payment=p,
                amount=Decimal("100.00"),
                currency="EUR",
                settle_after=now - timedelta(minutes=1),
            )
            for p in payments
            if p.order.title == "refunded"
        ],
        batch_size=5000,
    )
    # The refunds above are owed: their orders' escrow went to "refunds owed" when they were
    # cancelled, so the books reconcile before and after the sweeps.
    owed = [
        ledger_build(
            kind="cancellation",
            currency="EUR",
            order_id=p.order_id,
            lines=[(escrow, Decimal("100.00")), (refunds_owed, Decimal("-100.00"))],
        )
        for p in payments
        if p.order.title == "refunded"
    ]
    for start in range(0, len(owed), 5000):
        ledger_post_many(owed[start : start + 5000])
    # waitlists: N shifts with a place free again, each with an offer that ran out and a worker
    # waiting next (the sweep expires the offer and offers the place on, with its notice)
    from orders.models import WaitlistEntry, WaitlistState

    open_again = Listing.objects.bulk_create(
        [
            Listing(
                kind="shift",
                owner=clients[i % 200],
                title=f"place open again {i}",
                price=Decimal("90.00"),
                starts_at=now + timedelta(days=2),
                ends_at=now + timedelta(days=2, hours=4),
                location="Bench",
                positions=1,
            )
            for i in range(n)
        ],
        batch_size=5000,
    )
    entries = []
    for i, listing in enumerate(open_again):
        entries.append(
            WaitlistEntry(
                listing=listing,
                worker=providers[i % 200],
                state=WaitlistState.OFFERED,
                created_at=now - timedelta(hours=3),
                offered_at=now - timedelta(hours=2),
                offer_expires_at=now - timedelta(hours=1),
            )
        )
        entries.append(
            WaitlistEntry(listing=listing, worker=providers[(i + 1) % 200], created_at=now - timedelta(hours=2))
        )
    WaitlistEntry.objects.bulk_create(entries, batch_size=5000)
    if deposits:
        _seed_deposits(policy, providers, gateway)


def _seed_deposits(policy, providers, gateway) -> None:
    """Every worker asked for a deposit of 30.00 (for shifts above 50.00) and holding it."""
    from orders.ledger import ledger_build, ledger_post_many
    from orders.models import Account, AccountKind, DepositPayment, Policy

    Policy.objects.filter(pk=policy.pk).update(
        deposit_below_score=101, deposit_above_price=Decimal("50.00"), deposit_amount=Decimal("30.00")
    )
    amount = Decimal("30.00")
    DepositPayment.objects.bulk_create(
        [
            DepositPayment(user=p, amount=amount, currency="EUR", source="card", state="paid", reference=f"b-{p.pk}")
            for p in providers
        ]
    )
    accounts = Account.objects.bulk_create(
        [Account(kind=AccountKind.DEPOSIT, user=p, currency="EUR") for p in providers]
    )
    ledger_post_many(
        [
            ledger_build(kind="deposit", currency="EUR", lines=[(gateway, amount), (account, -amount)])
            for account in accounts
        ]
    )


SWEEPS = (
    "orders.mark_late_orders",
    "orders.cancel_no_shows",
    "orders.close_orders_without_requirements",
    "orders.settle_refunds",
    "orders.expire_waitlist_offers",
)


def _run_all(
    n: int, *, trace: bool, only: tuple[str, ...] = SWEEPS, deposits: bool = False
) -> dict[str, tuple[int, float, float]]:
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    t0 = time.perf_counter()
    seed(n, deposits=deposits)
    if not trace:
        print(f"  seeded {n} due rows for each sweep in {time.perf_counter() - t0:.1f}s", flush=True)
    out = {}
    for name in only:
        if trace:
            tracemalloc.start()
        t0 = time.perf_counter()
        result = sweep_run(name)
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else 0.0
        if trace:
            tracemalloc.stop()
        out[name] = (result.processed, elapsed, peak)
    return out


def measure(n: int, only: tuple[str, ...] = SWEEPS, *, deposits: bool = False) -> None:
    """Time each sweep, then run them again on fresh rows under tracemalloc for the memory peak."""
    timed = _run_all(n, trace=False, only=only, deposits=deposits)
    traced = _run_all(n, trace=True, only=only, deposits=deposits)
    for name in only:
        rows, elapsed, _ = timed[name]
        peak = traced[name][2]
        print(
            f"  {name:45s} {rows:7d} rows {elapsed:7.2f}s {rows / elapsed:8.0f} rows/s  peak {peak:6.1f} MiB",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=20000, help="due rows per sweep (default 20000)")
    parser.add_argument("--only", action="append", choices=SWEEPS, help="time only this sweep (repeatable)")
    parser.add_argument("--deposits", action="store_true", help="every worker holds a deposit the fees come from")
    args = parser.parse_args()
    only = tuple(args.only or SWEEPS)
    print(f"database: {connection.vendor}")
    setup_test_environment()
    # Its own database, so a test run on the same server is never disturbed.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_{connection.settings_dict['NAME']}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        for n in (max(args.orders // 4, 1), args.orders):
            print(f"N = {n}")
            measure(n, only, deposits=args.deposits)
        # Every effect the sweeps wrote, checked like the nightly reconciliation does.
        books = reconcile()
        print(f"reconciliation: {books.checks} figures compared, {len(books.differences)} differences")
        if args.deposits:
            from orders.models import Cancellation

            kept = sum(Cancellation.objects.values_list("deposit_kept", flat=True))
            print(f"fees kept from deposits: {kept} EUR")
        for difference in books.differences:
            print(f"  {difference}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
