"""Factories for the whole suite; they go through the real services where one exists."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from marketplace.models import Listing, ListingKind, User
from orders import services as order_services
from orders.models import Order

PASSWORD = "Correct-Horse-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


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


def shift_order(*, client: User | None = None, provider: User | None = None, **listing_kwargs) -> Order:
    """A booked shift order, made through the real service."""
    listing = ShiftListingFactory(owner=client or UserFactory(), **listing_kwargs)
    return order_services.order_create(actor=provider or UserFactory(), listing_id=listing.pk)
