"""The bell in the nav, the notifications page, and marking notifications read."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Notification
from marketplace.notifications import notify
from tests.factories import UserFactory, service_order

pytestmark = pytest.mark.django_db


def _notice(user, *, title="Something happened", order=None, read=False, minutes_ago=0):
    return Notification.objects.create(
        user=user,
        kind="test",
        title=title,
        order=order,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
        read_at=timezone.now() if read else None,
    )


def _unread(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# --- The bell ------------------------------------------------------------------------------


def test_the_bell_counts_my_unread_notifications_only(client, user):
    for _ in range(3):
        _notice(user)
    _notice(user, read=True)
    _notice(UserFactory())
    client.force_login(user)

    html = client.get(reverse("home")).content.decode()

    assert f'href="{reverse("notifications")}" class="bell"' in html
    assert '<span class="bell-count" aria-hidden="true">3</span>' in html
    assert 'aria-label="Notifications: 3 unread"' in html


def test_the_bell_has_no_count_when_all_is_read(client, user):
    _notice(user, read=True)
    client.force_login(user)

    html = client.get(reverse("home")).content.decode()

    assert 'class="bell"' in html
    assert "bell-count" not in html
    assert 'aria-label="Notifications"' in html


def test_the_bell_caps_its_count(client, user):
    Notification.objects.bulk_create(Notification(user=user, kind="test", title=f"n{i}") for i in range(100))
    client.force_login(user)

    assert '<span class="bell-count" aria-hidden="true">99+</span>' in client.get(reverse("home")).content.decode()


def test_no_bell_for_visitors(client):
    assert 'class="bell"' not in client.get(reverse("home")).content.decode()


def test_a_cancellation_rings_both_parties_bells(client):
    from orders.cancellation import order_cancel

    order = service_order()
    order_cancel(order=order, actor=order.client, reason="other")
    client.force_login(order.provider)

    html = client.get(reverse("home")).content.decode()

    assert '<span class="bell-count" aria-hidden="true">1</span>' in html


# --- The page ------------------------------------------------------------------------------


def test_notifications_page_needs_login(client):
    response = client.get(reverse("notifications"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_notifications_page_lists_mine_newest_first_linking_to_the_order(client, user):
    order = service_order(client=user)
    older = _notice(user, title="Older news", order=order, minutes_ago=10, read=True)
    newer = _notice(user, title="Newer news", order=order)
    _notice(UserFactory(), title="Someone else's news")
    client.force_login(user)

    response = client.get(reverse("notifications"))

    assert [n.pk for n in response.context["page"].object_list] == [newer.pk, older.pk]
    html = response.content.decode()
    assert "Someone else&#x27;s news" not in html
    assert f'href="{reverse("notification_open", args=[newer.pk])}"' in html
    assert f"order #{order.pk}" in html
    assert html.count('class="notification is-unread"') == 1
    assert "1 unread" in html and "Mark all read" in html


def test_notifications_page_is_paginated(client, user):
    for i in range(25):
        _notice(user, title=f"Notice {i}", minutes_ago=i)
    client.force_login(user)

    first = client.get(reverse("notifications"))
    second = client.get(reverse("notifications"), {"page": 2})

    assert [n.title for n in first.context["page"].object_list][:2] == ["Notice 0", "Notice 1"]
    assert len(first.context["page"].object_list) == 20
    assert len(second.context["page"].object_list) == 5
    assert "Page 1 of 2" in first.content.decode()


def test_notifications_page_when_there_are_none(client, user):
    client.force_login(user)

    html = client.get(reverse("notifications")).content.decode()

    assert "No notifications yet." in html
    assert "Mark all read" not in html


@pytest.mark.parametrize("rows", [3, 10])
def test_notifications_page_query_count_does_not_grow_with_rows(client, user, django_assert_max_num_queries, rows):
    for _ in range(rows):
        notify(users=[user], kind="test", title="Your order moved", order=service_order(client=user))
    client.force_login(user)

    # session, user, page count, page rows, unread count (shared by the bell and the heading)
    with django_assert_max_num_queries(5):
        response = client.get(reverse("notifications"))

    assert len(response.context["page"].object_list) == rows


# --- Marking read ----------------------------------------------------------------------------


def test_opening_a_notification_marks_it_read_and_goes_to_its_order(client, user):
    order = service_order(client=user)
    notice = _notice(user, order=order)
    other = _notice(user, order=order)
    client.force_login(user)

    response = client.get(reverse("notification_open", args=[notice.pk]))

    assert response.status_code == 302
    assert response.url == reverse("order_detail", args=[order.pk])
    notice.refresh_from_db()
    other.refresh_from_db()
    assert notice.read_at is not None and other.read_at is None


def test_opening_a_notification_again_keeps_its_first_read_time(client, user):
    notice = _notice(user, order=service_order(client=user))
    client.force_login(user)
    client.get(reverse("notification_open", args=[notice.pk]))
    notice.refresh_from_db()
    first_read = notice.read_at

    client.get(reverse("notification_open", args=[notice.pk]))

    notice.refresh_from_db()
    assert notice.read_at == first_read


def test_opening_someone_elses_notification_is_404_and_leaves_it_unread(client, user):
    theirs = _notice(UserFactory(), order=service_order())
    client.force_login(user)

    response = client.get(reverse("notification_open", args=[theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_marks_only_mine(client, user):
    for _ in range(3):
        _notice(user)
    someone = UserFactory()
    _notice(someone)
    client.force_login(user)

    response = client.post(reverse("notifications_read_all"), follow=True)

    assert response.redirect_chain == [(reverse("notifications"), 302)]
    assert (_unread(user), _unread(someone)) == (0, 1)
    html = response.content.decode()
    assert "All notifications are marked read." in html
    assert "bell-count" not in html


def test_mark_all_read_needs_a_post(client, user):
    _notice(user)
    client.force_login(user)

    assert client.get(reverse("notifications_read_all")).status_code == 405
    assert _unread(user) == 1
