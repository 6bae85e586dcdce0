"""The data ``bench/api.py`` measures on: run by it in a subprocess, never on its own.

    python -m bench.api_seed floor             # DJANGO_SETTINGS_MODULE=bench.floor.settings
    python -m bench.api_seed gigfair           # DJANGO_SETTINGS_MODULE=config.settings.production
    python -m bench.api_seed deep --rows N     # Gigfair again: N more orders for the same client

Each prints one line ``SEED {json}`` with what the benchmark needs (ids, token, login).
Both sides get a client with 200 orders; the floor's table holds 100,000 orders in all.
Gigfair's orders go through the real services (placement and charge, requirements,
delivery, acceptance, cancellation), so each carries the history, payments, ledger and
credit a real one has.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

CLIENT_ORDERS = 200
FLOOR_ROWS = 100_000
CLIENT_USERNAME = "bench-client"
# The client's 200 orders by state; the order the detail, quote and pages read is one more, late.
GIGFAIR_MIX = (("completed", 110), ("in_progress", 30), ("delivered", 20), ("awaiting_requirements", 20))
GIGFAIR_CANCELLED = CLIENT_ORDERS - 1 - sum(n for _state, n in GIGFAIR_MIX)


def _out(data: dict) -> None:
    print("SEED " + json.dumps(data), flush=True)


# --- The floor ----------------------------------------------------------------------------


def seed_floor() -> None:
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    from bench.floor.models import Order

    rng = random.Random(7)
    now = timezone.now()
    client = User.objects.create_user(username=CLIENT_USERNAME)
    provider = User.objects.create_user(username="bench-provider")
    others = User.objects.bulk_create([User(username=f"bench-user{i}", password="!") for i in range(500)])  # noqa: S106

    def order(client_id: int, age: timedelta) -> Order:
        created = now - age
        return Order(
            client_id=client_id,
            provider_id=provider.pk,
            state=rng.choice(("in_progress", "delivered", "completed", "cancelled")),
            price=Decimal(rng.randrange(2000, 50000)) / 100,
            currency="EUR",
            created_at=created,
            due_at=created + timedelta(days=3),
        )

    rows = [order(client.pk, timedelta(minutes=10 * i + 1)) for i in range(CLIENT_ORDERS)]
    rows += [
        order(others[i % len(others)].pk, timedelta(minutes=rng.randrange(1, 1_000_000)))
        for i in range(FLOOR_ROWS - CLIENT_ORDERS)
    ]
    Order.objects.bulk_create(rows, batch_size=5000)
    # The order the detail reads and the POST moves: the client's newest, in progress.
    detail = Order.objects.filter(client=client).first()
    Order.objects.filter(pk=detail.pk).update(state="in_progress")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    _out({"token": Token.objects.create(user=client).key, "detail_id": detail.pk, "post_order_id": detail.pk})


# --- Gigfair ------------------------------------------------------------------------------


def _move_back(order, delta: timedelta) -> None:
    """Shift an order and everything it wrote back in time by ``delta`` (as seed_demo does)."""
    from django.db.models import F

    from core.models import TransitionLog
    from orders.models import Delivery, LedgerTransaction, Order, Payment

    fields = (
        "created_at",
        "requirements_submitted_at",
        "due_at",
        "delivered_at",
        "auto_complete_at",
        "completed_at",
        "cancelled_at",
    )
    Order.objects.filter(pk=order.pk).update(**{name: F(name) - delta for name in fields})
    TransitionLog.objects.filter(order=order).update(at=F("at") - delta)
    Payment.objects.filter(order=order).update(created_at=F("created_at") - delta)
    Delivery.objects.filter(order=order).update(created_at=F("created_at") - delta)
    LedgerTransaction.objects.filter(order=order).update(created_at=F("created_at") - delta)


def seed_gigfair() -> None:
    from rest_framework.authtoken.models import Token

    from core.jobs import sweep_run
    from marketplace.models import ListingKind
    from marketplace.services import listing_create, user_create
    from orders import services
    from orders.cancellation import order_cancel

    rng = random.Random(7)
    password = secrets.token_urlsafe(12)
    client = user_create(
        username=CLIENT_USERNAME, email="bench-client@example.com", password=password, display_name="Bench Client"
    )
    # The POSTs order as someone else, so the client keeps its 200 orders for what is measured after.
    buyer = user_create(username="bench-buyer", email="bench-buyer@example.com", password=password)
    providers = [
        user_create(username=f"bench-provider{i}", email=f"bench-provider{i}@example.com", password=password)
        for i in range(5)
    ]
    listings = [
        listing_create(
            owner=p,
            kind=ListingKind.SERVICE,
            title=f"Logo design, studio {i}",
            price=Decimal("120.00") + 15 * i,
            description="A clean vector logo; tell me about your business in the requirements.",
            delivery_days=3 + i,
            revisions=2,
        )
        for i, p in enumerate(providers)
    ]

    def take_to(state: str, n: int) -> None:
        listing = listings[n % len(listings)]
        order = services.order_create(actor=client, listing_id=listing.pk)
        if state == "cancelled":
            order_cancel(order=order, actor=client, reason="schedule_change")
        elif state != "awaiting_requirements":
            order = services.order_submit_requirements(order=order, actor=client, requirements="Our name, in blue.")
            if state != "in_progress":
                order = services.order_deliver(order=order, actor=order.provider, message="Three drafts attached.")
                if state != "delivered":
                    services.order_accept_delivery(order=order, actor=client)
        if state in ("completed", "cancelled"):
            # Finished orders spread over the past year; the open ones are from today.
            _move_back(order, timedelta(days=rng.randrange(7, 365), minutes=rng.randrange(0, 1440)))

    plan = [state for state, n in GIGFAIR_MIX for _i in range(n)] + ["cancelled"] * GIGFAIR_CANCELLED
    rng.shuffle(plan)
    for n, state in enumerate(plan):
        take_to(state, n)
    # The order the detail, the quote and the pages read: made six days ago with its requirements
    # (which start the work), three days overdue, marked late by the sweep: the client may
    # force-cancel it, so its cancellation quote is a real one, with money in it.
    detail = services.order_create(actor=client, listing_id=listings[0].pk, requirements="Our name, in blue.")
    _move_back(detail, timedelta(days=6))
    sweep_run("orders.mark_late_orders")
    detail.refresh_from_db()
    assert detail.state == "late", detail.state
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    _out(
        {
            "token": Token.objects.create(user=client).key,
            "buyer_token": Token.objects.create(user=buyer).key,
            "username": client.username,
            "password": password,
            "detail_id": detail.pk,
            "listing_id": listings[1].pk,
        }
    )


def seed_deep(rows: int) -> None:
    """``rows`` more (completed) orders for the client, older than its own: one INSERT … SELECT.

    Each is a copy of one of the client's completed orders, column for column (whatever the
    table holds today), moved a minute further into the past per row.
    """
    from marketplace.models import User
    from orders.models import Order

    client = User.objects.get(username=CLIENT_USERNAME)
    template = Order.objects.filter(client=client, state="completed").order_by("created_at").first()
    oldest = Order.objects.filter(client=client).order_by("created_at").first().created_at
    table = Order._meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, table) if c.name != "id"]
        moved = {"created_at", "updated_at"}
        select = ["%s - make_interval(mins => g)" if name in moved else quote(name) for name in columns]
        params = [oldest] * sum(1 for name in columns if name in moved)
        # Only the table's own column names, quoted, go into the text; the values are parameters.
        sql = (
            f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
            f"SELECT {', '.join(select)} FROM {quote(table)}, generate_series(1, %s) AS g WHERE id = %s"
        )
        with transaction.atomic():
            cursor.execute(sql, [*params, rows, template.pk])
        cursor.execute(f"ANALYZE {quote(table)}")
    _out({"rows": Order.objects.filter(client=client).count()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("floor", "gigfair", "deep"))
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.what == "floor":
        seed_floor()
    elif args.what == "gigfair":
        seed_gigfair()
    else:
        seed_deep(args.rows)


if __name__ == "__main__":
    main()
