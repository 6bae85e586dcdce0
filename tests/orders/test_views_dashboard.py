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
    older = shift_order(client=user)  # booked a few minutes ago (the factory's shifts are)
    newer = service_order(client=user)
    service_order()  # someone else's
    client.force_login(user)

    response = client.get(reverse("dashboard"), {"tab": "client"})

    assert response.status_code == 200
    assert [o.pk for o in response.context["page"].object_list] == [newer.pk, older.pk]
    html = response.content.decode()
    assert older.provider.public_name in html  # the counterpart
    assert "120.00\u00a0EUR" in html
    assert 'class="badge state-awaiting_requirements"' in html
    assert 'class="badge state-booked"' in html


def test_dashboard_provider_tab_lists_orders_i_work_on(client, user):
    booked = shift_order(provider=user)  # booked a few minutes ago (the factory's shifts are)
    sold = service_order(provider=user)
    bought = service_order(client=user)
    client.force_login(user)

    response = client.get(reverse("dashboard"), {"tab": "provider"})

    assert [o.pk for o in response.context["page"].object_list] == [sold.pk, booked.pk]
    assert (response.context["client_count"], response.context["provider_count"]) == (1, 2)
    assert f"#{bought.pk} " not in response.content.decode()
    assert sold.client.public_name in response.content.decode()


def test_dashboard_shows_due_date_once_requirements_are_in(client, user):
    order_in_progress(client=user)
    client.force_login(user)

    response = client.get(reverse("dashboard"), {"tab": "client"})

    assert "due" in response.content.decode()
    assert "<time datetime=" in response.content.decode()


def test_dashboard_is_paginated(client, user):
    for _ in range(16):
        service_order(client=user)
    client.force_login(user)

    response = client.get(reverse("dashboard"), {"tab": "client", "page": 2})

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
        service_order(client=me)  # waits for my requirements
        shift_order(client=me)  # waits for the worker, not for me
        service_order(provider=me)  # waits for the client's requirements
    client.force_login(me)

    # session, user, the three tabs' counts, the open tab's page, the nav bell's unread count
    pages = {}
    for tab in ("action", "client", "provider"):
        with django_assert_max_num_queries(5):
            pages[tab] = client.get(reverse("dashboard"), {"tab": tab})

    assert [len(pages[tab].context["page"].object_list) for tab in pages] == [rows, min(2 * rows, 15), rows]
    for page in pages.values():
        counts = (page.context["action_count"], page.context["client_count"], page.context["provider_count"])
        assert counts == (rows, 2 * rows, rows)


# --- Waiting for you ----------------------------------------------------------------------------


def test_the_dashboard_opens_on_what_waits_for_me_in_both_roles_nearest_deadline_first(client, user):
    from datetime import timedelta

    from tests.factories import order_delivered, order_late, shift_checked_in

    requirements = service_order(client=user)  # I send requirements (no deadline: last)
    to_review = order_delivered(client=user)  # I review the delivery (due in some days)
    to_confirm = shift_checked_in(client=user, starts_in=timedelta(hours=1))  # I confirm the shift
    overdue = order_late(provider=user)  # I deliver: it is overdue (its due date is days away in real time)
    soon = shift_order(provider=user, starts_in=timedelta(hours=3))  # I check in
    # Not waiting for me: work the provider owes me, a shift a week away, someone else's order.
    order_in_progress(client=user)
    shift_order(provider=user, starts_in=timedelta(days=7))
    order_delivered()
    client.force_login(user)

    response = client.get(reverse("dashboard"))

    assert response.context["tab"] == "action"
    shown = [o.pk for o in response.context["page"].object_list]
    assert set(shown) == {requirements.pk, to_review.pk, to_confirm.pk, overdue.pk, soon.pk}
    assert shown[:2] == [to_confirm.pk, soon.pk] and shown[-1] == requirements.pk  # by deadline
    assert response.context["action_count"] == 5
    html = response.content.decode()
    for words in (
        "Send your requirements",
        "Review the delivery",
        "Confirm the shift",
        "Deliver: it is overdue",
        "Check in when the shift starts",
    ):
        assert words in html
    assert 'class="count count-alert">5<' in html


def test_with_nothing_waiting_the_dashboard_says_so_and_points_at_every_order(client, user):
    order_in_progress(client=user)
    client.force_login(user)

    response = client.get(reverse("dashboard"))

    html = response.content.decode()
    assert "Nothing waits for you" in html
    assert f"{reverse('dashboard')}?tab=client" in html
    assert response.context["client_count"] == 1


def test_an_unknown_tab_is_the_default_one(client, user):
    client.force_login(user)

    assert client.get(reverse("dashboard"), {"tab": "everything"}).context["tab"] == "action"
