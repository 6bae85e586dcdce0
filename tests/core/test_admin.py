"""The transition log in the back office: read-only evidence, filterable, no N+1."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from core.models import TransitionLog
from orders.models import Order
from tests.factories import order_in_progress, service_order, shift_order

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:core_transitionlog_changelist"


def test_changelist_loads_with_a_bounded_number_of_queries(admin_client, django_assert_max_num_queries):
    for _ in range(5):
        order_in_progress()
        shift_order()

    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 15


def test_each_row_links_to_its_subject(admin_client):
    order = service_order()

    response = admin_client.get(reverse(CHANGELIST))

    assert reverse("admin:orders_order_change", args=(order.pk,)).encode() in response.content


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"actor_role__exact": "client"}, {"create", "submit_requirements"}),
        ({"actor_role__exact": "provider"}, {"create"}),
    ],
)
def test_filters_by_actor_role(admin_client, params, expected):
    order_in_progress()
    shift_order()

    response = admin_client.get(reverse(CHANGELIST), params)

    assert {row.transition for row in response.context["cl"].result_list} == expected


def test_filters_by_content_type(admin_client):
    service_order()
    order_type = ContentType.objects.get_for_model(Order)

    response = admin_client.get(reverse(CHANGELIST), {"content_type__id__exact": order_type.pk})

    assert len(response.context["cl"].result_list) == 1


def test_the_log_cannot_be_added_changed_or_deleted(admin_client):
    service_order()
    row = TransitionLog.objects.get()

    add = admin_client.get(reverse("admin:core_transitionlog_add"))
    change = admin_client.post(reverse("admin:core_transitionlog_change", args=(row.pk,)), {"reason": "edited"})
    delete = admin_client.post(reverse("admin:core_transitionlog_delete", args=(row.pk,)), {"post": "yes"})

    row.refresh_from_db()
    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    assert row.reason != "edited"
