"""Measure the back office's cancellation analytics at scale: do aggregate queries do, or is a
nightly rollup table needed?

Seeds ``--orders`` orders (default 1,000,000) spread over the last year between 1,000 clients
and 1,000 providers, one in twelve cancelled (with its cancellation row: reasons, rules, faults,
tiers and who cancelled varying). Then it times the whole
analytics page's computation (``portal.analytics.cancellation_analytics``: every table, the
weekly series, the rates per provider and per client, support's speed) for the default 90 days
and for a whole year, against a bare floor in the same run — one ``count(*)`` of the orders made
in that range — and prints the plan of the heaviest query (the rate per provider).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gigfair .venv/bin/python bench/analytics_scale.py
    ... bench/analytics_scale.py --orders 200000 --repeat 5

It creates and drops its own test database (``test_<name>``); your data is not touched. Run it
on an idle machine: the numbers mean nothing on a busy one, which is why it is not part of CI.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, F, Q  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

PEOPLE = 1000
CANCELLED_EVERY = 12


def _copy_rows(table: str, template_id: int, count: int, exprs: dict[str, tuple[str, list]]) -> None:
    """``count`` copies of row ``template_id`` of ``table`` (every column but the id), with the
    columns in ``exprs`` (SQL and its parameters) computed from the row number ``g`` instead;
    one INSERT … SELECT."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, table) if c.name != "id"]
        select = [exprs[name][0] if name in exprs else f"t.{quote(name)}" for name in columns]
        params = [value for name in columns if name in exprs for value in exprs[name][1]]
        # Only the table's own column names and fixed expressions go into the text; values are parameters.
        sql = (
            f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
            f"SELECT {', '.join(select)} FROM {quote(table)} t, generate_series(1, %s) AS g WHERE t.id = %s"
        )
        cursor.execute(sql, [*params, count, template_id])  # the columns' parameters, in their order


def seed(orders: int) -> None:
    from marketplace.models import User
    from orders.cancellation import order_cancel
    from orders.models import CANCELLATION_PATHS, Cancellation, CancelReason, Fault, Order
    from orders.services import order_create
    from tests.factories import ServiceListingFactory, UserFactory

    client, provider = UserFactory(username="bench-client"), UserFactory(username="bench-provider")
    listing = ServiceListingFactory(owner=provider)
    template = order_cancel(
        order=order_create(actor=client, listing_id=listing.pk), actor=client, reason="schedule_change"
    )
    cancellation = Cancellation.objects.get(order=template)
    people = User.objects.bulk_create(
        [User(username=f"bench{i}", email=f"bench{i}@example.com", password="!") for i in range(2 * PEOPLE)]  # noqa: S106
    )
    clients = [u.pk for u in people[:PEOPLE]]
    providers = [u.pk for u in people[PEOPLE:]]
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        _copy_rows(
            Order._meta.db_table,
            template.pk,
            orders,
            {
                "client_id": (f"(%s::bigint[])[1 + g %% {PEOPLE}]", [clients]),
                "provider_id": (f"(%s::bigint[])[1 + (g * 7) %% {PEOPLE}]", [providers]),
                # half the cancelled ones are shifts (one live booking per shift listing: the
                # copies share the template's listing)
                "kind": (f"CASE WHEN g %% {2 * CANCELLED_EVERY} = 0 THEN 'shift' ELSE 'service' END", []),
                "state": (f"CASE WHEN g %% {CANCELLED_EVERY} = 0 THEN 'cancelled' ELSE 'completed' END", []),
                # spread over the year before now
                "created_at": ("%s - make_interval(secs => g * 31536000.0 / %s)", [now, orders]),
                "updated_at": ("%s - make_interval(secs => g * 31536000.0 / %s)", [now, orders]),
                "title": ("'Bench order ' || g", []),
            },
        )
        reasons = [code for code, _label in CancelReason.choices][:7]
        paths = [code for code, _label in CANCELLATION_PATHS]
        faults = [code for code, _label in Fault.choices]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            table = Cancellation._meta.db_table
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table) if c.name != "id"]
            computed = {
                "order_id": ("o.id", []),
                "quote_id": ("NULL", []),
                "created_at": ("o.created_at + interval '1 hour'", []),
                "reason": ("(%s::text[])[1 + o.id %% 7]", [reasons]),
                "path": (f"(%s::text[])[1 + o.id %% {len(paths)}]", [paths]),
                "fault": (f"(%s::text[])[1 + o.id %% {len(faults)}]", [faults]),
                "tier": ("CASE WHEN o.id %% 4 = 0 THEN 'late' ELSE 'early' END", []),
                "actor_role": ("CASE WHEN o.id %% 2 = 0 THEN 'client' ELSE 'provider' END", []),
                "actor_id": ("NULL", []),
            }
            select = [computed[name][0] if name in computed else f"c.{quote(name)}" for name in columns]
            params = [value for name in columns if name in computed for value in computed[name][1]]
            cursor.execute(
                f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
                f"SELECT {', '.join(select)} FROM {quote(Order._meta.db_table)} o, {quote(table)} c "
                "WHERE c.id = %s AND o.state = 'cancelled' AND o.id <> %s",
                [*params, cancellation.pk, template.pk],
            )
            cursor.execute("ANALYZE")
    print(
        f"seeded {Order.objects.count():,} orders, {Cancellation.objects.count():,} cancellations "
        f"in {time.perf_counter() - started:.0f} s"
    )


def timed(fn, repeat: int) -> float:
    fn()  # warm
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def measure(repeat: int) -> None:
    from orders.models import Order
    from portal.analytics import Period, cancellation_analytics

    today = timezone.localdate()
    print(f"{'range':<10} {'floor (s)':>10} {'analytics (s)':>14} {'ratio':>7} {'queries':>8}")
    for days in (90, 365):
        period = Period(today - timedelta(days=days - 1), today)
        floor = timed(
            lambda period=period: Order.objects.filter(
                created_at__gte=period.since, created_at__lt=period.until
            ).count(),
            repeat,
        )
        with CaptureQueriesContext(connection) as queries:
            cancellation_analytics(period)
        full = timed(lambda period=period: cancellation_analytics(period), repeat)
        print(f"{days:>4} days  {floor:>10.3f} {full:>14.3f} {full / floor:>6.1f}× {len(queries):>8}")
    period = Period(today - timedelta(days=89), today)
    rates = (  # as portal.analytics._rates asks it
        Order.objects.filter(created_at__gte=period.since, created_at__lt=period.until)
        .order_by()
        .values(username=F("provider__username"))
        .annotate(orders=Count("pk"), cancelled=Count("pk", filter=Q(cancellation__isnull=False)))
        .filter(cancelled__gt=0)
    )
    print("\nThe plan of the rate per provider (90 days):")
    print(rates.explain(analyze=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("set DATABASE_URL to a PostgreSQL server: the question is how PostgreSQL plans it")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        seed(args.orders)
        measure(args.repeat)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
