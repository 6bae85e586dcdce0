"""Reviews after a completed order: blind from both sides, one per party, within the policy's
window, published when both reviewed or the window closed; a reply; removal by support; the
reviewed person's figures; reminders — through the services, the API, the order page and the admin."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.jobs import sweep_run
from core.models import TransitionLog
from marketplace.models import Notification, Reputation
from orders import reviews
from orders.models import Review, ReviewState
from tests.factories import (
    UserFactory,
    order_cancelled,
    order_completed,
    order_in_progress,
    service_order,
    support_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    return order_completed()


def _closes(order):
    return order.completed_at + timedelta(days=order.policy.review_window_days)


# --- the rules ---------------------------------------------------------------------------------


def test_a_review_stays_hidden_from_the_other_party_until_they_review_too(order):
    mine = reviews.review_post(order=order, actor=order.client, rating=5, text="Lovely work")

    assert mine.state == ReviewState.PENDING and mine.publish_at == _closes(order)
    assert list(reviews.reviews_for_order(order=order, viewer=order.provider)) == []
    assert list(reviews.reviews_for_order(order=order, viewer=order.client)) == [mine]
    assert not Review.objects.filter(subject=order.provider, state=ReviewState.PUBLISHED).exists()
    assert Notification.objects.filter(user=order.provider, kind="review_received").exists()

    theirs = reviews.review_post(order=order, actor=order.provider, rating=4, text="Clear brief")

    both = set(reviews.reviews_for_order(order=order, viewer=order.provider))
    assert both == {mine, theirs}
    assert set(Review.objects.values_list("state", flat=True)) == {ReviewState.PUBLISHED}
    assert set(reviews.reviews_for_order(order=order, viewer=order.client)) == {mine, theirs}


def test_the_window_closing_publishes_a_lone_review(order):
    mine = reviews.review_post(order=order, actor=order.provider, rating=3, text="Fine")

    with time_machine.travel(_closes(order) - timedelta(minutes=1), tick=False):
        sweep_run("orders.publish_due_reviews")
    assert Review.objects.get(pk=mine.pk).state == ReviewState.PENDING
    with time_machine.travel(_closes(order) + timedelta(minutes=1), tick=False):
        sweep_run("orders.publish_due_reviews")

    published = Review.objects.get(pk=mine.pk)
    assert published.state == ReviewState.PUBLISHED and published.published_at is not None
    assert [r.pk for r in reviews.reviews_for_order(order=order, viewer=order.client)] == [mine.pk]
    reputation = Reputation.objects.get(user=order.client)
    assert (reputation.rating_count, reputation.average, reputation.stars_3) == (1, Decimal("3.00"), 1)
    assert TransitionLog.objects.filter(object_id=mine.pk, transition="publish").exists()


def test_one_review_per_party(order):
    reviews.review_post(order=order, actor=order.client, rating=5)

    with pytest.raises(Conflict) as error:
        reviews.review_post(order=order, actor=order.client, rating=4)
    assert error.value.code == "review_exists"


def test_no_review_of_an_order_that_is_not_completed():
    cancelled = order_cancelled(order=service_order())
    running = order_in_progress()

    for other in (cancelled, running):
        with pytest.raises(Conflict) as error:
            reviews.review_post(order=other, actor=other.client, rating=5)
        assert error.value.code == "order_not_completed"


def test_no_review_after_the_window(order):
    with time_machine.travel(_closes(order) + timedelta(seconds=1), tick=False), pytest.raises(Conflict) as error:
        reviews.review_post(order=order, actor=order.client, rating=5)
    assert error.value.code == "review_window_closed"
    with time_machine.travel(_closes(order) - timedelta(seconds=1), tick=False):
        assert reviews.review_post(order=order, actor=order.client, rating=5).pk


@pytest.mark.parametrize(
    ("rating", "text", "field"),
    [
        (0, "x", "rating"),
        (6, "x", "rating"),
        ("5.5", "x", "rating"),
        (True, "x", "rating"),
        (2, "  ", "text"),
        (5, "x" * 2001, "text"),
    ],
)
def test_bad_input_is_a_field_error_and_writes_nothing(order, rating, text, field):
    with pytest.raises(ValidationFailed) as error:
        reviews.review_post(order=order, actor=order.client, rating=rating, text=text)

    assert field in error.value.errors
    assert not Review.objects.exists()


def test_a_stranger_cannot_review(order):
    with pytest.raises(NotFound):
        reviews.review_post(order=order, actor=UserFactory(), rating=5)


def test_the_reviewed_party_answers_once_in_public(order):
    mine = reviews.review_post(order=order, actor=order.client, rating=2, text="Late and sloppy")
    reviews.review_post(order=order, actor=order.provider, rating=5, text="Great client")

    with pytest.raises(PermissionDenied):
        reviews.review_reply(review=mine, actor=order.client, text="Me again")
    answered = reviews.review_reply(review=mine, actor=order.provider, text="The brief changed twice.")

    assert answered.reply == "The brief changed twice." and answered.replied_at is not None
    with pytest.raises(Conflict) as error:
        reviews.review_reply(review=mine, actor=order.provider, text="And again")
    assert error.value.code == "reply_exists"


def test_a_pending_review_cannot_be_answered(order):
    mine = reviews.review_post(order=order, actor=order.client, rating=4)
    with pytest.raises(Conflict) as error:
        reviews.review_reply(review=mine, actor=order.provider, text="Thanks")
    assert error.value.code == "review_not_published"


def test_support_removes_a_review_with_the_reason_on_record_and_both_are_told(order):
    mine = reviews.review_post(order=order, actor=order.client, rating=1, text="Call me on 0612345678")
    reviews.review_post(order=order, actor=order.provider, rating=5, text="Good")
    assert Reputation.objects.get(user=order.provider).rating_count == 1

    with pytest.raises(PermissionDenied):
        reviews.review_remove(review=mine, actor=order.provider, reason="I dislike it")
    agent = support_user()
    removed = reviews.review_remove(review=mine, actor=agent, reason="Phone numbers are not allowed")

    assert (removed.state, removed.removal_reason, removed.removed_by) == (
        ReviewState.REMOVED,
        "Phone numbers are not allowed",
        agent,
    )
    assert Reputation.objects.get(user=order.provider).rating_count == 0
    told = Notification.objects.filter(kind="review_removed").values_list("user_id", flat=True)
    assert set(told) == {order.client_id, order.provider_id}
    assert mine not in reviews.reviews_about(order.provider)


def test_reminders_go_once_to_whoever_has_not_reviewed(order):
    reviews.review_post(order=order, actor=order.client, rating=5)
    reminder_time = _closes(order) - timedelta(days=order.policy.review_reminder_days) + timedelta(hours=1)

    with time_machine.travel(reminder_time, tick=False):
        first = sweep_run("orders.send_review_reminders")
        again = sweep_run("orders.send_review_reminders")

    assert (first.processed, again.processed) == (1, 0)
    reminded = Notification.objects.get(kind="review_reminder")
    assert reminded.user_id == order.provider_id and reminded.order_id == order.pk


# --- the API -----------------------------------------------------------------------------------


def test_the_api_posts_and_lists_reviews_blind(api_as, order):
    url = f"/api/v1/orders/{order.pk}/reviews/"

    created = api_as(order.client).post(url, {"rating": 5, "text": "Superb"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert (body["author_role"], body["rating"], body["text"], body["state"]) == ("client", 5, "Superb", "pending")
    assert api_as(order.provider).get(url).json()["results"] == []

    api_as(order.provider).post(url, {"rating": 4, "text": "Quick answers"}, format="json")
    listed = api_as(order.provider).get(url).json()["results"]
    assert {(r["author_role"], r["rating"], r["text"]) for r in listed} == {
        ("client", 5, "Superb"),
        ("provider", 4, "Quick answers"),
    }
    assert all(r["created_at"] for r in listed)


@pytest.mark.parametrize(
    ("setup", "status", "code"),
    [("twice", 409, "review_exists"), ("cancelled", 409, "order_not_completed"), ("late", 409, "review_window_closed")],
)
def test_the_api_refuses_with_the_contracts_codes(api_as, setup, status, code):
    order = order_cancelled(order=service_order()) if setup == "cancelled" else order_completed()
    client = api_as(order.client)
    url = f"/api/v1/orders/{order.pk}/reviews/"
    if setup == "twice":
        client.post(url, {"rating": 5}, format="json")
    if setup == "late":
        with time_machine.travel(_closes(order) + timedelta(hours=1), tick=False):
            response = client.post(url, {"rating": 5}, format="json")
    else:
        response = client.post(url, {"rating": 5}, format="json")

    assert response.status_code == status
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == code


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"rating": 2, "text": ""}, "text"),
        ({"rating": 5, "text": "x" * 2001}, "text"),
        ({}, "rating"),
    ],
)
def test_the_api_names_the_field_of_bad_input(api_as, order, payload, field):
    response = api_as(order.client).post(f"/api/v1/orders/{order.pk}/reviews/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Review.objects.exists()


def test_someone_elses_order_is_404(api_as, order):
    response = api_as(UserFactory()).post(f"/api/v1/orders/{order.pk}/reviews/", {"rating": 5}, format="json")
    assert response.status_code == 404


def test_the_api_reply(api_as, order):
    mine = reviews.review_post(order=order, actor=order.client, rating=3, text="OK")
    reviews.review_post(order=order, actor=order.provider, rating=5, text="Good")

    response = api_as(order.provider).post(f"/api/v1/reviews/{mine.pk}/reply/", {"text": "Thanks!"}, format="json")

    assert response.status_code == 200 and response.json()["reply"] == "Thanks!"
    again = api_as(order.provider).post(f"/api/v1/reviews/{mine.pk}/reply/", {"text": "x"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "reply_exists"


# --- the order page and the admin --------------------------------------------------------------


def test_the_order_page_invites_the_review_and_says_when_it_is_published(client, order):
    client.force_login(order.client)
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert f'action="/orders/{order.pk}/review/"' in page

    bad = client.post(reverse("order_review", args=[order.pk]), {"review-rating": "1", "review-text": ""})
    assert bad.status_code == 200 and "a review of 1 or 2 stars needs a few words" in bad.content.decode()
    assert not Review.objects.exists()

    done = client.post(
        reverse("order_review", args=[order.pk]), {"review-rating": "5", "review-text": "Spot on"}, follow=True
    )
    page = done.content.decode()
    assert "Your review is saved. It is published when" in page
    assert f'action="/orders/{order.pk}/review/"' not in page


def test_the_admin_removes_reviews_with_a_reason(client, order):
    mine = reviews.review_post(order=order, actor=order.client, rating=1, text="Spam spam")
    agent = support_user()
    client.force_login(agent)
    url = reverse("admin:orders_review_changelist")

    assert client.get(url + "?low=yes").context["cl"].result_count == 1
    response = client.post(
        url,
        {"action": "remove_selected", "_selected_action": [mine.pk], "apply": "1", "reason": "Spam"},
        follow=True,
    )

    assert "1 review removed." in [str(m) for m in response.context["messages"]]
    assert Review.objects.get(pk=mine.pk).state == ReviewState.REMOVED


def test_the_profile_page_and_api_show_the_record_and_never_the_credit_events(client, api_as):
    order = order_completed()
    reviews.review_post(order=order, actor=order.client, rating=4, text="Would hire again")
    reviews.review_post(order=order, actor=order.provider, rating=5, text="Paid at once")
    provider = order.provider

    page = client.get(reverse("user_profile", args=[provider.username])).content.decode()
    assert "Would hire again" in page and "1 order completed" in page
    assert "credit score" not in page.lower()

    body = api_as(UserFactory()).get(f"/api/v1/users/{provider.username}/").json()
    assert body["username"] == provider.username
    assert body["rating"]["average"] == "4.00" and body["rating"]["count"] == 1
    assert body["completed_orders"] == 1 and body["level"] == "new"
    assert body["member_since"]
    assert "credit_events" not in body and "completion_rate" not in body
    assert api_as(UserFactory()).get("/api/v1/users/nobody-here/").status_code == 404


def test_reviews_published_and_removed_are_webhook_events(api_as, order):
    from core.models import WebhookDelivery
    from core.webhooks.services import webhook_endpoint_create

    webhook_endpoint_create(owner=order.provider, url="https://partner.example/gigfair", events=["review.*"])
    with time_machine.travel(timezone.now(), tick=False):
        mine = reviews.review_post(order=order, actor=order.client, rating=1, text="Bad")
        reviews.review_post(order=order, actor=order.provider, rating=5, text="Good")
        reviews.review_remove(review=mine, actor=support_user(), reason="Rude")

    types = list(WebhookDelivery.objects.order_by("id").values_list("event_type", flat=True))
    assert "review.published" in types and "review.removed" in types


# --- reporting a review ------------------------------------------------------------------------


def _published(order):
    mine = reviews.review_post(order=order, actor=order.client, rating=1, text="Awful, call me on 0612")
    reviews.review_post(order=order, actor=order.provider, rating=5, text="Fine client")
    return Review.objects.get(pk=mine.pk)


def test_the_reviewed_party_reports_once_and_support_keeps_or_removes(order):
    review = _published(order)

    with pytest.raises(PermissionDenied):
        reviews.review_report(review=review, actor=order.client, reason="Mine")
    reported = reviews.review_report(review=review, actor=order.provider, reason="Phone number")
    assert reported.reported_at is not None and reported.report_handled_at is None
    with pytest.raises(Conflict) as error:
        reviews.review_report(review=review, actor=order.provider, reason="Again")
    assert error.value.code == "review_reported"

    agent = support_user()
    kept = reviews.review_report_dismiss(review=review, actor=agent, note="Numbers of the order are fine")
    assert kept.report_handled_at is not None and kept.state == ReviewState.PUBLISHED
    assert Notification.objects.filter(user=order.provider, kind="review_kept").exists()
    with pytest.raises(Conflict):
        reviews.review_report_dismiss(review=review, actor=agent, note="Twice")


def test_the_report_queue_in_the_admin_and_on_the_dashboard(client, order):
    from portal.support_dashboard import support_dashboard

    review = _published(order)
    reviews.review_report(review=review, actor=order.provider, reason="Phone number")
    agent = support_user()
    card = next(c for c in support_dashboard(user=agent, now=timezone.now()).cards if c.title == "Reported reviews")
    assert card.total == 1 and card.lines[0].url.endswith("?reported=waiting")

    client.force_login(agent)
    url = reverse("admin:orders_review_changelist")
    assert client.get(url + "?reported=waiting").context["cl"].result_count == 1
    client.post(url, {"action": "remove_selected", "_selected_action": [review.pk], "apply": "1", "reason": "Phone"})
    removed = Review.objects.get(pk=review.pk)
    assert removed.state == ReviewState.REMOVED and removed.report_handled_at is not None
    assert client.get(url + "?reported=waiting").context["cl"].result_count == 0


def test_reporting_on_the_page_and_in_the_api(client, api_as, order):
    review = _published(order)
    client.force_login(order.provider)
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert reverse("review_report", args=[review.pk]) in page

    empty = client.post(reverse("review_report", args=[review.pk]), {"reason": " "}, follow=True)
    assert "Say which rule it breaks." in empty.content.decode()
    response = api_as(order.provider).post(f"/api/v1/reviews/{review.pk}/report/", {"reason": "Phone"}, format="json")
    assert response.status_code == 200
    again = api_as(order.provider).post(f"/api/v1/reviews/{review.pk}/report/", {"reason": "x"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "review_reported"
    stranger = api_as(UserFactory()).post(f"/api/v1/reviews/{review.pk}/report/", {"reason": "x"}, format="json")
    assert stranger.status_code in (403, 404)
