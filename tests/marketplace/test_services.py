"""Sign-up and listings refuse bad input with an error naming the field."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.exceptions import PermissionDenied, ValidationFailed
from marketplace.models import Listing, User
from marketplace.services import listing_create, listing_deactivate, user_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
GOOD = "Correct-Horse-42"


def test_user_create_hashes_password():
    user = user_create(username="ana", email="ana@example.com", password=GOOD)

    assert user.check_password(GOOD)
    assert user.password != GOOD


def test_duplicate_username_is_refused_case_insensitively():
    user_create(username="ana", email="ana@example.com", password=GOOD)

    with pytest.raises(ValidationFailed) as exc:
        user_create(username="ANA", email="other@example.com", password=GOOD)

    assert "username" in exc.value.errors
    assert User.objects.count() == 1


@pytest.mark.parametrize("password", ["123", "password", "12345678901", "ana-ana"])
def test_weak_password_is_refused(password):
    with pytest.raises(ValidationFailed) as exc:
        user_create(username="ana", email="ana@example.com", password=password)

    assert "password" in exc.value.errors
    assert not User.objects.exists()


def test_bad_email_and_username_are_reported_together():
    with pytest.raises(ValidationFailed) as exc:
        user_create(username="no spaces allowed", email="nope", password=GOOD)

    assert {"username", "email"} <= exc.value.errors.keys()


def _service(**overrides):
    data = {"kind": "service", "title": "Logo", "price": "120.00", "delivery_days": 3, "revisions": 1}
    data.update(overrides)
    return listing_create(owner=UserFactory(), **data)


def test_service_listing_is_created_with_decimal_price():
    listing = _service(price="99.90")

    assert listing.price == Decimal("99.90")
    assert listing.starts_at is None


@pytest.mark.parametrize("price", ["-5", "0", "abc", "1.234", "NaN", "Infinity", ""])
def test_bad_price_is_refused_on_the_price_field(price):
    with pytest.raises(ValidationFailed) as exc:
        _service(price=price)

    assert "price" in exc.value.errors
    assert not Listing.objects.exists()


def test_float_price_is_taken_exactly():
    listing = _service(price=19.99)

    assert listing.price == Decimal("19.99")


def test_service_needs_delivery_days():
    with pytest.raises(ValidationFailed) as exc:
        _service(delivery_days=None)

    assert "delivery_days" in exc.value.errors


def _shift(**overrides):
    start = timezone.now() + timedelta(days=1)
    data = {
        "kind": "shift",
        "title": "Bar",
        "price": "80",
        "starts_at": start,
        "ends_at": start + timedelta(hours=4),
        "location": "Utrecht",
    }
    data.update(overrides)
    return listing_create(owner=UserFactory(), **data)


def test_shift_listing_is_created():
    listing = _shift()

    assert listing.kind == "shift"
    assert listing.delivery_days is None


def test_shift_ending_before_it_starts_is_refused():
    start = timezone.now() + timedelta(days=1)

    with pytest.raises(ValidationFailed) as exc:
        _shift(starts_at=start, ends_at=start - timedelta(hours=1))

    assert "ends_at" in exc.value.errors


def test_shift_in_the_past_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        _shift(starts_at=timezone.now() - timedelta(hours=1))

    assert "starts_at" in exc.value.errors


def test_shift_needs_a_location():
    with pytest.raises(ValidationFailed) as exc:
        _shift(location="  ")

    assert "location" in exc.value.errors


def test_unknown_kind_and_currency_are_refused():
    with pytest.raises(ValidationFailed) as exc:
        listing_create(owner=UserFactory(), kind="gig", title="x", price="1", currency="XXX")

    assert {"kind", "currency"} <= exc.value.errors.keys()


def test_min_credit_score_out_of_range_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        _service(min_credit_score=101)

    assert "min_credit_score" in exc.value.errors


def test_only_owner_can_withdraw_listing():
    listing = _service()

    with pytest.raises(PermissionDenied):
        listing_deactivate(listing=listing, actor=UserFactory())

    listing_deactivate(listing=listing, actor=listing.owner)
    listing.refresh_from_db()
    assert listing.is_active is False
