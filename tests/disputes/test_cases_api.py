"""Support cases over the partner API: the contract's paths and fields, 404 for strangers, 413/415."""

from __future__ import annotations

import pytest

from disputes.models import CaseState, Evidence, SupportCase
from disputes.services.cases import case_rule
from tests.disputes.test_cases_helpers import agent, open_case, pdf, png, text_named_pdf, too_large
from tests.factories import UserFactory, order_in_progress

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
BODY = {
    "category": "pay",
    "statement": "The client changed the pay after the shift.",
    "desired_outcome": "Pay the agreed amount.",
}


def test_a_party_opens_a_case(api_as):
    order = order_in_progress()

    response = api_as(order.provider).post("/api/v1/cases/", {"order": order.pk, **BODY}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["order"], body["category"], body["state"]) == (order.pk, "pay", "open")
    assert (body["statement"], body["desired_outcome"]) == (BODY["statement"], BODY["desired_outcome"])
    assert body["opened_by"]["username"] == order.provider.username
    assert body["order_history"][0]["to"] == "awaiting_requirements"
    assert body["history"][0]["transition"] == "open"


def test_a_stranger_gets_404_for_the_order_and_the_case(api_as):
    case = open_case()
    stranger = api_as(UserFactory())

    opened = stranger.post("/api/v1/cases/", {"order": case.order_id, **BODY}, format="json")
    detail = stranger.get(f"/api/v1/cases/{case.pk}/")
    listed = stranger.get("/api/v1/cases/")
    evidence = stranger.post(f"/api/v1/cases/{case.pk}/evidence/", {"file": png()}, format="multipart")

    assert (opened.status_code, detail.status_code, evidence.status_code) == (404, 404, 404)
    assert detail["Content-Type"] == PROBLEM
    assert listed.json()["results"] == []
    assert SupportCase.objects.count() == 1 and not Evidence.objects.exists()


def test_the_detail_shows_both_parties_statements_evidence_and_the_ruling(api_as):
    # given
    case = open_case()
    order = case.order
    client, provider = api_as(order.client), api_as(order.provider)
    provider.post(f"/api/v1/cases/{case.pk}/statements/", {"text": "I delivered on time."}, format="json")
    uploaded = client.post(f"/api/v1/cases/{case.pk}/evidence/", {"file": pdf(), "description": "Listing"})
    case_rule(case=case, actor=agent(), outcome="Order goes on", fault="none", ruling="Both are partly right.")

    # when
    body = client.get(f"/api/v1/cases/{case.pk}/").json()

    # then
    assert uploaded.status_code == 201, uploaded.content
    assert body["state"] == "ruled"
    assert [(s["role"], s["text"]) for s in body["statements"]] == [("provider", "I delivered on time.")]
    [item] = body["evidence"]
    assert (item["name"], item["content_type"], item["description"]) == ("contract.pdf", "application/pdf", "Listing")
    assert body["ruling"]["reasons"] == "Both are partly right." and body["ruling"]["fault"] == "none"
    assert body["appeal"] is None and body["info_request"] is None
    assert isinstance(body["order_messages"], list)

    # the download goes through the access check
    assert client.get(item["url"]).status_code == 200
    assert api_as(UserFactory()).get(item["url"]).status_code == 404


def test_a_text_file_named_pdf_is_415_and_a_large_file_413(api_as):
    case = open_case()
    client = api_as(case.order.client)

    refused_type = client.post(f"/api/v1/cases/{case.pk}/evidence/", {"file": text_named_pdf()})
    refused_size = client.post(f"/api/v1/cases/{case.pk}/evidence/", {"file": too_large()})

    assert (refused_type.status_code, refused_size.status_code) == (415, 413)
    assert refused_type["Content-Type"] == PROBLEM and "file" in refused_type.json()["errors"]
    assert not Evidence.objects.exists()


def test_a_party_appeals_once_over_the_api(api_as):
    case = open_case()
    case_rule(case=case, actor=agent(), outcome="x", fault="client", ruling="y")
    client = api_as(case.order.client)

    first = client.post(f"/api/v1/cases/{case.pk}/appeal/", {"text": "Unfair"}, format="json")
    second = client.post(f"/api/v1/cases/{case.pk}/appeal/", {"text": "Again"}, format="json")

    assert first.status_code == 200 and first.json()["appeal"]["text"] == "Unfair"
    assert second.status_code == 409 and second.json()["code"] == "already_appealed"
    assert SupportCase.objects.get().state == CaseState.APPEALED


def test_a_second_case_on_the_order_is_409(api_as):
    case = open_case()

    response = api_as(case.order.provider).post("/api/v1/cases/", {"order": case.order_id, **BODY}, format="json")

    assert response.status_code == 409 and response.json()["code"] == "case_already_open"


@pytest.mark.parametrize("rows", [2, 8])
def test_the_list_query_count_does_not_grow_with_rows(api_as, django_assert_max_num_queries, rows):
    me = UserFactory()
    for _i in range(rows):
        open_case(order_in_progress(client=me))
    client = api_as(me)

    # token, count, page
    with django_assert_max_num_queries(3):
        response = client.get("/api/v1/cases/")

    assert len(response.json()["results"]) == rows


def test_the_detail_query_count_does_not_grow_with_statements(api_as, django_assert_max_num_queries):
    case = open_case()
    client = api_as(case.order.client)
    for i in range(6):
        client.post(f"/api/v1/cases/{case.pk}/statements/", {"text": f"Point {i}"}, format="json")
        client.post(f"/api/v1/cases/{case.pk}/evidence/", {"file": png(f"p{i}.png")})

    with django_assert_max_num_queries(12):
        response = client.get(f"/api/v1/cases/{case.pk}/")

    assert len(response.json()["statements"]) == 6 and len(response.json()["evidence"]) == 6


def test_the_schema_describes_the_case_endpoints(api):
    schema = api.get("/api/v1/schema/?format=json").json()

    for path in (
        "/api/v1/cases/",
        "/api/v1/cases/{id}/",
        "/api/v1/cases/{id}/evidence/",
        "/api/v1/cases/{id}/statements/",
        "/api/v1/cases/{id}/appeal/",
        "/api/v1/evidence/{id}/file/",
    ):
        assert path in schema["paths"], path
    evidence = schema["paths"]["/api/v1/cases/{id}/evidence/"]["post"]
    assert {"413", "415"} <= set(evidence["responses"])
    assert "multipart/form-data" in evidence["requestBody"]["content"]
