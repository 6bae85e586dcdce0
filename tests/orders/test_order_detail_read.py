"""An order in full is read by prepared queries (orders.selectors.order_get for its page,
order_detail_get for the API) and the API's detail is represented by a reused serializer: they
must say exactly what a plain queryset read through a fresh serializer says, for orders in every
shape, to each of the people who may see them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Prefetch
from django.test import RequestFactory
from django.utils import timezone

from core.exceptions import NotFound
from core.models import TransitionLog
from orders import services
from orders.api.serializers import OrderOutputSerializer
from orders.api.views import _order_data
from orders.models import Delivery, LedgerEntry, LedgerTransaction, Order
from orders.selectors import order_detail_get, order_get
from tests.factories import (
    UserFactory,
    order_cancelled,
    order_completed,
    order_delivered,
    order_in_progress,
    order_late,
    service_order,
    shift_cancelled_late,
    shift_checked_in,
    shift_order,
    support_user,
)

pytestmark = pytest.mark.django_db


def _files(*names: str) -> list:
    return [SimpleUploadedFile(name, b"draft", content_type="text/plain") for name in names]


def _revised_twice():
    order = order_in_progress(revisions=2)
    for round_ in range(2):
        services.order_deliver(order=order, actor=order.provider, message=f"v{round_}", files=_files("a.txt", "b.txt"))
        services.order_request_revision(order=order, actor=order.client, message="Bigger")
    return order


SHAPES = {
    "awaiting requirements": lambda: service_order(),
    "in progress": lambda: order_in_progress(),
    "delivered with files": lambda: order_delivered(files=_files("one.txt", "two.txt")),
    "revised twice": _revised_twice,
    "completed": lambda: order_completed(),
    "late (a system transition)": lambda: order_late(),
    "cancelled by the client": lambda: order_cancelled(order=service_order()),
    "shift booked": lambda: shift_order(),
    "shift checked in": lambda: shift_checked_in(),
    "shift cancelled late": lambda: shift_cancelled_late(),
}


def _queryset_read(pk) -> Order:
    """The order as select_related and prefetch_related read it: the reference."""
    return (
        Order.objects.select_related(
            "client",
            "provider",
            "policy",
            "listing",
            "cancellation__actor",
            "cancellation__policy",
            "cancellation__quote",
        )
        .prefetch_related(
            Prefetch("history", queryset=TransitionLog.objects.select_related("actor")),
            Prefetch("deliveries", queryset=Delivery.objects.prefetch_related("files").order_by("created_at", "id")),
            Prefetch(
                "ledger_transactions",
                queryset=LedgerTransaction.objects.prefetch_related(
                    Prefetch("entries", queryset=LedgerEntry.objects.select_related("account"))
                ),
            ),
            "payments",
            "refunds",
        )
        .get(pk=pk)
    )


def _as_seen_by(order, user) -> tuple[dict, dict]:
    request = RequestFactory().get("/", secure=True)
    request.user = user
    reference = OrderOutputSerializer(_queryset_read(order.pk), context={"request": request}).data
    return reference, _order_data(order_detail_get(pk=order.pk, user=user), request=request)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("viewer", ["client", "provider", "support"])
def test_the_detail_read_says_what_the_queryset_says(shape, viewer):
    # given
    order = SHAPES[shape]()
    user = support_user() if viewer == "support" else getattr(order, viewer)

    # when
    reference, prepared = _as_seen_by(order, user)

    # then
    assert prepared == reference
    assert prepared["id"] == order.pk


def test_the_same_read_serves_one_order_after_another():
    # given: two different orders read in turn (the prepared SQL and the serializer are reused)
    first = order_completed()
    second = shift_cancelled_late()

    # when / then
    for order in (first, second, first):
        for user in (order.client, order.provider):
            reference, prepared = _as_seen_by(order, user)
            assert prepared == reference
            assert prepared["your_role"] == order.role_of(user)


def test_a_cancellation_reversed_on_appeal_stays_on_the_detail():
    # given
    order = order_cancelled(order=service_order())
    order.cancellation.reversed_at = timezone.now() + timedelta(minutes=1)
    order.cancellation.save(update_fields=["reversed_at"])

    # when
    reference, prepared = _as_seen_by(order, order.client)

    # then
    assert prepared == reference
    assert prepared["cancellation"]["reversed_at"] is not None


@pytest.mark.parametrize("shape", SHAPES)
def test_the_page_read_has_every_column_the_queryset_has(shape, django_assert_num_queries):
    # given
    order = SHAPES[shape]()
    reference = _queryset_read(order.pk)

    # when
    page = order_get(pk=order.pk, user=order.client)

    # then: nothing the templates reach for is deferred or missing, nor read again
    with django_assert_num_queries(0):
        for obj, ref in (
            (page, reference),
            (page.client, reference.client),
            (page.provider, reference.provider),
            (page.policy, reference.policy),
            (page.listing, reference.listing),
        ):
            assert [getattr(obj, f.attname) for f in obj._meta.concrete_fields] == [
                getattr(ref, f.attname) for f in ref._meta.concrete_fields
            ]
        assert [log.pk for log in page.history.all()] == [log.pk for log in reference.history.all()]
        assert [(log.actor.email if log.actor_id else None) for log in page.history.all()] == [
            (log.actor.email if log.actor_id else None) for log in reference.history.all()
        ]
        assert [d.pk for d in page.deliveries.all()] == [d.pk for d in reference.deliveries.all()]
        assert [f.name for d in page.deliveries.all() for f in d.files.all()] == [
            f.name for d in reference.deliveries.all() for f in d.files.all()
        ]
        cancellation = getattr(page, "cancellation", None)
        if cancellation is None:
            assert getattr(reference, "cancellation", None) is None
        else:
            assert [r.pk for r in page.refunds.all()] == [r.pk for r in reference.refunds.all()]
            assert cancellation.actor == reference.cancellation.actor
            assert cancellation.policy.name == reference.cancellation.policy.name


@pytest.mark.parametrize("pk", ["abc", None, "9999999"])
def test_an_unknown_order_is_not_found(pk):
    with pytest.raises(NotFound):
        order_detail_get(pk=pk, user=UserFactory())


def test_someone_elses_order_is_not_found_but_support_sees_it():
    # given
    order = order_completed()

    # when / then
    with pytest.raises(NotFound):
        order_detail_get(pk=order.pk, user=UserFactory())
    assert order_detail_get(pk=order.pk, user=support_user()).pk == order.pk
    with pytest.raises(NotFound):
        order_detail_get(pk=order.pk, user=UserFactory(is_staff=True))  # staff without the support role
