"""Fault follows who asked and why: a mutual cancellation the client asked for with a reason the
policy marks as on the client's side (by default "client changed demand") counts neither against
the provider's completion rate nor as a complaint, and the answering provider sees so first."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from core.jobs import sweep_run
from disputes.models import Resolution
from disputes.selectors.requests import request_consequences
from disputes.services.requests import request_accept, request_open
from orders import services as order_services
from orders.completion import completion_rate_for
from orders.models import Cancellation, Policy
from orders.policy import DEFAULT_RULES, OrderFacts, Windows, decide
from tests.factories import order_completed, order_in_progress
from tests.orders.test_admin_policies import change_url, form_data, make_draft

pytestmark = pytest.mark.django_db

CHANGED_DEMAND = "client_changed_demand"


def _ask_to_cancel(order, *, by: str = "client", reason: str = CHANGED_DEMAND, percent: str = "100"):
    return request_open(
        order=order,
        actor=getattr(order, by),
        type="cancel",
        reason=reason,
        refund_percent=Decimal(percent),
        message="We no longer need it.",
    )


def _a_provider_with_one_completed_order():
    """An order in progress for a provider who already completed one (so a rate is 100 %)."""
    done = order_completed()
    return order_in_progress(provider=done.provider)


# --- The engine (pure) ----------------------------------------------------------------------------

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
FACTS = OrderFacts(
    kind="service", state="in_progress", price=Decimal(100), created_at=NOW, due_at=NOW + timedelta(days=2)
)


def _mutual(asked_by: str, reason: str, client_side=(CHANGED_DEMAND,)):
    return decide(
        facts=FACTS,
        actor_role="mutual",
        now=NOW,
        rules=DEFAULT_RULES,
        windows=Windows(),
        agreed_refund_percent=Decimal(80),
        asked_by=asked_by,
        reason=reason,
        client_side_reasons=client_side,
    )


@pytest.mark.parametrize(
    ("asked_by", "reason", "client_side", "counts"),
    [
        ("client", CHANGED_DEMAND, (CHANGED_DEMAND,), False),
        ("provider", CHANGED_DEMAND, (CHANGED_DEMAND,), True),  # the provider cannot say it for the client
        ("client", "schedule_change", (CHANGED_DEMAND,), True),
        ("client", "not_as_described", ("not_as_described",), False),
        ("client", CHANGED_DEMAND, (), True),  # a policy that lists none
        ("", CHANGED_DEMAND, (CHANGED_DEMAND,), True),  # callers that do not say who asked: as before
    ],
)
def test_the_engine_lets_the_client_side_reasons_of_the_client_not_count(asked_by, reason, client_side, counts):
    decision = _mutual(asked_by, reason, client_side)

    assert decision.allowed
    assert decision.outcome.counts_against_completion_rate is counts
    assert decision.outcome.counts_as_complaint is False
    assert decision.extra == ({} if counts else {"client_side_reason": reason})
    # the money is the agreed split either way
    assert (decision.outcome.refund_to_client, decision.outcome.compensation_to_provider) == (Decimal(80), Decimal(20))


# --- Services -------------------------------------------------------------------------------------


def test_the_provider_accepting_the_clients_changed_demand_keeps_their_completion_rate():
    order = _a_provider_with_one_completed_order()
    before = completion_rate_for(order.provider)
    r = _ask_to_cancel(order)

    request_accept(resolution_request=r, actor=order.provider)

    cancellation = Cancellation.objects.get(order=order)
    assert (cancellation.path, cancellation.reason) == ("mutual", CHANGED_DEMAND)
    assert (cancellation.counts_against_completion_rate, cancellation.counts_as_complaint) == (False, False)
    assert completion_rate_for(order.provider) == before


def test_an_unanswered_changed_demand_request_accepted_automatically_does_not_count_either():
    order = _a_provider_with_one_completed_order()
    r = _ask_to_cancel(order)

    with time_machine.travel(r.respond_by + timedelta(seconds=1), tick=False):
        assert sweep_run("disputes.expire_requests").processed == 1

    r.refresh_from_db()
    assert r.resolution == Resolution.AUTO_ACCEPTED
    assert Cancellation.objects.get(order=order).counts_against_completion_rate is False
    assert completion_rate_for(order.provider).counted_cancellations == 0


@pytest.mark.parametrize(("by", "reason"), [("provider", CHANGED_DEMAND), ("client", "schedule_change")])
def test_other_mutual_cancellations_count_as_before(by, reason):
    order = _a_provider_with_one_completed_order()
    r = _ask_to_cancel(order, by=by, reason=reason)

    request_accept(resolution_request=r, actor=order.client if by == "provider" else order.provider)

    assert Cancellation.objects.get(order=order).counts_against_completion_rate is True
    assert completion_rate_for(order.provider).counted_cancellations == 1


def test_the_policy_says_which_reasons_are_the_clients_side():
    order = _a_provider_with_one_completed_order()
    order.policy.client_side_cancel_reasons = ["not_as_described"]
    order.policy.save()
    r = _ask_to_cancel(order, reason="not_as_described")

    request_accept(resolution_request=r, actor=order.provider)

    assert Cancellation.objects.get(order=order).counts_against_completion_rate is False


def test_a_new_policy_lists_client_changed_demand_and_only_taxonomy_codes_are_kept():
    policy = order_services.policy_current()

    assert policy.client_side_cancel_reasons == [CHANGED_DEMAND]
    policy.client_side_cancel_reasons = ["no_show"]  # a reason no person gives
    with pytest.raises(ValidationError):
        policy.full_clean()


def test_the_providers_preview_shows_it_does_not_count():
    order = _a_provider_with_one_completed_order()
    r = _ask_to_cancel(order)

    for_provider = request_consequences(resolution_request=r, user=order.provider)
    for_client = request_consequences(resolution_request=r, user=order.client)

    assert for_provider.outcome.counts_against_completion_rate is False
    assert for_provider.client_side_reason == CHANGED_DEMAND
    assert for_provider.completion_effect.after == for_provider.completion_effect.before
    assert (for_client.client_side_reason, for_client.completion_effect) == (CHANGED_DEMAND, None)


# --- API ------------------------------------------------------------------------------------------


def test_api_the_answering_provider_reads_that_it_does_not_count_then_accepts(api_as):
    order = _a_provider_with_one_completed_order()
    r = _ask_to_cancel(order)
    api = api_as(order.provider)

    shown = api.get(f"/api/v1/requests/{r.pk}/").json()["consequences"]
    accepted = api.post(f"/api/v1/requests/{r.pk}/accept/", {}, format="json")

    assert (shown["counts_against_completion_rate"], shown["client_side_reason"]) == (False, CHANGED_DEMAND)
    effect = shown["completion_rate_effect"]
    assert effect["after"] == effect["before"]
    assert accepted.status_code == 200
    assert Cancellation.objects.get(order=order).counts_against_completion_rate is False


def test_api_a_request_with_another_reason_says_it_counts(api_as):
    order = _a_provider_with_one_completed_order()
    r = _ask_to_cancel(order, reason="schedule_change")

    shown = api_as(order.provider).get(f"/api/v1/requests/{r.pk}/").json()["consequences"]

    assert (shown["counts_against_completion_rate"], shown["client_side_reason"]) == (True, None)
    assert shown["completion_rate_effect"]["after"] != shown["completion_rate_effect"]["before"]


# --- Pages ----------------------------------------------------------------------------------------


def test_page_the_answering_provider_sees_it_does_not_count_before_the_accept_button(client):
    order = _a_provider_with_one_completed_order()
    r = _ask_to_cancel(order)
    client.force_login(order.provider)

    html = unescape(client.get(reverse("request_detail", args=[r.pk])).content.decode())

    said = html.index("It does not count against your completion rate")
    why = html.index("The client asked to cancel for a reason on their side (client changed demand)")
    accept = html.index(reverse("request_action", args=[r.pk, "accept"]))
    assert said < accept and why < accept


def test_page_accepting_it_leaves_the_credit_page_without_the_cancellation(client):
    order = _a_provider_with_one_completed_order()
    r = _ask_to_cancel(order)
    client.force_login(order.provider)

    client.post(reverse("request_action", args=[r.pk, "accept"]), {"request-accept-message": ""})

    assert Cancellation.objects.get(order=order).counts_against_completion_rate is False
    assert completion_rate_for(order.provider).counted_cancellations == 0


# --- Admin ----------------------------------------------------------------------------------------


def test_admin_staff_tick_the_client_side_reasons_of_a_policy(admin_client):
    draft = make_draft(admin_client)
    page = admin_client.get(change_url(draft))
    assert re.search(r'value="client_changed_demand"[^>]* checked', page.content.decode())
    data = form_data(page)
    data["client_side_cancel_reasons"] = ["client_changed_demand", "not_as_described"]

    admin_client.post(change_url(draft), data)

    draft.refresh_from_db()
    assert draft.client_side_cancel_reasons == ["client_changed_demand", "not_as_described"]


def test_admin_a_used_policy_edited_to_list_none_becomes_a_new_version(admin_client):
    order = order_in_progress()
    data = form_data(admin_client.get(change_url(order.policy)))
    data.pop("client_side_cancel_reasons", None)  # nothing ticked

    admin_client.post(change_url(order.policy), data)

    newest = Policy.objects.order_by("-version").first()
    order.policy.refresh_from_db()
    assert (newest.version, newest.client_side_cancel_reasons) == (order.policy.version + 1, [])
    assert order.policy.client_side_cancel_reasons == [CHANGED_DEMAND]


# --- Migration ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_every_existing_version_the_default():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    latest = executor.loader.graph.leaf_nodes("orders")
    executor.migrate([("orders", "0017_policy_max_extension_days")])
    try:
        old_policy = executor.loader.project_state([("orders", "0017_policy_max_extension_days")]).apps.get_model(
            "orders", "Policy"
        )
        old_policy.objects.create(version=41, name="An old version")

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert Policy.objects.get(version=41).client_side_cancel_reasons == [CHANGED_DEMAND]
