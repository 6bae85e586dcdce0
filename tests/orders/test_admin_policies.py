"""Policies in the back office: data that staff edit, versioned so no order's terms ever change."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms
from django.contrib.admin.models import ADDITION, LogEntry
from django.urls import reverse

from orders import services
from orders.cancellation import cancellation_quote
from orders.models import CancellationRule, Order, Policy
from tests.factories import service_order

pytestmark = pytest.mark.django_db


def change_url(policy: Policy) -> str:
    return reverse("admin:orders_policy_change", args=(policy.pk,))


def _put(data: dict, key: str, value, field) -> None:
    if isinstance(field, forms.BooleanField):
        if value:
            data[key] = "on"
        return
    data[key] = "" if value is None else value


def form_data(page) -> dict:
    """What the browser would post back from a policy's change page, unchanged."""
    data: dict = {}
    form = page.context["adminform"].form
    for name, field in form.fields.items():
        _put(data, form.add_prefix(name), form[name].value(), field)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for row in formset.forms:
            for name, field in row.fields.items():
                _put(data, row.add_prefix(name), row[name].value(), field)
    return data


def rule_prefix(page, path: str, label: str) -> str:
    """The form prefix of the rule ``path``/``label`` on the page, e.g. ``rules-3``."""
    [formset] = [inline.formset for inline in page.context["inline_admin_formsets"]]
    [row] = [row for row in formset.forms if (row.instance.path, row.instance.label) == (path, label)]
    return row.prefix


def rules_of(policy: Policy) -> list[tuple]:
    return list(policy.rules.order_by("path", "label").values_list(*services.RULE_FIELDS))


def make_draft(admin_client) -> Policy:
    """A version no order uses yet, added through the admin (its rules copied from the newest)."""
    newest = services.policy_current()
    initial = admin_client.get(reverse("admin:orders_policy_add")).context["adminform"].form.initial
    admin_client.post(reverse("admin:orders_policy_add"), {**initial, "name": "Draft"})
    return Policy.objects.get(version=newest.version + 1)


def test_editing_a_used_version_saves_a_new_version_and_leaves_the_old_one_untouched(admin_client):
    order = service_order()
    v1 = order.policy
    rules_before = rules_of(v1)
    page = admin_client.get(change_url(v1))
    data = form_data(page)
    data["platform_fee_percent"] = "12.50"
    prefix = rule_prefix(page, "client_shift", "2–24 h before start")
    data[f"{prefix}-client_refund_percent"] = "85"
    data[f"{prefix}-provider_compensation_percent"] = "15"

    response = admin_client.post(change_url(v1), data, follow=True)

    v2 = Policy.objects.get(version=v1.version + 1)
    v1.refresh_from_db()
    order.refresh_from_db()
    assert response.status_code == 200
    assert (v2.created_by.username, v2.platform_fee_percent, v2.name) == ("admin", Decimal("12.50"), v1.name)
    assert v2.rules.get(path="client_shift", label="2–24 h before start").client_refund_percent == Decimal("85")
    assert v2.rules.count() == len(rules_before)
    assert (v1.platform_fee_percent, rules_of(v1)) == (Decimal("10.00"), rules_before)
    assert (order.policy_id, order.platform_fee) == (v1.pk, Decimal("12.00"))
    assert f"saved as version {v2.version}" in response.content.decode()
    assert LogEntry.objects.get(object_id=str(v2.pk)).action_flag == ADDITION


def test_an_order_made_after_the_edit_uses_the_new_version_and_its_quote_names_it(admin_client):
    old_order = service_order()
    page = admin_client.get(change_url(old_order.policy))
    data = form_data(page)
    data["platform_fee_percent"] = "12.50"
    admin_client.post(change_url(old_order.policy), data)

    new_order = service_order()
    quote = cancellation_quote(order=new_order, actor=new_order.client).quote
    old_quote = cancellation_quote(order=old_order, actor=old_order.client).quote

    assert new_order.policy.version == old_order.policy.version + 1
    assert new_order.platform_fee == Decimal("15.00")
    assert quote.policy.version == new_order.policy.version
    assert old_quote.policy.version == old_order.policy.version


def test_a_version_no_order_uses_is_edited_in_place(admin_client):
    draft = make_draft(admin_client)
    count = Policy.objects.count()
    page = admin_client.get(change_url(draft))
    data = form_data(page)
    data["platform_fee_percent"] = "11.00"
    prefix = rule_prefix(page, "no_show", "no-show")
    data[f"{prefix}-provider_fee_percent"] = "25"

    response = admin_client.post(change_url(draft), data)

    draft.refresh_from_db()
    assert response.status_code == 302
    assert Policy.objects.count() == count
    assert draft.platform_fee_percent == Decimal("11.00")
    assert draft.rules.get(path="no_show").provider_fee_percent == Decimal("25")
    assert services.policy_current() == draft


def test_saving_a_used_version_unchanged_makes_no_new_version(admin_client):
    policy = service_order().policy
    count = Policy.objects.count()
    page = admin_client.get(change_url(policy))

    response = admin_client.post(change_url(policy), form_data(page), follow=True)

    assert response.status_code == 200
    assert Policy.objects.count() == count
    assert "Nothing changed" in response.content.decode()


def test_a_used_version_says_that_saving_makes_a_new_one(admin_client):
    policy = service_order().policy

    page = admin_client.get(change_url(policy))

    content = page.content.decode()
    assert "platform_fee_percent" in page.context["adminform"].form.fields
    assert b'name="rules-0-client_refund_percent"' in page.content
    assert f"creates version {policy.version + 1}" in content


def test_the_policy_page_and_list_show_how_many_orders_use_each_version(admin_client):
    policy = service_order().policy
    service_order()
    service_order()
    draft = make_draft(admin_client)

    page = admin_client.get(change_url(policy))
    draft_page = admin_client.get(change_url(draft))
    listing = admin_client.get(reverse("admin:orders_policy_changelist"))

    counts = {p.version: p._orders for p in listing.context["cl"].result_list}
    assert counts[policy.version] == 3
    assert counts[draft.version] == 0
    assert page.context["original"]._orders == 3
    assert "orders made under it" in page.content.decode().lower()
    assert "creates version" not in draft_page.content.decode()


def test_a_used_version_cannot_be_deleted(admin_client):
    policy = service_order().policy

    admin_client.post(reverse("admin:orders_policy_delete", args=(policy.pk,)), {"post": "yes"})

    assert Policy.objects.filter(pk=policy.pk).exists()


def _set(page, data: dict, path: str, tier: str, **values) -> None:
    prefix = rule_prefix(page, path, tier)
    for name, value in values.items():
        data[f"{prefix}-{name}"] = value


def _refund_and_compensation_over_100(page, data):
    _set(page, data, "provider_shift", "≥ 24 h before start", provider_compensation_percent="50")


def _a_path_without_rule(page, data):
    _set(page, data, "no_show", "no-show", DELETE="on")


def _two_last_tiers(page, data):
    _set(page, data, "provider_shift", "≥ 24 h before start", min_hours_before_start="")


def _no_last_tier(page, data):
    _set(page, data, "client_shift", "< 2 h before start", min_hours_before_start="1")


def _same_threshold_twice(page, data):
    _set(page, data, "client_shift", "2–24 h before start", min_hours_before_start="24")


def _refund_rises_closer_to_start(page, data):
    _set(
        page,
        data,
        "client_shift",
        "< 2 h before start",
        client_refund_percent="95",
        provider_compensation_percent="5",
    )


def _fee_falls_closer_to_start(page, data):
    _set(page, data, "provider_shift", "< 2 h before start", provider_fee_percent="5")


def _credit_rises_closer_to_start(page, data):
    _set(page, data, "provider_shift", "2–24 h before start", credit_delta="-20", credit_party="provider")


def _tiers_on_a_path_without_tiers(page, data):
    _set(page, data, "mutual", "mutual agreement", min_hours_before_start="3")


def _credit_change_for_nobody(page, data):
    _set(page, data, "mutual", "mutual agreement", credit_delta="-5")


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (_refund_and_compensation_over_100, "at most 100 % of the price; here 150 %"),
        (_a_path_without_rule, "Every cancellation path needs a rule; missing: no-show (system)"),
        (_two_last_tiers, "exactly one tier must have an empty"),
        (_no_last_tier, "there are 0"),
        (_same_threshold_twice, "two tiers start at the same time before start (24 h)"),
        (_refund_rises_closer_to_start, "the refund to the client may not rise"),
        (_fee_falls_closer_to_start, "the fee charged to the provider may not fall"),
        (_credit_rises_closer_to_start, "the credit change may not rise"),
        (_tiers_on_a_path_without_tiers, "Only the shift paths have tiers"),
        (_credit_change_for_nobody, "Say whose credit changes"),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else "",
)
@pytest.mark.parametrize("used", [True, False], ids=["used version", "unused version"])
def test_a_broken_cancellation_table_is_refused_with_a_clear_error(admin_client, break_it, message, used):
    policy = service_order().policy if used else make_draft(admin_client)
    versions, rules = Policy.objects.count(), rules_of(policy)
    page = admin_client.get(change_url(policy))
    data = form_data(page)
    break_it(page, data)

    response = admin_client.post(change_url(policy), data)

    assert response.status_code == 200
    assert message in response.content.decode().replace("&lt;", "<")
    assert (Policy.objects.count(), rules_of(policy)) == (versions, rules)
    assert CancellationRule.objects.filter(policy__version__gt=policy.version).count() == 0


def test_the_default_table_passes_every_check(admin_client):
    from orders.policy import DEFAULT_RULES
    from orders.policy_rules import rules_problems

    rows = [{name: getattr(rule, name) for name in services.RULE_FIELDS} for rule in DEFAULT_RULES]

    assert rules_problems(rows) == []


def test_no_order_changes_when_its_version_is_edited(admin_client):
    orders = [service_order() for _ in range(2)]
    policy = orders[0].policy
    page = admin_client.get(change_url(policy))
    data = form_data(page)
    data["platform_fee_percent"] = "20"
    _set(page, data, "client_awaiting_requirements", "before requirements", client_refund_percent="50")

    admin_client.post(change_url(policy), data)

    assert set(Order.objects.values_list("policy_id", flat=True)) == {policy.pk}
    assert policy.rules.get(path="client_awaiting_requirements").client_refund_percent == Decimal("100")


@pytest.mark.parametrize("used", [True, False], ids=["used version", "unused version"])
def test_two_tiers_may_swap_their_rows(admin_client, used):
    policy = service_order().policy if used else make_draft(admin_client)
    page = admin_client.get(change_url(policy))
    data = form_data(page)
    far = {"label": "≥ 24 h before start", "min_hours_before_start": "24", "client_refund_percent": "100"}
    near = {"label": "2–24 h before start", "min_hours_before_start": "2", "client_refund_percent": "90"}
    _set(page, data, "client_shift", far["label"], **near, provider_compensation_percent="10")
    _set(page, data, "client_shift", near["label"], **far, provider_compensation_percent="0")

    response = admin_client.post(change_url(policy), data)

    saved = Policy.objects.order_by("-version").first()
    tiers = saved.rules.filter(path="client_shift", min_hours_before_start__isnull=False).order_by(
        "-min_hours_before_start"
    )
    assert response.status_code == 302
    assert saved.version == policy.version + (1 if used else 0)
    assert [(t.min_hours_before_start, t.client_refund_percent) for t in tiers] == [
        (Decimal("24"), Decimal("100")),
        (Decimal("2"), Decimal("90")),
    ]
