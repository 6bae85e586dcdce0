"""The credit back office: accounts with their events, adjusting, restricting, lifting, reversing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.jobs import sweep_run
from credit.models import CreditAccount, CreditEvent, Restriction
from credit.services import (
    credit_account_open,
    credit_event_record,
    credit_event_reverse,
    credit_score,
    credit_score_replay,
    restriction_impose,
    restriction_lift,
)
from tests.disputes.test_requests_services import open_update
from tests.factories import UserFactory, order_in_progress, shift_cancelled_late, support_with

pytestmark = pytest.mark.django_db

CHANGELIST_MAX_QUERIES = 14


def _change(obj) -> str:
    return reverse(f"admin:credit_{obj._meta.model_name}_change", args=(obj.pk,))


def _changelist(model) -> str:
    return reverse(f"admin:credit_{model._meta.model_name}_changelist")


def _adjust_url(account: CreditAccount) -> str:
    return reverse("admin:credit_creditaccount_adjust", args=(account.pk,))


def _restrict_url(account: CreditAccount) -> str:
    return reverse("admin:credit_creditaccount_restrict", args=(account.pk,))


def _lift_url(restriction: Restriction) -> str:
    return reverse("admin:credit_restriction_lift", args=(restriction.pk,))


def _reverse_url(event: CreditEvent) -> str:
    return reverse("admin:credit_creditevent_reverse", args=(event.pk,))


def _account(delta: int = -5) -> CreditAccount:
    """A user with one event, so an account exists."""
    user = UserFactory()
    credit_event_record(user=user, delta=delta, reason="manual", detail="Start")
    return CreditAccount.objects.get(user=user)


def _staff_with(*codenames: str):
    return support_with(*codenames)


def _many_accounts(n: int) -> None:
    staff = UserFactory(support=True)
    for i in range(n):
        user = UserFactory()
        event = credit_event_record(user=user, delta=-3, reason="manual", actor=staff, detail="x")
        if i % 3 == 0:
            credit_event_reverse(event=event, actor=staff)
        if i % 2 == 0:
            restriction_impose(user_id=user.pk, kind="posting", reason="Why", restores="How", actor=staff)


# --- Lists ----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [CreditAccount, CreditEvent, Restriction])
def test_changelist_loads_with_a_bounded_number_of_queries(admin_client, django_assert_max_num_queries, model):
    # given
    _many_accounts(12)

    # when / then
    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES):
        response = admin_client.get(_changelist(model))
    assert response.status_code == 200


def test_accounts_are_found_by_username(admin_client):
    # given
    wanted, other = _account(), _account()

    # when
    response = admin_client.get(_changelist(CreditAccount), {"q": wanted.user.username})

    # then
    found = list(response.context["cl"].result_list)
    assert found == [wanted]
    assert other not in found


def test_accounts_filter_by_restriction(admin_client):
    # given
    restricted, free = _account(), _account()
    restriction_impose(user_id=restricted.user_id, kind="posting", reason="x", restores="y", automatic=True)

    # when
    response = admin_client.get(_changelist(CreditAccount), {"restricted": "yes"})

    # then
    assert list(response.context["cl"].result_list) == [restricted]
    assert free not in response.context["cl"].result_list


def test_events_filter_by_reason_and_reversal(admin_client):
    # given
    user = UserFactory()
    kept = credit_event_record(user=user, delta=-3, reason="manual")
    undone = credit_event_record(user=user, delta=-20, reason="no_show")
    credit_event_reverse(event=undone, actor=UserFactory(support=True))

    # when
    no_shows = admin_client.get(_changelist(CreditEvent), {"reason__exact": "no_show"})
    not_reversed = admin_client.get(_changelist(CreditEvent), {"reversed": "no", "reason__exact": "manual"})

    # then
    assert list(no_shows.context["cl"].result_list) == [undone]
    assert list(not_reversed.context["cl"].result_list) == [kept]


def test_restrictions_filter_by_status(admin_client):
    # given
    staff = UserFactory(support=True)
    active = restriction_impose(user_id=UserFactory().pk, kind="posting", reason="x", restores="y", actor=staff)
    lifted = restriction_impose(user_id=UserFactory().pk, kind="posting", reason="x", restores="y", actor=staff)
    restriction_lift(restriction=lifted, actor=staff, reason="Reviewed")

    # when
    response = admin_client.get(_changelist(Restriction), {"active": "yes"})

    # then
    assert list(response.context["cl"].result_list) == [active]


# --- The account page -----------------------------------------------------------------------


def test_account_page_shows_the_score_events_and_active_restrictions(admin_client):
    # given
    account = _account(-5)
    restriction_impose(
        user_id=account.user_id, kind="posting", reason="Fake jobs.", restores="Talk to support.", automatic=True
    )

    # when
    response = admin_client.get(_change(account))

    # then
    content = response.content.decode()
    assert response.status_code == 200
    assert [e.detail for e in response.context["events"]] == ["Start"]
    assert [r.reason for r in response.context["restrictions"]] == ["Fake jobs."]
    assert "Talk to support." in content
    assert _adjust_url(account) in content and _restrict_url(account) in content


def test_account_page_shows_staff_the_completion_rate_now(admin_client):
    # given: a provider with one cancellation that counts
    cancellation = shift_cancelled_late().cancellation
    account = CreditAccount.objects.get(user=cancellation.order.provider)

    # when
    response = admin_client.get(_change(account))

    # then
    assert "83.33 % smoothed (as if starting with 5 completed orders); raw 0.00 % of 1" in response.content.decode()


def test_account_page_shows_staff_the_providers_responsiveness(admin_client):
    # given: a provider who let an update request expire
    order = order_in_progress()
    with time_machine.travel(timezone.now() - timedelta(hours=49), tick=False):
        open_update(order)
    sweep_run("disputes.expire_requests")
    account = credit_account_open(user=order.provider)  # no credit event yet: support opens it

    # when
    response = admin_client.get(_change(account))

    # then
    assert "1 update request left unanswered in the last 60 days" in response.content.decode()


def test_account_page_is_read_only_and_posting_changes_nothing(admin_client):
    # given
    account = _account(-5)

    # when
    response = admin_client.post(_change(account), {"score": "100", "level": "level_two"})

    # then
    account.refresh_from_db()
    assert response.status_code == 403
    assert (account.score, account.level) == (95, "new")


def test_account_page_costs_the_same_with_more_events(admin_client, django_assert_max_num_queries):
    # given
    account = _account()
    for _ in range(30):
        credit_event_record(user=account.user, delta=-1, reason="manual")

    # when / then
    with django_assert_max_num_queries(20):
        response = admin_client.get(_change(account))
    assert len(response.context["events"]) == 31


def test_the_account_page_links_to_every_event_and_restriction_of_the_user(admin_client):
    # given
    account, other = _account(), _account()
    restriction_impose(user_id=account.user_id, kind="posting", reason="x", restores="y", automatic=True)
    restriction_impose(user_id=other.user_id, kind="posting", reason="x", restores="y", automatic=True)
    context = admin_client.get(_change(account)).context

    # when
    events = admin_client.get(context["events_url"])
    restrictions = admin_client.get(context["restrictions_url"])

    # then
    assert {e.user_id for e in events.context["cl"].result_list} == {account.user_id}
    assert {r.user_id for r in restrictions.context["cl"].result_list} == {account.user_id}


def test_staff_open_an_account_for_a_user_who_has_none(admin_client):
    # given
    user = UserFactory()

    # when
    response = admin_client.post(reverse("admin:credit_creditaccount_add"), {"user": user.pk})

    # then
    account = CreditAccount.objects.get(user=user)
    assert response.status_code == 302
    assert account.score == 100
    assert not CreditEvent.objects.filter(user=user).exists()


def test_an_account_is_opened_only_once(admin_client):
    # given
    account = _account(-5)

    # when
    response = admin_client.post(reverse("admin:credit_creditaccount_add"), {"user": account.user_id})

    # then
    account.refresh_from_db()
    assert response.status_code == 200  # the form, with an error
    assert account.score == 95


# --- Adjusting ------------------------------------------------------------------------------


def test_adjusting_records_a_manual_event_with_the_reason(admin_client):
    # given
    account = _account(-5)

    # when
    response = admin_client.post(_adjust_url(account), {"delta": "-10", "reason": "Rude to a client."})

    # then
    event = CreditEvent.objects.filter(user=account.user).first()
    assert response.status_code == 302
    assert (event.reason, event.delta, event.detail, event.actor.username) == (
        "manual",
        -10,
        "Rude to a client.",
        "admin",
    )
    assert credit_score(account.user) == credit_score_replay(account.user) == 85


def test_the_adjust_page_shows_the_score_now(admin_client):
    # given
    account = _account(-5)

    # when
    response = admin_client.get(_adjust_url(account))

    # then
    assert response.status_code == 200
    assert dict(response.context["rows"])["credit score"] == 95


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"delta": "0", "reason": "x"}, "delta"),
        ({"delta": "-101", "reason": "x"}, "delta"),
        ({"delta": "abc", "reason": "x"}, "delta"),
        ({"delta": "-5", "reason": "   "}, "reason"),
        ({"delta": "-5"}, "reason"),
    ],
)
def test_an_adjustment_without_a_valid_change_or_a_reason_changes_nothing(admin_client, data, field):
    # given
    account = _account(-5)

    # when
    response = admin_client.post(_adjust_url(account), data)

    # then
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert CreditEvent.objects.filter(user=account.user).count() == 1
    assert credit_score(account.user) == 95


def test_a_user_who_is_not_staff_cannot_adjust(client):
    # given
    account = _account(-5)
    client.force_login(account.user)

    # when
    response = client.post(_adjust_url(account), {"delta": "5", "reason": "Nice"})

    # then
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    assert credit_score(account.user) == 95


def test_staff_need_the_change_account_permission_to_adjust(client):
    # given
    account = _account(-5)
    client.force_login(_staff_with("view_creditaccount"))

    # when
    page = client.get(_change(account))
    response = client.post(_adjust_url(account), {"delta": "5", "reason": "Nice"})

    # then
    assert page.status_code == 200
    assert _adjust_url(account) not in page.content.decode()
    assert response.status_code == 403
    assert credit_score(account.user) == 95


def test_staff_with_the_change_account_permission_can_adjust(client):
    # given
    account = _account(-5)
    staff = _staff_with("view_creditaccount", "change_creditaccount")
    client.force_login(staff)

    # when
    client.post(_adjust_url(account), {"delta": "5", "reason": "Goodwill"})

    # then
    assert CreditEvent.objects.filter(user=account.user).first().actor == staff
    assert credit_score(account.user) == 100


# --- Restricting and lifting --------------------------------------------------------------


def test_restricting_says_why_and_what_restores_access(admin_client):
    # given
    account = _account()

    # when
    response = admin_client.post(
        _restrict_url(account), {"kind": "posting", "reason": "Fake jobs.", "restores": "Talk to support."}
    )

    # then
    restriction = Restriction.objects.get(user=account.user)
    assert response.status_code == 302
    assert (restriction.kind, restriction.reason, restriction.restores) == ("posting", "Fake jobs.", "Talk to support.")
    assert (restriction.automatic, restriction.created_by.username) == (False, "admin")


@pytest.mark.parametrize("missing", ["kind", "reason", "restores"])
def test_a_restriction_without_every_field_changes_nothing(admin_client, missing):
    # given
    account = _account()
    data = {"kind": "posting", "reason": "Fake jobs.", "restores": "Talk to support."}
    data[missing] = ""

    # when
    response = admin_client.post(_restrict_url(account), data)

    # then
    assert missing in response.context["form"].errors
    assert not Restriction.objects.exists()


def test_the_restrict_page_offers_only_rights_not_yet_taken(admin_client):
    # given
    account = _account()
    restriction_impose(user_id=account.user_id, kind="posting", reason="x", restores="y", automatic=True)

    # when
    response = admin_client.get(_restrict_url(account))

    # then
    assert [value for value, _label in response.context["form"].fields["kind"].choices] == ["taking_orders"]


def test_restricting_a_right_already_taken_is_refused(admin_client):
    # given
    account = _account()
    existing = restriction_impose(user_id=account.user_id, kind="posting", reason="x", restores="y", automatic=True)

    # when
    response = admin_client.post(_restrict_url(account), {"kind": "posting", "reason": "Again", "restores": "z"})

    # then
    assert "kind" in response.context["form"].errors
    assert list(Restriction.objects.all()) == [existing]


def test_staff_need_the_add_restriction_permission_to_restrict(client):
    # given
    account = _account()
    client.force_login(_staff_with("view_creditaccount", "change_creditaccount"))

    # when
    response = client.post(_restrict_url(account), {"kind": "posting", "reason": "x", "restores": "y"})

    # then
    assert response.status_code == 403
    assert not Restriction.objects.exists()


def test_lifting_gives_the_right_back_and_keeps_the_history(admin_client):
    # given
    account = _account()
    restriction = restriction_impose(user_id=account.user_id, kind="posting", reason="x", restores="y", automatic=True)

    # when
    response = admin_client.post(_lift_url(restriction), {"reason": "Reviewed the listing drafts."})

    # then
    restriction.refresh_from_db()
    assert response.status_code == 302
    assert restriction.lifted_at is not None
    assert (restriction.lift_reason, restriction.lifted_by.username) == ("Reviewed the listing drafts.", "admin")


def test_lifting_needs_a_reason(admin_client):
    # given
    restriction = restriction_impose(user_id=UserFactory().pk, kind="posting", reason="x", restores="y", automatic=True)

    # when
    response = admin_client.post(_lift_url(restriction), {"reason": " "})

    # then
    restriction.refresh_from_db()
    assert "reason" in response.context["form"].errors
    assert restriction.lifted_at is None


def test_a_lifted_restriction_is_not_lifted_again(admin_client):
    # given
    staff = UserFactory(support=True)
    restriction = restriction_impose(user_id=UserFactory().pk, kind="posting", reason="x", restores="y", actor=staff)
    restriction_lift(restriction=restriction, actor=staff, reason="First")

    # when
    response = admin_client.post(_lift_url(restriction), {"reason": "Second"})

    # then
    restriction.refresh_from_db()
    assert response.status_code == 302
    assert (restriction.lift_reason, restriction.lifted_by) == ("First", staff)


def test_staff_need_the_change_restriction_permission_to_lift(client):
    # given
    restriction = restriction_impose(user_id=UserFactory().pk, kind="posting", reason="x", restores="y", automatic=True)
    client.force_login(_staff_with("view_restriction"))

    # when
    page = client.get(_change(restriction))
    response = client.post(_lift_url(restriction), {"reason": "Reviewed"})

    # then
    restriction.refresh_from_db()
    assert _lift_url(restriction) not in page.content.decode()
    assert response.status_code == 403
    assert restriction.lifted_at is None


# --- Reversing on appeal --------------------------------------------------------------------


def test_reversing_an_event_gives_back_what_it_took_and_keeps_both(admin_client):
    # given
    user = UserFactory()
    hit = credit_event_record(user=user, delta=-20, reason="no_show")

    # when
    response = admin_client.post(_reverse_url(hit), {"reason": "Hospital note."})

    # then
    reversal = CreditEvent.objects.get(reverses=hit)
    assert response.status_code == 302
    assert (reversal.reason, reversal.delta, reversal.detail, reversal.actor.username) == (
        "reversal",
        20,
        "Hospital note.",
        "admin",
    )
    assert credit_score(user) == credit_score_replay(user) == 100


def test_the_event_page_offers_reversal_only_until_it_is_reversed(admin_client):
    # given
    hit = credit_event_record(user=UserFactory(), delta=-20, reason="no_show")
    before = admin_client.get(_change(hit))
    admin_client.post(_reverse_url(hit), {"reason": "Hospital note."})

    # when
    after = admin_client.get(_change(hit))

    # then
    assert _reverse_url(hit) in before.content.decode()
    assert _reverse_url(hit) not in after.content.decode()


def test_an_event_is_reversed_only_once(admin_client):
    # given
    user = UserFactory()
    hit = credit_event_record(user=user, delta=-20, reason="no_show")
    admin_client.post(_reverse_url(hit), {"reason": "First"})

    # when
    response = admin_client.post(_reverse_url(hit), {"reason": "Second"})

    # then
    assert response.status_code == 302
    assert CreditEvent.objects.filter(user=user).count() == 2
    assert credit_score(user) == 100


def test_a_reversal_is_not_itself_reversed(admin_client):
    # given
    user = UserFactory()
    hit = credit_event_record(user=user, delta=-20, reason="no_show")
    reversal = credit_event_reverse(event=hit, actor=UserFactory(support=True))

    # when
    response = admin_client.post(_reverse_url(reversal), {"reason": "Changed my mind"})

    # then
    assert response.status_code == 302
    assert CreditEvent.objects.filter(user=user).count() == 2


def test_reversing_needs_a_ruling(admin_client):
    # given
    hit = credit_event_record(user=UserFactory(), delta=-20, reason="no_show")

    # when
    response = admin_client.post(_reverse_url(hit), {"reason": ""})

    # then
    assert "reason" in response.context["form"].errors
    assert not CreditEvent.objects.filter(reverses=hit).exists()


def test_reversing_a_cancellation_event_points_to_the_appeal_on_the_cancellation(admin_client):
    # given
    cancellation = shift_cancelled_late().cancellation
    event = CreditEvent.objects.get(order=cancellation.order, reason="cancellation")

    # when
    response = admin_client.get(_reverse_url(event))

    # then
    assert reverse("admin:orders_cancellation_uphold_appeal", args=(cancellation.pk,)) in response.content.decode()


def test_staff_need_the_change_event_permission_to_reverse(client):
    # given
    hit = credit_event_record(user=UserFactory(), delta=-20, reason="no_show")
    client.force_login(_staff_with("view_creditevent"))

    # when
    page = client.get(_change(hit))
    response = client.post(_reverse_url(hit), {"reason": "Hospital note."})

    # then
    assert _reverse_url(hit) not in page.content.decode()
    assert response.status_code == 403
    assert not CreditEvent.objects.filter(reverses=hit).exists()


def test_events_stay_read_only(admin_client):
    # given
    hit = credit_event_record(user=UserFactory(), delta=-20, reason="no_show")

    # when
    response = admin_client.post(_change(hit), {"delta": "5"})

    # then
    hit.refresh_from_db()
    assert response.status_code == 403
    assert hit.delta == -20
