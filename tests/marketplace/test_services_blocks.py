"""Blocking: with a reason, never while an order between the two is open, and it keeps them apart
both ways (orders, bookings, messages) until it is lifted."""

import pytest
from django.db import IntegrityError, transaction

from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from marketplace import services
from marketplace.models import Block, BlockReason
from marketplace.selectors import block_list_for
from orders import threads
from orders.cancellation import order_cancel
from orders.services import order_create
from tests.factories import ServiceListingFactory, ShiftListingFactory, UserFactory, service_order
from tests.marketplace.helpers import block_snapshot, order_snapshot, thread_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana():
    return UserFactory(username="ana", display_name="Ana Souza")


@pytest.fixture
def bram():
    return UserFactory(username="bram", display_name="Bram de Vries")


def _block(blocker, blocked, reason=BlockReason.ABUSIVE, note=""):
    return services.block_create(blocker=blocker, blocked=blocked, reason=reason, note=note)


# --- Making and lifting a block ----------------------------------------------------------------


@pytest.mark.parametrize("reason", BlockReason.values)
def test_a_user_blocks_another_with_a_reason_from_the_list(ana, bram, reason):
    block = _block(ana, bram, reason, note="Rude on the phone")

    assert (block.blocker, block.blocked, block.reason, block.note) == (ana, bram, reason, "Rude on the phone")
    assert list(block_list_for(user=ana)) == [block]
    assert list(block_list_for(user=bram)) == []


def test_a_reason_outside_the_list_is_refused(ana, bram):
    with pytest.raises(ValidationFailed) as exc:
        _block(ana, bram, reason="dislike")

    assert "reason" in exc.value.errors
    assert not Block.objects.exists()


def test_nobody_blocks_themselves(ana):
    with pytest.raises(ValidationFailed) as exc:
        _block(ana, ana)

    assert exc.value.code == "block_self"
    assert not Block.objects.exists()


def test_blocking_twice_is_refused(ana, bram):
    _block(ana, bram)
    before = block_snapshot()

    with pytest.raises(Conflict) as exc:
        _block(ana, bram, BlockReason.SPAM)

    assert exc.value.code == "already_blocked"
    assert block_snapshot() == before


def test_the_database_keeps_one_block_in_force_per_pair(ana, bram):
    Block.objects.create(blocker=ana, blocked=bram, reason="spam")

    with pytest.raises(IntegrityError), transaction.atomic():
        Block.objects.create(blocker=ana, blocked=bram, reason="abusive")


def test_both_may_block_each_other(ana, bram):
    _block(ana, bram)

    assert _block(bram, ana).pk


def test_block_is_refused_while_an_order_between_them_is_open_naming_it(ana, bram):
    first = service_order(client=ana, provider=bram)
    second = service_order(client=bram, provider=ana)
    before = block_snapshot()

    with pytest.raises(Conflict) as exc:
        _block(ana, bram)

    assert exc.value.code == "open_order"
    assert exc.value.extra["orders"] == [first.pk, second.pk]
    assert f"#{first.pk}" in exc.value.message and f"#{second.pk}" in exc.value.message
    assert "Bram de Vries" in exc.value.message
    assert block_snapshot() == before


def test_block_is_allowed_once_the_order_is_closed(ana, bram):
    order = service_order(client=ana, provider=bram)
    order_cancel(order=order, actor=ana, reason="schedule_change")

    assert _block(bram, ana).pk


def test_orders_with_other_people_do_not_stop_a_block(ana, bram):
    service_order(client=ana)
    service_order(provider=bram)

    assert _block(ana, bram).pk


def test_unblocking_lifts_the_block_and_keeps_it_in_the_history(ana, bram):
    block = _block(ana, bram)

    services.block_lift(block=block, actor=ana)

    block.refresh_from_db()
    assert block.unblocked_at is not None
    assert list(block_list_for(user=ana)) == []
    assert _block(ana, bram).pk != block.pk  # a new block may follow


def test_only_the_blocker_lifts_a_block(ana, bram):
    block = _block(ana, bram)

    with pytest.raises(NotFound):
        services.block_lift(block=block, actor=bram)

    block.refresh_from_db()
    assert block.unblocked_at is None


# --- What a block stops, in both directions -------------------------------------------------------


@pytest.fixture(params=["blocker acts", "blocked acts"])
def pair(request, ana, bram):
    """(actor, other) where a block stands between them, made by either of the two."""
    _block(ana, bram)
    return (ana, bram) if request.param == "blocker acts" else (bram, ana)


def test_neither_can_order_the_others_service(pair):
    actor, other = pair
    listing = ServiceListingFactory(owner=other)
    before = order_snapshot()

    with pytest.raises(PermissionDenied) as exc:
        order_create(actor=actor, listing_id=listing.pk)

    assert exc.value.code == "blocked"
    assert order_snapshot() == before


def test_neither_can_book_the_others_shift(pair):
    actor, other = pair
    listing = ShiftListingFactory(owner=other)
    before = order_snapshot()

    with pytest.raises(PermissionDenied) as exc:
        order_create(actor=actor, listing_id=listing.pk)

    assert exc.value.code == "blocked"
    assert order_snapshot() == before


def test_neither_can_message_the_other_on_an_earlier_order(ana, bram):
    order = service_order(client=ana, provider=bram)
    order_cancel(order=order, actor=ana, reason="schedule_change")
    _block(bram, ana)
    before = thread_snapshot()

    for author in (ana, bram):
        with pytest.raises(PermissionDenied) as exc:
            threads.message_post(order=order, author=author, body="Hello?")
        assert exc.value.code == "blocked"

    assert thread_snapshot() == before


def test_the_refusal_says_who_blocked_whom(ana, bram):
    _block(ana, bram)
    listing_of_bram = ServiceListingFactory(owner=bram)
    listing_of_ana = ServiceListingFactory(owner=ana)

    with pytest.raises(PermissionDenied) as by_blocker:
        order_create(actor=ana, listing_id=listing_of_bram.pk)
    with pytest.raises(PermissionDenied) as by_blocked:
        order_create(actor=bram, listing_id=listing_of_ana.pk)

    assert "You have blocked Bram de Vries" in by_blocker.value.message
    assert "Ana Souza has blocked you" in by_blocked.value.message


def test_unblocking_restores_ordering_booking_and_messaging(ana, bram):
    block = _block(ana, bram)
    services.block_lift(block=block, actor=ana)

    service = order_create(actor=bram, listing_id=ServiceListingFactory(owner=ana).pk)
    shift = order_create(actor=ana, listing_id=ShiftListingFactory(owner=bram).pk)
    message = threads.message_post(order=service, author=bram, body="Thanks for unblocking")

    assert (service.client, service.provider) == (bram, ana)
    assert (shift.client, shift.provider) == (bram, ana)
    assert message.pk


def test_a_block_between_others_changes_nothing_for_me(ana, bram):
    _block(ana, bram)
    me = UserFactory()

    assert order_create(actor=me, listing_id=ServiceListingFactory(owner=ana).pk).pk
    assert order_create(actor=me, listing_id=ServiceListingFactory(owner=bram).pk).pk
