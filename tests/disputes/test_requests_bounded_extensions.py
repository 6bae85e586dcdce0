"""Bounded extensions: a delivery extension moves the due date by at most the policy's days."""

from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from django.urls import reverse

from core.exceptions import Conflict, ValidationFailed
from core.jobs import sweep_run
from core.models import ActorRole
from core.timeutils import when_text
from disputes.models import RequestState, Resolution, ResolutionRequest
from disputes.services.requests import request_accept, request_open
from marketplace.models import Notification
from orders import services as order_services
from orders.models import Order, OrderState
from tests.disputes.test_requests_services import open_extension, snapshot
from tests.factories import order_in_progress, order_late
from tests.orders.test_admin_policies import change_url, form_data, make_draft

pytestmark = pytest.mark.django_db

FAR = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)


def _extend(order, new_due_at):
    return request_open(
        order=order, actor=order.provider, type="extend_delivery", new_due_at=new_due_at, message="More time"
    )


def _legacy_extension(order, new_due_at) -> ResolutionRequest:
    """An extension request asked before extensions were bounded (the row as such a request was stored)."""
    r = open_extension(order)
    ResolutionRequest.objects.filter(pk=r.pk).update(new_due_at=new_due_at)
    r.refresh_from_db()
    return r


# --- Services -----------------------------------------------------------------------------------


def test_an_extension_up_to_the_policy_maximum_is_asked():
    order = order_in_progress()

    r = _extend(order, order.due_at + timedelta(days=30))

    assert (r.state, r.new_due_at) == (RequestState.OPEN, order.due_at + timedelta(days=30))


@pytest.mark.parametrize("past", [timedelta(days=30, minutes=1), timedelta(days=365)])
def test_an_extension_past_the_maximum_is_refused_on_new_due_at_and_changes_nothing(past):
    order = order_in_progress()
    before = snapshot(order)

    with pytest.raises(ValidationFailed) as refused:
        _extend(order, order.due_at + past)

    assert list(refused.value.errors) == ["new_due_at"]
    assert "at most 30 days" in refused.value.errors["new_due_at"][0]
    assert snapshot(order) == before


def test_an_extension_to_the_year_9999_is_refused():
    order = order_in_progress()

    with pytest.raises(ValidationFailed) as refused:
        _extend(order, FAR)

    assert list(refused.value.errors) == ["new_due_at"]
    assert not ResolutionRequest.objects.exists()


def test_the_maximum_is_the_policy_s():
    order = order_in_progress()
    order.policy.max_extension_days = 5
    order.policy.save()

    with pytest.raises(ValidationFailed):
        _extend(order, order.due_at + timedelta(days=5, seconds=1))
    r = _extend(order, order.due_at + timedelta(days=5))

    assert r.state == RequestState.OPEN


def test_a_late_order_is_extended_from_its_due_date_not_from_now():
    # given an order a day past its due date (late)
    order = order_late()
    with time_machine.travel(order.due_at + timedelta(days=1), tick=False):
        # then 30 days past the due date is the limit, not 30 days past now
        with pytest.raises(ValidationFailed):
            _extend(order, order.due_at + timedelta(days=30, hours=1))
        assert _extend(order, order.due_at + timedelta(days=30)).state == RequestState.OPEN


def test_the_orders_service_refuses_to_move_a_due_date_past_the_maximum():
    order = order_in_progress()
    due = order.due_at

    with pytest.raises(Conflict) as refused:
        order_services.order_extend_delivery(
            extensions=[(order, due + timedelta(days=31))],
            actor=order.client,
            actor_role=ActorRole.CLIENT,
            reason="agreed",
            at=order.created_at,
        )

    assert refused.value.code == "extension_too_far"
    order.refresh_from_db()
    assert (order.due_at, order.history.filter(transition="extend_delivery").count()) == (due, 0)


def test_an_unanswered_extension_stored_past_the_maximum_expires_and_moves_nothing(
    django_capture_on_commit_callbacks,
):
    # given an extension to 9999 asked before extensions were bounded
    order = order_in_progress()
    r = _legacy_extension(order, FAR)
    due = order.due_at

    # when its window passes in silence
    with (
        time_machine.travel(r.respond_by + timedelta(minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        sweep_run("disputes.expire_requests")

    # then it expires instead of being accepted: the order keeps its due date and can become late
    r.refresh_from_db()
    order.refresh_from_db()
    assert (r.state, r.resolution) == (RequestState.EXPIRED, Resolution.AUTO_EXPIRED)
    assert (order.due_at, order.state) == (due, OrderState.IN_PROGRESS)
    notices = Notification.objects.filter(kind="request_expired", order=order)
    assert {n.user_id for n in notices} == {order.client_id, order.provider_id}
    assert all("further than the rules let an extension go" in n.body for n in notices)


def test_accepting_an_extension_stored_past_the_maximum_is_refused():
    order = order_in_progress()
    r = _legacy_extension(order, FAR)
    before = snapshot(order)

    with pytest.raises(Conflict) as refused:
        request_accept(resolution_request=r, actor=order.client)

    assert refused.value.code == "extension_too_far"
    assert snapshot(order) == before


# --- API ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("new_due_at", ["9999-12-31T23:59:59Z", "9999-12-31T23:59:59+05:00"])
def test_api_an_extension_to_9999_is_400_naming_new_due_at(api_as, new_due_at):
    order = order_in_progress()

    response = api_as(order.provider).post(
        f"/api/v1/orders/{order.pk}/requests/",
        {"type": "extend_delivery", "new_due_at": new_due_at, "message": "More time"},
        format="json",
    )

    assert response.status_code == 400, response.json()
    assert response["Content-Type"].startswith("application/problem+json")
    assert set(response.json()["errors"]) == {"new_due_at"}
    assert not ResolutionRequest.objects.exists()


def test_api_an_extension_a_minute_past_the_maximum_is_400_and_one_at_it_201(api_as):
    order = order_in_progress()
    api = api_as(order.provider)
    url = f"/api/v1/orders/{order.pk}/requests/"
    limit = order.due_at + timedelta(days=30)

    too_far = api.post(
        url,
        {"type": "extend_delivery", "new_due_at": (limit + timedelta(minutes=1)).isoformat(), "message": "m"},
        format="json",
    )
    at_limit = api.post(
        url, {"type": "extend_delivery", "new_due_at": limit.isoformat(), "message": "m"}, format="json"
    )

    assert too_far.status_code == 400
    assert "at most 30 days" in too_far.json()["errors"]["new_due_at"][0]
    assert at_limit.status_code == 201, at_limit.json()


def test_api_accepting_an_extension_stored_past_the_maximum_is_409(api_as):
    order = order_in_progress()
    r = _legacy_extension(order, FAR)

    response = api_as(order.client).post(f"/api/v1/requests/{r.pk}/accept/", {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "extension_too_far"
    assert Order.objects.get(pk=order.pk).due_at == order.due_at


# --- Pages ------------------------------------------------------------------------------------------


def test_page_an_extension_past_the_maximum_is_shown_on_the_field_and_kept(client):
    order = order_in_progress()
    client.force_login(order.provider)

    response = client.post(
        reverse("request_open", args=[order.pk, "extend_delivery"]),
        {"open-extend_delivery-new_due_at": "9999-12-31T23:59", "open-extend_delivery-message": "Much more time"},
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert "at most 30 days" in form.errors["new_due_at"][0]
    assert "Much more time" in response.content.decode()
    assert not ResolutionRequest.objects.exists()


def test_page_the_extension_form_says_how_far_the_due_date_may_move(client):
    order = order_in_progress()
    client.force_login(order.provider)

    form_page = client.get(reverse("request_open", args=[order.pk, "extend_delivery"]))
    # The order page loads the same form into its Resolution Center when the section is opened.
    order_page = client.get(reverse("order_detail", args=[order.pk]))
    loaded = client.get(reverse("request_open", args=[order.pk, "extend_delivery"]), headers={"HX-Request": "true"})

    assert f'hx-get="{reverse("request_open", args=[order.pk, "extend_delivery"])}"' in order_page.content.decode()
    assert "<html" not in loaded.content.decode()
    latest = when_text(order.due_at + timedelta(days=30))
    for response in (form_page, loaded):
        assert f"At most 30 days past the current due date ({when_text(order.due_at)}): by {latest}." in (
            unescape(response.content.decode())
        )


def test_admin_staff_set_the_maximum_in_the_policy(admin_client):
    draft = make_draft(admin_client)
    data = form_data(admin_client.get(change_url(draft)))
    assert data["max_extension_days"] == 30
    data["max_extension_days"] = "10"

    admin_client.post(change_url(draft), data)

    draft.refresh_from_db()
    assert draft.max_extension_days == 10
