"""Lists read ``page`` and ``page_size`` strictly, and filters too: a bad value is 400, never a
quiet default; a page past the last one is 404; both as problem+json."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
REASONS = "/api/v1/cancellation-reasons/"  # seven reasons, whoever asks


@pytest.fixture
def client(api_as):
    return api_as(UserFactory())


def _refused(response, field: str) -> None:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "", "1.5", "null", "１"])
def test_a_page_that_is_not_a_whole_number_from_one_is_400(client, page):
    _refused(client.get(REASONS, {"page": page}), "page")


@pytest.mark.parametrize("page_size", ["0", "101", "null", "", "x", "-5"])
def test_a_page_size_out_of_its_bounds_is_400(client, page_size):
    _refused(client.get(REASONS, {"page_size": page_size}), "page_size")


@pytest.mark.parametrize(("page_size", "count"), [("1", 1), ("100", 7)])
def test_page_sizes_at_the_bounds_are_served(client, page_size, count):
    response = client.get(REASONS, {"page_size": page_size})

    assert response.status_code == 200
    assert len(response.json()["results"]) == count


def test_a_page_given_twice_is_400(client):
    _refused(client.get(f"{REASONS}?page=1&page=2"), "page")


def test_a_page_past_the_last_is_404_problem(client):
    assert client.get(REASONS, {"page_size": 2, "page": 4}).status_code == 200

    response = client.get(REASONS, {"page_size": 2, "page": 5})

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/orders/?state=", "state"),
        ("/api/v1/orders/?role=client&role=provider", "role"),
        ("/api/v1/tickets/?order=", "order"),
        ("/api/v1/listings/?mine=", "mine"),
        ("/api/v1/cases/?state=open&state=open", "state"),
    ],
)
def test_an_empty_or_repeated_filter_is_400(client, url, field):
    _refused(client.get(url), field)


def test_a_filter_still_filters_and_an_unknown_parameter_is_ignored(client):
    response = client.get("/api/v1/orders/?state=completed&utm_source=x")

    assert response.status_code == 200
    assert response.json()["results"] == []
