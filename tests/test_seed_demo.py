"""``manage.py seed_demo``: a believable demo in every order state, created once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from marketplace.models import Listing, User
from orders.management.commands.seed_demo import ADMIN_USERNAME, DEMO_PASSWORD, DEMO_USERS
from orders.models import LedgerEntry, Order, OrderState

pytestmark = pytest.mark.django_db

EXPECTED = {
    ("service", OrderState.AWAITING_REQUIREMENTS),
    ("service", OrderState.IN_PROGRESS),
    ("service", OrderState.DELIVERED),
    ("service", OrderState.COMPLETED),
    ("service", OrderState.LATE),
    ("service", OrderState.CANCELLED),
    ("shift", OrderState.BOOKED),
    ("shift", OrderState.CHECKED_IN),
    ("shift", OrderState.COMPLETED),
}


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_creates_orders_of_each_kind_in_each_state():
    seed()

    assert set(Order.objects.values_list("kind", "state")) >= EXPECTED


def test_a_delivered_order_has_used_a_revision():
    seed()

    assert Order.objects.filter(state=OrderState.DELIVERED, revisions_used=1, deliveries__isnull=False).exists()


def test_creates_a_superuser_and_demo_users_who_can_sign_in():
    seed()

    admin = User.objects.get(username=ADMIN_USERNAME)
    assert admin.is_superuser and admin.is_staff
    for username, _display, _about, _zone in DEMO_USERS:
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD)
        assert not user.is_staff


def test_demo_accounts_have_verified_addresses_and_no_verification_mail(mailoutbox):
    seed()

    for username in (ADMIN_USERNAME, *(name for name, _display, _about, _zone in DEMO_USERS)):
        assert User.objects.get(username=username).email_verified
    assert not [m for m in mailoutbox if "Confirm your e-mail address" in m.subject]


def test_creates_open_service_and_shift_listings():
    seed()

    assert Listing.objects.filter(kind="service", is_active=True, orders__isnull=True).exists()
    assert Listing.objects.filter(kind="shift", is_active=True, orders__isnull=True).exists()


def test_leaves_the_ledger_balanced():
    seed()

    assert LedgerEntry.objects.aggregate(total=Sum("amount"))["total"] == 0


def test_prints_the_logins_and_where_to_go():
    output = seed()

    assert DEMO_PASSWORD in output
    for username, _display, _about, _zone in DEMO_USERS:
        assert username in output
    assert "/admin/" in output
    assert "/api/v1/docs/" in output


def test_a_second_run_changes_nothing_and_prints_the_logins_again():
    seed()
    counts = (User.objects.count(), Listing.objects.count(), Order.objects.count(), LedgerEntry.objects.count())

    output = seed()

    assert (User.objects.count(), Listing.objects.count(), Order.objects.count(), LedgerEntry.objects.count()) == counts
    assert "already there" in output
    assert DEMO_PASSWORD in output


def test_the_overdue_delivery_is_completed_by_the_next_sweep():
    seed()
    out = StringIO()

    call_command("run_due_jobs", "orders.auto_complete_service_orders", stdout=out)

    assert out.getvalue().strip() == "orders.auto_complete_service_orders: 1 processed"
