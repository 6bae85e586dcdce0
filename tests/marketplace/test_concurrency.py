"""A block and an order between the same two people at the same moment: one of them wins, never
both (PostgreSQL, threads). Both take the two users' row locks, lowest id first."""

import pytest

from core.exceptions import ApplicationError
from marketplace import services
from marketplace.models import Block, User
from orders.models import Order
from orders.services import order_create
from tests.factories import ServiceListingFactory, UserFactory
from tests.orders.test_concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("attempt", range(5))
def test_a_block_and_an_order_at_once_never_both_succeed(attempt):
    provider, client = UserFactory(), UserFactory()
    listing = ServiceListingFactory(owner=provider)

    results = race(
        lambda: order_create(actor=client, listing_id=listing.pk),
        lambda: services.block_create(blocker=provider, blocked=client, reason="spam"),
    )

    errors = [r for r in results if isinstance(r, ApplicationError)]
    assert len(errors) == 1, results
    assert errors[0].code in ("open_order", "blocked")
    assert Order.objects.count() + Block.objects.count() == 1


@pytest.mark.parametrize("attempt", range(3))
def test_two_sign_ups_with_one_address_at_once_make_one_account(attempt):
    results = race(
        lambda: services.user_create(username="ana", email="ana@example.com", password="Correct-Horse-42"),
        lambda: services.user_create(username="ana2", email="ANA@example.com", password="Correct-Horse-42"),
    )

    errors = [r for r in results if isinstance(r, ApplicationError)]
    assert len(errors) == 1, results
    assert list(errors[0].errors) == ["email"]
    assert User.objects.count() == 1


@pytest.mark.parametrize("attempt", range(3))
def test_two_accounts_taking_one_address_at_once_never_both_have_it(attempt):
    ana, bram = UserFactory(), UserFactory()

    results = race(
        lambda: services.user_email_change(user=ana, email="shared@example.com"),
        lambda: services.user_email_change(user=bram, email="Shared@example.com"),
    )

    errors = [r for r in results if isinstance(r, ApplicationError)]
    assert len(errors) == 1, results
    assert list(errors[0].errors) == ["email"]
    assert User.objects.filter(email__iexact="shared@example.com").count() == 1
