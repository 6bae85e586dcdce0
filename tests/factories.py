"""Factories for the whole suite; they go through the real services where one exists."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

import factory
import time_machine
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from core.jobs import sweep_run
from core.support import SUPERVISOR_GROUP, SUPPORT_GROUP
from marketplace.models import Listing, ListingKind, User
from orders import services as order_services
from orders.cancellation import order_cancel
from orders.models import Order, OrderState

_GROUP_MIGRATIONS = [
    importlib.import_module(name)
    for name in (
        "disputes.migrations.0012_support_group_permissions",
        "disputes.migrations.0014_supervisor_group",
        "orders.migrations.0023_review_support_permissions",
        "orders.migrations.0032_money_out_support_permissions",
        "orders.migrations.0034_deposit_support_permissions",
    )
]

PASSWORD = "Correct-Horse-42"
BOOKED_AGO = timedelta(minutes=10)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    # Verified, as every account was when verification began: notifications reach their inbox.
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def support(obj, create, extracted, **kwargs):
        """``UserFactory(support=True)``: a staff member of the ``support`` group."""
        if extracted:
            obj.is_staff = True
            obj._factory_groups = (*getattr(obj, "_factory_groups", ()), SUPPORT_GROUP)

    @factory.post_generation
    def supervisor(obj, create, extracted, **kwargs):
        """``UserFactory(supervisor=True)``: a staff member of ``support`` and ``supervisor``."""
        if extracted:
            obj.is_staff = True
            obj._factory_groups = (*getattr(obj, "_factory_groups", ()), SUPPORT_GROUP, SUPERVISOR_GROUP)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()
            for name in dict.fromkeys(getattr(obj, "_factory_groups", ())):
                obj.groups.add(_group(name))


def _group(name: str) -> Group:
    """The group, as the migrations made it: a flushed database (transactional tests) lost it."""
    group = Group.objects.filter(name=name).first()
    if group is None:
        for migration in _GROUP_MIGRATIONS:
            migration.grant(django_apps, None)
        group = Group.objects.get_or_create(name=name)[0]
    return group


def support_with(*codenames: str) -> User:
    """A support agent whose group holds only ``codenames``: an admin took the rest away."""
    group = _group(SUPPORT_GROUP)
    group.permissions.set(Permission.objects.filter(codename__in=codenames))
    return UserFactory(support=True)


def support_user(**kwargs) -> User:
    """Staff in the ``support`` group: who acts for support (a plain staff account does not)."""
    return UserFactory(support=True, **kwargs)


class ServiceListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    kind = ListingKind.SERVICE
    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Logo design #{n}")
    description = "A clean vector logo."
    price = Decimal("120.00")
    currency = "EUR"
    delivery_days = 3
    revisions = 1


class ShiftListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    kind = ListingKind.SHIFT
    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Bar shift #{n}")
    price = Decimal("80.00")
    currency = "EUR"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=6))
    location = "Utrecht Centraal"


def service_order(*, client: User | None = None, provider: User | None = None, **listing_kwargs) -> Order:
    """A service order awaiting requirements, made through the real service."""
    listing = ServiceListingFactory(owner=provider or UserFactory(), **listing_kwargs)
    return order_services.order_create(actor=client or UserFactory(), listing_id=listing.pk)


def shift_order(
    *,
    client: User | None = None,
    provider: User | None = None,
    starts_in: timedelta | None = None,
    **listing_kwargs,
) -> Order:
    """A booked shift order, made through the real service.

    The client posts the shift and the provider books it. It starts in two days unless
    ``starts_in`` (or the listing's ``starts_at``) says otherwise.
    """
    if starts_in is not None:
        listing_kwargs["starts_at"] = timezone.now() + starts_in
    listing = ShiftListingFactory(owner=client or UserFactory(), **listing_kwargs)
    # Booked a little while ago: past the minutes in which a booking is undone for free, so a
    # cancellation right away meets the policy's tiers (tests of the undo book with the service).
    with time_machine.travel(timezone.now() - BOOKED_AGO, tick=False):
        return order_services.order_create(actor=provider or UserFactory(), listing_id=listing.pk)


# --- Orders in a state ----------------------------------------------------------------------
# Each builder drives an order through the services a client, a provider or a sweep would call,
# so it carries the history, ledger and credit a real one would. The keyword arguments a builder
# does not name go on to service_order or shift_order and from there to the listing factory
# (price, delivery_days, revisions, ...).


def _clock(at: datetime | None) -> contextlib.AbstractContextManager:
    """Travel to ``at`` (the clock stands still there), or stay in the present."""
    return time_machine.travel(at, tick=False) if at is not None else contextlib.nullcontext()


def order_in_progress(
    *,
    order: Order | None = None,
    client: User | None = None,
    provider: User | None = None,
    requirements: str = "A fox",
    at: datetime | None = None,
    **listing_kwargs,
) -> Order:
    """A service order whose client has sent the requirements: work is on, due in ``delivery_days``.

    With ``order`` (awaiting requirements) its client sends them, instead of a new order being
    made. With ``at`` the whole order is built at that moment, the clock travelling there.
    """
    if order is not None and (client or provider or listing_kwargs):
        raise TypeError("order_in_progress() takes an order or what to make one of, not both")
    with _clock(at):
        order = order or service_order(client=client, provider=provider, **listing_kwargs)
        return order_services.order_submit_requirements(order=order, actor=order.client, requirements=requirements)


def order_delivered(
    *,
    message: str = "Here it is",
    files: Sequence[UploadedFile] = (),
    at: datetime | None = None,
    **in_progress_kwargs,
) -> Order:
    """A service order its provider has delivered (with ``message`` and ``files``), awaiting the client."""
    with _clock(at):
        order = order_in_progress(**in_progress_kwargs)
        return order_services.order_deliver(order=order, actor=order.provider, message=message, files=files)


def order_completed(*, at: datetime | None = None, **delivered_kwargs) -> Order:
    """A service order whose client accepted the delivery: escrow released, credit given."""
    with _clock(at):
        order = order_delivered(**delivered_kwargs)
        return order_services.order_accept_delivery(order=order, actor=order.client)


def order_late(**in_progress_kwargs) -> Order:
    """A service order in progress that the sweep marked late, a minute past its due time."""
    order = order_in_progress(**in_progress_kwargs)
    with time_machine.travel(order.due_at + timedelta(minutes=1), tick=False):
        sweep_run("orders.mark_late_orders")
    order.refresh_from_db()
    assert order.state == OrderState.LATE
    return order


def shift_checked_in(**shift_kwargs) -> Order:
    """A shift starting in an hour (unless ``starts_in`` says otherwise) that its provider checked in to now."""
    if "starts_at" not in shift_kwargs:
        shift_kwargs.setdefault("starts_in", timedelta(hours=1))
    order = shift_order(**shift_kwargs)
    return order_services.order_check_in(order=order, actor=order.provider)


def shift_completed(**shift_kwargs) -> Order:
    """A checked-in shift its client confirmed at its end: escrow released, credit given."""
    order = shift_checked_in(**shift_kwargs)
    with time_machine.travel(order.ends_at, tick=False):
        return order_services.order_complete(order=order, actor=order.client)


def order_cancelled(
    *,
    order: Order,
    by: Literal["client", "provider"] = "client",
    reason: str = "schedule_change",
    message: str = "",
    at: datetime | None = None,
) -> Order:
    """``order`` cancelled by its ``by`` party ("client" or "provider") on the policy's terms, now or at ``at``."""
    with _clock(at):
        return order_cancel(order=order, actor=getattr(order, by), reason=reason, message=message)


def shift_cancelled_late(**shift_kwargs) -> Order:
    """A shift its provider cancelled an hour before the start: a late cancel, with a fee and a credit penalty."""
    return order_cancelled(order=shift_order(starts_in=timedelta(hours=1), **shift_kwargs), by="provider")
