"""Blocks over the API: GET, POST /blocks/, DELETE /blocks/{id}/."""

import pytest

from marketplace import services
from marketplace.models import Block
from orders.models import Order
from tests.factories import ServiceListingFactory, UserFactory, service_order
from tests.marketplace.helpers import block_snapshot

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _assert_problem(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == code


@pytest.fixture
def ana():
    return UserFactory(username="ana", display_name="Ana")


@pytest.fixture
def bram():
    return UserFactory(username="bram", display_name="Bram")


def test_block_a_user(api_as, ana, bram):
    response = api_as(ana).post("/api/v1/blocks/", {"user": bram.pk, "reason": "spam", "note": "Ads"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"] == {"id": bram.pk, "username": "bram", "display_name": "Bram"}
    assert (body["reason"], body["note"]) == ("spam", "Ads")
    assert Block.objects.get().blocker == ana


def test_an_unknown_user_or_reason_is_400(api_as, ana, bram):
    api = api_as(ana)

    _assert_problem(api.post("/api/v1/blocks/", {"user": 999999, "reason": "spam"}, format="json"), 400, "unknown_user")
    _assert_problem(api.post("/api/v1/blocks/", {"user": bram.pk, "reason": "meh"}, format="json"), 400, "invalid")
    _assert_problem(api.post("/api/v1/blocks/", {"user": ana.pk, "reason": "spam"}, format="json"), 400, "block_self")
    assert not Block.objects.exists()


def test_blocking_with_an_open_order_is_409_naming_the_orders(api_as, ana, bram):
    order = service_order(client=ana, provider=bram)
    before = block_snapshot()

    response = api_as(bram).post("/api/v1/blocks/", {"user": ana.pk, "reason": "abusive"}, format="json")

    _assert_problem(response, 409, "open_order")
    assert response.json()["orders"] == [order.pk]
    assert f"#{order.pk}" in response.json()["detail"]
    assert block_snapshot() == before


def test_blocking_twice_is_409(api_as, ana, bram):
    api = api_as(ana)
    api.post("/api/v1/blocks/", {"user": bram.pk, "reason": "spam"}, format="json")

    _assert_problem(
        api.post("/api/v1/blocks/", {"user": bram.pk, "reason": "spam"}, format="json"), 409, "already_blocked"
    )


def test_the_list_is_mine_only_newest_first(api_as, ana, bram):
    first = services.block_create(blocker=ana, blocked=bram, reason="spam")
    second = services.block_create(blocker=ana, blocked=UserFactory(), reason="no_show")
    services.block_create(blocker=bram, blocked=ana, reason="spam")

    body = api_as(ana).get("/api/v1/blocks/").json()

    assert [b["id"] for b in body["results"]] == [second.pk, first.pk]


def test_unblock_with_delete(api_as, ana, bram):
    block = services.block_create(blocker=ana, blocked=bram, reason="spam")
    api = api_as(ana)

    response = api.delete(f"/api/v1/blocks/{block.pk}/")

    assert response.status_code == 204
    assert api.get("/api/v1/blocks/").json()["results"] == []
    _assert_problem(api.get(f"/api/v1/blocks/{block.pk}/"), 404, "not_found")
    # Dealing with each other works again.
    order = api_as(bram).post("/api/v1/orders/", {"listing": ServiceListingFactory(owner=ana).pk}, format="json")
    assert order.status_code == 201, order.content


def test_someone_elses_block_is_404(api_as, ana, bram):
    block = services.block_create(blocker=ana, blocked=bram, reason="spam")

    _assert_problem(api_as(bram).delete(f"/api/v1/blocks/{block.pk}/"), 404, "not_found")
    _assert_problem(api_as(bram).get(f"/api/v1/blocks/{block.pk}/"), 404, "not_found")
    block.refresh_from_db()
    assert block.unblocked_at is None


@pytest.mark.parametrize("direction", ["blocker orders", "blocked orders"])
def test_ordering_across_a_block_is_403_blocked_and_changes_nothing(api_as, ana, bram, direction):
    services.block_create(blocker=ana, blocked=bram, reason="spam")
    actor, owner = (ana, bram) if direction == "blocker orders" else (bram, ana)
    listing = ServiceListingFactory(owner=owner)

    response = api_as(actor).post("/api/v1/orders/", {"listing": listing.pk}, format="json")

    _assert_problem(response, 403, "blocked")
    assert not Order.objects.exists()


@pytest.mark.parametrize("rows", [3, 10])
def test_the_block_list_query_count_does_not_grow_with_rows(api_as, ana, django_assert_max_num_queries, rows):
    for _ in range(rows):
        services.block_create(blocker=ana, blocked=UserFactory(), reason="spam")
    api = api_as(ana)

    # token and user, count, blocks with the blocked users
    with django_assert_max_num_queries(3):
        response = api.get("/api/v1/blocks/")

    assert len(response.json()["results"]) == rows
