"""The dashboard: my orders as client and as provider."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory, order_in_progress, service_order, shift_order

pytestmark = pytest.mark.django_db


def test_dashboard_needs_login(client):
    response = client.get(reverse("dashboard"))

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={reverse('dashboard')}"


def test_dashboard_lists_my_orders_as_client_newest_first(client, user):
    older = service_order(client=user)
    newer = shift_order(client=user)
    service_order()  # someone else's
    client.force_login(user)

    response = client.get(reverse("dashboard"))

    assert response.status_code == 200
    assert [o.pk for o in response.context["page"].object_list] == [newer.pk, older.pk]
    html = response.content.decode()
    assert older.provider.public_name in html  # the counterpart
    assert "120.00\u00a0EUR" in html
    assert 'class="badge state-awaiting_requirements"' in html
    assert 'class="badge state-booked"' in html


def test_dashboard_provider_tab_lists_orders_i_work_on(client, user):
    sold = service_order(provider=user)
    booked = shift_order(provider=user)
    bought = service_order(client=user)
    client.force_login(user)

    response = client.get(reverse("dashboard"), {"tab": "provider"})

    assert [o.pk for o in response.context["page"].object_list] == [booked.pk, sold.pk]
    assert (response.context["client_count"], response.context["provider_count"]) == (1, 2)
    assert f"#{bought.pk} " not in response.content.decode()
    assert sold.client.public_name in response.content.decode()


def test_dashboard_shows_due_date_once_requirements_are_in(client, user):
    order_in_progress(client=user)
    client.force_login(user)

    response = client.get(reverse("dashboard"))

    assert "due" in response.content.decode()
    assert "<time datetime=" in response.content.decode()


def test_dashboard_is_paginated(client, user):
    for _ in range(16):
        service_order(client=user)
    client.force_login(user)

    response = client.get(reverse("dashboard"), {"page": 2})

    assert len(response.context["page"].object_list) == 1


def test_dashboard_answers_htmx_tab_switch_with_the_panel_only(client, user):
    shift_order(provider=user)
    client.force_login(user)

    response = client.get(
        reverse("dashboard"), {"tab": "provider"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="orders-panel"
    )

    assert b'id="orders-panel"' in response.content
    assert b"<html" not in response.content


@pytest.mark.parametrize("rows", [3, 10])
def test_dashboard_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries, rows):
    me = UserFactory()
    for _ in range(rows):
        service_order(client=me)
        shift_order(client=me)
        service_order(provider=me)
    client.force_login(me)

    # session, user, the open tab's count and page, the other tab's count, the nav bell's unread count
    with django_assert_max_num_queries(6):
        response = client.get(reverse("dashboard"))
    with django_assert_max_num_queries(6):
        provider_tab = client.get(reverse("dashboard"), {"tab": "provider"})

    assert len(response.context["page"].object_list) == min(2 * rows, 15)
    for page in (response, provider_tab):
        assert (page.context["client_count"], page.context["provider_count"]) == (2 * rows, rows)
