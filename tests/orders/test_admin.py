"""The back office for orders, policy versions and the ledger: pages load, nothing leaks N+1."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from credit.models import CreditEvent
from marketplace.models import Notification
from orders import services
from orders.ledger import account_for, ledger_post
from orders.models import Account, AccountKind, Cancellation, LedgerTransaction, Order, OrderState, Policy, Refund
from tests.factories import (
    UserFactory,
    order_cancelled,
    order_completed,
    order_delivered,
    order_in_progress,
    service_order,
    shift_order,
    support_with,
)

pytestmark = pytest.mark.django_db

# A changelist costs a fixed number of queries (session, user, counts, filters, the page);
# the bound is generous for that, and far below one query per row for 12 rows.
CHANGELIST_MAX_QUERIES = 14


def make_orders(n: int) -> list[Order]:
    """``n`` orders of both kinds in several states, with deliveries, refunds and ledger rows."""
    made = []
    for i in range(n):
        if i % 4 == 0:
            order = shift_order()
        elif i % 4 == 1:
            order = order_delivered(requirements="Spec", message="Done")
        elif i % 4 == 2:
            order = order_completed(requirements="Spec", message="Done")
        else:
            order = order_cancelled(order=service_order(), reason="schedule_change", message="Plans changed")
        made.append(order)
    return made


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=(obj.pk,))


@pytest.mark.parametrize(
    "model", [Order, Policy, Account, LedgerTransaction, Cancellation, Refund, CreditEvent, Notification]
)
def test_changelist_loads_with_a_bounded_number_of_queries(admin_client, django_assert_max_num_queries, model):
    make_orders(12)

    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES):
        response = admin_client.get(changelist(model))

    assert response.status_code == 200


def test_order_changelist_shows_parties_price_and_state(admin_client):
    order = make_orders(1)[0]

    response = admin_client.get(changelist(Order))

    content = response.content.decode()
    assert order.client.username in content
    assert order.provider.username in content
    assert f"{order.price} {order.currency}" in content
    assert order.get_state_display() in content


@pytest.mark.parametrize("term", ["by_id", "by_client", "by_provider", "by_title"])
def test_order_search_finds_by_id_title_and_either_party(admin_client, term):
    alice, bob, carol, dave = (UserFactory(username=name) for name in ("alice", "bob", "carol", "dave"))
    order = service_order(client=alice, provider=bob, title="Poster")
    other = service_order(client=carol, provider=dave, title="Website")
    query = {"by_id": str(order.pk), "by_client": "alice", "by_provider": "bob", "by_title": "poster"}[term]

    response = admin_client.get(changelist(Order), {"q": query})

    assert list(response.context["cl"].result_list) == [order]
    assert other.pk != order.pk


def test_order_search_by_a_word_does_not_fail_on_the_id(admin_client):
    make_orders(1)

    response = admin_client.get(changelist(Order), {"q": "logo"})

    assert response.status_code == 200


@pytest.mark.parametrize("state", ["booked", "delivered", "completed", "cancelled"])
def test_order_change_page_shows_history_money_and_deliveries(admin_client, django_assert_max_num_queries, state):
    order = next(o for o in make_orders(4) if o.state == state)

    with django_assert_max_num_queries(30):
        response = admin_client.get(change(order))

    content = response.content.decode()
    assert response.status_code == 200
    assert "transition log" in content.lower()
    assert order.payments.get().reference in content
    if state == "cancelled":
        assert "Plans changed" in content  # the cancellation's message
    assert "Charge" in content or "charged" in content
    if order.is_service and state != "cancelled":
        assert "Done" in content  # the delivery message


def test_order_change_page_costs_the_same_with_more_history(admin_client, django_assert_max_num_queries):
    small = order_completed(requirements="Spec", message="Final")
    big = order_in_progress(requirements="Spec", revisions=3)
    for _round in range(3):
        big = services.order_deliver(order=big, actor=big.provider, message="Try")
        big = services.order_request_revision(order=big, actor=big.client, message="Again")
    big = services.order_deliver(order=big, actor=big.provider, message="Final")
    big = services.order_accept_delivery(order=big, actor=big.client)

    with CaptureQueriesContext(connection) as few:
        admin_client.get(change(small))
    with CaptureQueriesContext(connection) as many:
        admin_client.get(change(big))

    assert len(many) == len(few)


def test_order_fields_are_all_read_only_and_posting_changes_nothing(admin_client):
    order = service_order()

    page = admin_client.get(change(order))
    admin_client.post(change(order), {"state": "completed", "price": "1.00", "title": "Changed"})

    order.refresh_from_db()
    assert page.context["adminform"].form.fields == {}
    assert b'name="_save"' not in page.content
    assert (order.state, order.price, order.title) == (OrderState.AWAITING_REQUIREMENTS, Decimal("120.00"), order.title)
    assert order.title != "Changed"


def test_orders_cannot_be_added_or_deleted_in_the_admin(admin_client):
    order = service_order()

    add = admin_client.get(reverse("admin:orders_order_add"))
    delete = admin_client.post(reverse("admin:orders_order_delete", args=(order.pk,)), {"post": "yes"})

    assert add.status_code == 403
    assert delete.status_code == 403
    assert Order.objects.filter(pk=order.pk).exists()


def test_a_policy_no_order_uses_yet_can_be_edited(admin_client):
    policy = Policy.objects.create(version=99)

    page = admin_client.get(change(policy))

    assert "platform_fee_percent" in page.context["adminform"].form.fields


def test_adding_a_policy_starts_from_the_newest_version(admin_client):
    newest = Policy.objects.order_by("-version").first()

    page = admin_client.get(reverse("admin:orders_policy_add"))

    assert page.context["adminform"].form.initial["version"] == newest.version + 1


def test_adding_a_policy_version_records_who_made_it(admin_client):
    newest = Policy.objects.order_by("-version").first()
    initial = admin_client.get(reverse("admin:orders_policy_add")).context["adminform"].form.initial

    response = admin_client.post(
        reverse("admin:orders_policy_add"), {**initial, "name": "Spring terms", "platform_fee_percent": "12.50"}
    )

    created = Policy.objects.get(version=newest.version + 1)
    assert response.status_code == 302
    assert created.created_by.username == "admin"
    assert created.platform_fee_percent == Decimal("12.50")
    assert services.policy_current() == created


def test_account_list_shows_each_balance(admin_client):
    order = service_order()

    response = admin_client.get(changelist(Account))

    balances = {account.kind: account._balance for account in response.context["cl"].result_list}
    assert balances["escrow"] == -order.price
    assert balances["gateway"] == order.price


def test_ledger_pages_are_read_only(admin_client):
    service_order()
    txn = LedgerTransaction.objects.get()
    account = Account.objects.get(kind="escrow")

    txn_page = admin_client.get(change(txn))
    account_page = admin_client.get(change(account))

    assert txn_page.status_code == account_page.status_code == 200
    assert b'name="_save"' not in txn_page.content
    assert admin_client.get(reverse("admin:orders_ledgertransaction_add")).status_code == 403


def test_ledger_transactions_filter_by_whether_they_belong_to_an_order(admin_client):
    # given: an order's charge, and a transaction between platform accounts that no order has
    service_order()
    for_order = LedgerTransaction.objects.get()
    gateway = account_for(kind=AccountKind.GATEWAY, currency="EUR")
    platform = account_for(kind=AccountKind.PLATFORM, currency="EUR")
    loose = ledger_post(
        kind="charge", currency="EUR", lines=[(gateway, Decimal("1.00")), (platform, Decimal("-1.00"))], memo="x"
    )

    # when: staff filter the transactions
    def ids(value: str) -> list[int]:
        response = admin_client.get(changelist(LedgerTransaction), {"has_order": value})
        return [txn.pk for txn in response.context["cl"].result_list]

    # then: each choice shows its own
    assert ids("yes") == [for_order.pk]
    assert ids("no") == [loose]
    assert sorted(ids("")) == sorted([for_order.pk, loose])


def test_staff_without_permissions_cannot_see_orders(client):
    staff = support_with()
    client.force_login(staff)

    response = client.get(changelist(Order))

    assert response.status_code == 403


def test_a_new_policy_version_copies_the_cancellation_table(admin_client):
    newest = services.policy_current()
    rules = list(newest.rules.values_list(*services.RULE_FIELDS))
    initial = admin_client.get(reverse("admin:orders_policy_add")).context["adminform"].form.initial

    admin_client.post(reverse("admin:orders_policy_add"), {**initial, "name": "Spring terms"})

    created = Policy.objects.get(version=newest.version + 1)
    assert rules
    assert list(created.rules.values_list(*services.RULE_FIELDS)) == rules


def test_the_rules_of_an_unused_policy_can_be_edited(admin_client):
    newest = services.policy_current()
    initial = admin_client.get(reverse("admin:orders_policy_add")).context["adminform"].form.initial
    admin_client.post(reverse("admin:orders_policy_add"), {**initial, "name": "Draft"})
    draft = Policy.objects.get(version=newest.version + 1)

    page = admin_client.get(change(draft))

    assert b'name="rules-0-client_refund_percent"' in page.content
