"""Support case pages: opening from the order page, the case page, evidence errors, My cases."""

from __future__ import annotations

import pytest
from django.urls import reverse

from disputes.models import CaseState, Evidence, SupportCase
from disputes.services.cases import case_add_evidence, case_rule
from tests.disputes.test_cases_helpers import agent, open_case, png, text_named_pdf, too_large
from tests.factories import UserFactory, order_in_progress

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_the_order_page_offers_a_case_and_links_to_it(client):
    order = order_in_progress()
    login(client, order.client)

    before = client.get(reverse("order_detail", args=(order.pk,))).content.decode()
    case = open_case(order)
    after = client.get(reverse("order_detail", args=(order.pk,))).content.decode()

    assert reverse("case_open", args=(order.pk,)) in before
    assert reverse("case_detail", args=(case.pk,)) in after


def test_a_party_opens_a_case_from_the_web(client):
    order = order_in_progress()
    login(client, order.provider)
    form = {"category": "pay", "statement": "Pay was changed.", "desired_outcome": "Pay as agreed."}

    response = client.post(reverse("case_open", args=(order.pk,)), form)

    case = SupportCase.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("case_detail", args=(case.pk,))
    assert (case.opened_by, case.category) == (order.provider, "pay")


def test_strangers_get_404_on_the_case_pages(client):
    case = open_case()
    evidence = case_add_evidence(case=case, actor=case.order.client, file=png())
    login(client, UserFactory())

    assert client.get(reverse("case_detail", args=(case.pk,))).status_code == 404
    assert client.get(reverse("case_open", args=(case.order_id,))).status_code == 404
    assert client.get(reverse("evidence_download", args=(evidence.pk,))).status_code == 404


def test_the_case_page_shows_both_sides_and_the_ruling_with_its_reasons(client):
    case = open_case()
    case_rule(case=case, actor=agent(), outcome="The order goes on", fault="none", ruling="Nobody is to blame here.")
    login(client, case.order.provider)

    response = client.get(reverse("case_detail", args=(case.pk,)))

    content = response.content.decode()
    assert response.status_code == 200
    assert case.statement in content
    assert "Nobody is to blame here." in content and "The order goes on" in content
    assert reverse("case_appeal", args=(case.pk,)) in content


@pytest.mark.parametrize(("upload", "message"), [(text_named_pdf, "not an accepted file type"), (too_large, "10 MB")])
def test_evidence_upload_errors_are_shown_on_the_form(client, upload, message):
    case = open_case()
    login(client, case.order.client)

    response = client.post(reverse("case_evidence", args=(case.pk,)), {"evidence-file": upload()})

    assert response.status_code == 400
    assert message in str(response.context["evidence_form"].errors["file"])
    assert not Evidence.objects.exists()


def test_evidence_upload_and_download_for_the_other_party(client):
    case = open_case()
    login(client, case.order.client)
    client.post(reverse("case_evidence", args=(case.pk,)), {"evidence-file": png(), "evidence-description": "Proof"})
    evidence = Evidence.objects.get()

    login(client, case.order.provider)
    response = client.get(reverse("evidence_download", args=(evidence.pk,)))

    assert response.status_code == 200 and response["Content-Type"] == "image/png"


def test_statements_and_appeal_from_the_web(client):
    case = open_case()
    login(client, case.order.provider)

    client.post(reverse("case_statement", args=(case.pk,)), {"statement-text": "My side."})
    case_rule(case=case, actor=agent(), outcome="x", fault="provider", ruling="y")
    client.post(reverse("case_appeal", args=(case.pk,)), {"appeal-text": "Unfair."})

    case.refresh_from_db()
    assert case.statements.get().text == "My side."
    assert case.state == CaseState.APPEALED


def test_my_cases_lists_the_users_cases_with_bounded_queries(client, django_assert_max_num_queries):
    me = UserFactory()
    for _i in range(5):
        open_case(order_in_progress(client=me))
    open_case()  # someone else's
    login(client, me)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("case_list"))

    assert len(response.context["page"].object_list) == 5
