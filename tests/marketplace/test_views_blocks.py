"""Public profiles with their Block/Unblock button, and the "Blocked users" page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace import services
from marketplace.models import Block
from tests.factories import ServiceListingFactory, ShiftListingFactory, UserFactory, service_order
from tests.marketplace.helpers import block_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana():
    return UserFactory(username="ana", display_name="Ana Souza", bio="Illustrator in Porto.")


@pytest.fixture
def bram():
    return UserFactory(username="bram", display_name="Bram de Vries")


def _profile(client, user):
    return client.get(reverse("user_profile", args=[user.username]))


# --- The public profile ------------------------------------------------------------------------


def test_the_profile_shows_name_bio_and_open_listings(client, ana):
    live = ServiceListingFactory(owner=ana, title="Portrait in ink")
    ServiceListingFactory(owner=ana, title="Old offer", is_active=False)
    ShiftListingFactory(owner=ana, title="Past shift", starts_at=timezone.now() - timedelta(hours=1))

    response = _profile(client, ana)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Ana Souza" in html and "@ana" in html and "Illustrator in Porto." in html
    assert list(response.context["page"].object_list) == [live]
    assert "Old offer" not in html and "Past shift" not in html


def test_an_unknown_or_deactivated_user_has_no_profile(client):
    gone = UserFactory(is_active=False)

    assert client.get(reverse("user_profile", args=["nobody"])).status_code == 404
    assert _profile(client, gone).status_code == 404


def test_the_profile_shows_the_announced_time_away(client, ana):
    back = timezone.now() + timedelta(days=4)
    services.availability_set(user=ana, away_until=back, message="At a festival")

    html = _profile(client, ana).content.decode()

    assert "Ana Souza is unavailable until" in html
    assert "At a festival" in html


def test_the_profile_shows_a_planned_time_away(client, ana):
    start = timezone.now() + timedelta(days=4)
    services.availability_set(user=ana, away_from=start, away_until=start + timedelta(days=3))

    html = _profile(client, ana).content.decode()

    assert "Ana Souza will be unavailable from" in html


def test_a_visitor_sees_a_block_button_but_not_on_their_own_profile(client, ana, bram):
    client.force_login(bram)
    assert reverse("user_block", args=["ana"]) in _profile(client, ana).content.decode()

    client.force_login(ana)
    html = _profile(client, ana).content.decode()
    assert reverse("user_block", args=["ana"]) not in html
    assert reverse("availability") in html and reverse("block_list") in html


def test_anonymous_visitors_see_no_block_button(client, ana):
    assert reverse("user_block", args=["ana"]) not in _profile(client, ana).content.decode()


# --- Blocking from the profile -----------------------------------------------------------------


def test_blocking_from_the_profile(client, ana, bram):
    client.force_login(bram)

    response = client.post(reverse("user_block", args=["ana"]), {"reason": "spam", "note": "Ads in every message"})

    assert response.status_code == 302
    block = Block.objects.get()
    assert (block.blocker, block.blocked, block.reason, block.note) == (bram, ana, "spam", "Ads in every message")
    html = client.get(response.url).content.decode()
    assert "You blocked Ana Souza" in html
    assert reverse("block_lift", args=[block.pk]) in html


def test_a_block_needs_a_reason_from_the_list(client, ana, bram):
    client.force_login(bram)

    response = client.post(reverse("user_block", args=["ana"]), {"reason": "dislike"})

    assert response.status_code == 200
    assert response.context["block_form"].errors["reason"]
    assert not Block.objects.exists()


def test_the_profile_explains_that_an_open_order_prevents_a_block(client, ana, bram):
    order = service_order(client=bram, provider=ana)
    client.force_login(bram)

    html = _profile(client, ana).content.decode()

    assert "once the orders between you are completed or cancelled" in html
    assert reverse("order_detail", args=[order.pk]) in html


def test_a_block_posted_while_an_order_is_open_is_refused_naming_it(client, ana, bram):
    order = service_order(client=bram, provider=ana)
    client.force_login(bram)
    before = block_snapshot()

    response = client.post(reverse("user_block", args=["ana"]), {"reason": "abusive"})

    assert response.status_code == 200
    assert f"#{order.pk}" in response.content.decode()
    assert "while an order between you is open" in response.content.decode()
    assert block_snapshot() == before


def test_unblocking_from_the_profile(client, ana, bram):
    block = services.block_create(blocker=bram, blocked=ana, reason="spam")
    client.force_login(bram)

    response = client.post(reverse("block_lift", args=[block.pk]), {"next": reverse("user_profile", args=["ana"])})

    assert response.url == reverse("user_profile", args=["ana"])
    block.refresh_from_db()
    assert block.unblocked_at is not None


def test_unblocking_never_redirects_off_site(client, ana, bram):
    block = services.block_create(blocker=bram, blocked=ana, reason="spam")
    client.force_login(bram)

    response = client.post(reverse("block_lift", args=[block.pk]), {"next": "https://evil.example/"})

    assert response.url == reverse("block_list")


def test_nobody_lifts_someone_elses_block(client, ana, bram):
    block = services.block_create(blocker=bram, blocked=ana, reason="spam")
    client.force_login(ana)

    assert client.post(reverse("block_lift", args=[block.pk])).status_code == 404
    block.refresh_from_db()
    assert block.unblocked_at is None


# --- The listing page --------------------------------------------------------------------------


def test_the_listing_page_of_a_blocked_user_offers_no_order_form(client, ana, bram):
    listing = ServiceListingFactory(owner=ana)
    services.block_create(blocker=ana, blocked=bram, reason="no_show")
    client.force_login(bram)

    response = client.get(reverse("listing_detail", args=[listing.pk]))

    html = response.content.decode()
    assert "Ana Souza has blocked you" in html
    assert 'name="requirements"' not in html


def test_ordering_from_someone_who_blocked_me_is_refused_on_the_page(client, ana, bram):
    listing = ServiceListingFactory(owner=ana)
    services.block_create(blocker=ana, blocked=bram, reason="no_show")
    client.force_login(bram)

    response = client.post(reverse("order_create", args=[listing.pk]), {"requirements": ""})

    assert response.status_code == 200
    assert "has blocked you" in response.content.decode()
    assert not bram.orders_as_client.exists()


# --- The "Blocked users" page ------------------------------------------------------------------


def test_the_block_list_shows_my_blocks_in_force(client, ana, bram):
    lifted = services.block_create(blocker=ana, blocked=UserFactory(display_name="Lifted Person"), reason="spam")
    services.block_lift(block=lifted, actor=ana)
    services.block_create(blocker=ana, blocked=bram, reason="off_platform_payment", note="Wanted cash")
    services.block_create(blocker=UserFactory(), blocked=ana, reason="spam")
    client.force_login(ana)

    response = client.get(reverse("block_list"))

    html = response.content.decode()
    assert [b.blocked for b in response.context["page"].object_list] == [bram]
    assert "Bram de Vries" in html and "Asked to pay outside Gigfair" in html and "Wanted cash" in html
    assert "Lifted Person" not in html


def test_the_block_list_needs_a_login(client):
    assert client.get(reverse("block_list")).status_code == 302


@pytest.mark.parametrize("rows", [3, 10])
def test_the_block_list_query_count_does_not_grow_with_rows(client, ana, django_assert_max_num_queries, rows):
    for _ in range(rows):
        services.block_create(blocker=ana, blocked=UserFactory(), reason="spam")
    client.force_login(ana)

    # session, user, count, blocks with the blocked users, unread notifications
    with django_assert_max_num_queries(5):
        response = client.get(reverse("block_list"))

    assert len(response.context["page"].object_list) == rows
