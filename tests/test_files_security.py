"""Stored files: random names, served only through views that check who asks, with headers that
keep a file from running on the site's origin, and never from /media/ whatever DEBUG says.

Every kind is tried: delivered files, message attachments, and the evidence of cases, tickets,
claims and appeals of penalties.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import clear_url_caches, reverse

import config.urls
from credit.models import CreditEvent
from disputes.services import appeals, claims
from disputes.services import tickets as ticket_services
from disputes.services.cases import case_add_evidence
from marketplace.models import User
from orders import threads
from orders.models import DeliveryFile
from tests.disputes.test_cases_helpers import open_case
from tests.disputes.test_tickets_services import open_ticket
from tests.factories import (
    UserFactory,
    order_delivered,
    order_in_progress,
    service_order,
    shift_cancelled_late,
    shift_order,
    support_user,
)
from tests.marketplace.helpers import PDF, PNG

pytestmark = pytest.mark.django_db

HTML = b"<!doctype html><title>Hi</title><script>fetch('/api/v1/me/').then(r => r.text()).then(alert)</script>\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><script>alert(1)</script></svg>\n'


@dataclass
class Stored:
    """A stored file, where the site and the API link it, and who may open it."""

    row: Any
    folder: str
    web: str
    page: str  # a page that links it
    api_read: str  # the API read that gives its ``url``
    api_url: Callable[[dict], str]
    parties: tuple[User, ...]
    others: tuple[User, ...] = field(default=())  # signed in, involved elsewhere, still refused


def delivered(upload) -> Stored:
    order = order_delivered(files=[upload])
    row = DeliveryFile.objects.get(delivery__order=order)
    return Stored(
        row=row,
        folder="deliveries",
        web=reverse("delivery_file", args=[row.pk]),
        page=reverse("order_detail", args=[order.pk]),
        api_read=f"/api/v1/orders/{order.pk}/",
        api_url=lambda body: body["deliveries"][0]["files"][0]["url"],
        parties=(order.client, order.provider),
    )


def attached(upload) -> Stored:
    order = service_order()
    row = threads.message_post(order=order, author=order.client, body="See this", files=[upload]).attachments.get()
    return Stored(
        row=row,
        folder="messages",
        web=reverse("message_attachment", args=[row.pk]),
        page=reverse("order_detail", args=[order.pk]),
        api_read=f"/api/v1/orders/{order.pk}/messages/",
        api_url=lambda body: body["results"][0]["attachments"][0]["url"],
        parties=(order.client, order.provider),
    )


def case_evidence(upload) -> Stored:
    case = open_case()
    row = case_add_evidence(case=case, actor=case.order.client, file=upload)
    return Stored(
        row=row,
        folder="evidence",
        web=reverse("evidence_download", args=[row.pk]),
        page=reverse("case_detail", args=[case.pk]),
        api_read=f"/api/v1/cases/{case.pk}/",
        api_url=lambda body: body["evidence"][0]["url"],
        parties=(case.order.client, case.order.provider),
    )


def ticket_evidence(upload) -> Stored:
    ticket = open_ticket()
    row = ticket_services.ticket_add_evidence(ticket=ticket, actor=ticket.opened_by, file=upload)
    return Stored(
        row=row,
        folder="evidence",
        web=reverse("evidence_download", args=[row.pk]),
        page=reverse("ticket_detail", args=[ticket.pk]),
        api_read=f"/api/v1/tickets/{ticket.pk}/",
        api_url=lambda body: body["evidence"][0]["url"],
        parties=(ticket.order.client, ticket.order.provider),
    )


def claim_proof(upload) -> Stored:
    order = shift_order(starts_in=timedelta(hours=1), price=Decimal("100.00"))
    claim = claims.claim_file(
        order=order, actor=order.provider, kind="force_majeure", statement="I fell ill", files=[upload]
    )
    row = claim.evidence.get()
    return Stored(
        row=row,
        folder="evidence",
        web=reverse("evidence_download", args=[row.pk]),
        page=reverse("claim_detail", args=[claim.pk]),
        api_read=f"/api/v1/claims/{claim.pk}/",
        api_url=lambda body: body["evidence"][0]["url"],
        parties=(order.client, order.provider),
    )


def appeal_proof(upload) -> Stored:
    order = shift_cancelled_late(price=Decimal("100.00"))
    event = CreditEvent.objects.get(order=order, user=order.provider, reason="cancellation")
    appeal = appeals.appeal_file(event_id=event.pk, actor=order.provider, statement="In hospital", files=[upload])
    row = appeal.evidence.get()
    return Stored(
        row=row,
        folder="evidence",
        web=reverse("evidence_download", args=[row.pk]),
        page=reverse("appeal_detail", args=[appeal.pk]),
        api_read=f"/api/v1/appeals/{appeal.pk}/",
        api_url=lambda body: body["evidence"][0]["url"],
        parties=(order.provider,),
        # The appeal is the provider's own: the client of that order has no part in it.
        others=(order.client,),
    )


KINDS = {
    "delivery": delivered,
    "message": attached,
    "case": case_evidence,
    "ticket": ticket_evidence,
    "claim": claim_proof,
    "appeal": appeal_proof,
}


@pytest.fixture(params=list(KINDS))
def stored(request) -> Stored:
    return KINDS[request.param](SimpleUploadedFile("my photo.png", PNG, content_type="image/png"))


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _assert_safe_headers(response) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert {part.strip() for part in response["Cache-Control"].split(",")} == {"private", "no-store"}


# --- Where files are stored -------------------------------------------------------------------


def test_every_kind_is_stored_under_a_random_name(stored):
    # given a file uploaded as "my photo.png" (setup)
    # then it is stored under a random name with the extension of its checked type
    name = stored.row.file.name
    assert re.fullmatch(rf"{stored.folder}/\d{{4}}/\d{{2}}/[0-9a-f]{{32}}\.png", name), name
    assert default_storage.exists(name)
    # and the uploader's name is kept for display and as the download's name
    assert stored.row.name == "my photo.png"


def test_an_html_delivery_is_stored_as_text_not_as_html():
    order = order_delivered(files=[SimpleUploadedFile("page.html", HTML, content_type="text/html")])

    row = DeliveryFile.objects.get(delivery__order=order)

    assert row.content_type == "text/plain"
    assert row.file.name.endswith(".txt") and "page" not in row.file.name


# --- Who may open a file ------------------------------------------------------------------------


def test_signed_out_visitors_get_404(client, stored):
    response = client.get(stored.web)

    assert response.status_code == 404


def test_outsiders_get_404_on_the_site(client, stored):
    # given people signed in who are not parties: a stranger, staff outside the support group, and
    # for an appeal the other party of the order (the appeal is the appellant's own)
    for outsider in (UserFactory(), UserFactory(is_staff=True), *stored.others):
        client.force_login(outsider)

        # when they open the file's address
        response = client.get(stored.web)

        # then there is no such file for them
        assert response.status_code == 404, outsider
        assert PNG not in response.content


def test_parties_and_support_get_the_file_inline_with_safe_headers(client, stored):
    for user in (*stored.parties, support_user()):
        client.force_login(user)

        response = client.get(stored.web)

        assert response.status_code == 200, user
        assert _body(response) == PNG
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"] == 'inline; filename="my photo.png"'
        _assert_safe_headers(response)


@pytest.mark.parametrize(
    ("name", "content"),
    [("page.html", HTML), ("logo.svg", SVG), ("notes.txt", b"Plain notes\n")],
)
def test_text_deliveries_are_downloads_never_html_in_the_page(client, name, content):
    # given a delivery of a file a browser would run if shown inline (HTML, SVG)
    order = order_delivered(files=[SimpleUploadedFile(name, content, content_type="text/html")])
    row = DeliveryFile.objects.get(delivery__order=order)
    client.force_login(order.client)

    # when the client opens it
    response = client.get(reverse("delivery_file", args=[row.pk]))

    # then it comes as a download of plain text, which the browser may not sniff into HTML
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    _assert_safe_headers(response)
    assert _body(response) == content


def test_a_pdf_opens_inline_and_a_zip_downloads(client):
    zipped = b"PK\x03\x04" + b"\x00" * 40
    order = order_delivered(files=[SimpleUploadedFile("invoice.pdf", PDF), SimpleUploadedFile("sources.zip", zipped)])
    pdf_file, zip_file = DeliveryFile.objects.filter(delivery__order=order).order_by("pk")
    client.force_login(order.provider)

    pdf_response = client.get(reverse("delivery_file", args=[pdf_file.pk]))
    zip_response = client.get(reverse("delivery_file", args=[zip_file.pk]))

    assert (pdf_response["Content-Type"], pdf_response["Content-Disposition"]) == (
        "application/pdf",
        'inline; filename="invoice.pdf"',
    )
    assert (zip_response["Content-Type"], zip_response["Content-Disposition"]) == (
        "application/zip",
        'attachment; filename="sources.zip"',
    )


def test_a_name_outside_ascii_is_encoded_as_rfc_6266_says(client):
    order = order_delivered(files=[SimpleUploadedFile("Überweisung €.txt", b"Paid\n")])
    row = DeliveryFile.objects.get(delivery__order=order)
    client.force_login(order.client)

    response = client.get(reverse("delivery_file", args=[row.pk]))

    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%C3%9Cberweisung%20%E2%82%AC.txt"


def test_a_type_stored_by_older_code_is_served_as_an_opaque_download(client):
    # given a row whose stored type is one the upload check never gives (HTML)
    order = order_delivered(files=[SimpleUploadedFile("page.html", HTML)])
    row = DeliveryFile.objects.get(delivery__order=order)
    DeliveryFile.objects.filter(pk=row.pk).update(content_type="text/html")
    client.force_login(order.client)

    # when it is opened
    response = client.get(reverse("delivery_file", args=[row.pk]))

    # then it is never served as HTML, nor shown in the page
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    _assert_safe_headers(response)


def test_a_file_missing_from_storage_is_404_not_an_error(client):
    order = order_delivered(files=[SimpleUploadedFile("notes.txt", b"Notes\n")])
    row = DeliveryFile.objects.get(delivery__order=order)
    default_storage.delete(row.file.name)
    client.force_login(order.client)

    assert client.get(reverse("delivery_file", args=[row.pk])).status_code == 404


# --- The pages and the back office link the checked views --------------------------------------


def test_the_page_links_the_checked_view_never_media(client, stored):
    client.force_login(stored.parties[0])

    html = client.get(stored.page).content.decode()

    assert stored.web in html
    assert stored.row.file.name not in html
    assert "/media/" not in html


def test_the_back_office_links_delivered_files_through_the_checked_view(client):
    order = order_delivered(files=[SimpleUploadedFile("notes.txt", b"Notes\n")])
    row = DeliveryFile.objects.get(delivery__order=order)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    html = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    assert reverse("delivery_file", args=[row.pk]) in html
    assert row.file.name not in html


# --- /media/ is never a way in ----------------------------------------------------------------


@pytest.fixture
def media_on_disk(tmp_path):
    """Files on the local disk, as on a developer's machine, with DEBUG on and the URLs read again."""
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(DEBUG=True, MEDIA_ROOT=tmp_path, STORAGES=storages):
        importlib.reload(config.urls)
        clear_url_caches()
        yield tmp_path
    importlib.reload(config.urls)
    clear_url_caches()


def test_media_paths_are_404_even_with_debug_on(client, media_on_disk):
    # given a delivered HTML file, really on disk under MEDIA_ROOT
    order = order_delivered(files=[SimpleUploadedFile("page.html", HTML)])
    row = DeliveryFile.objects.get(delivery__order=order)
    assert (media_on_disk / row.file.name).read_bytes() == HTML
    default_storage.save("deliveries/2020/01/page.html", ContentFile(HTML))  # as older code stored it
    client.force_login(order.client)

    # when anyone, even a party, asks for it under /media/
    for path in (row.file.name, "deliveries/2020/01/page.html"):
        response = client.get(f"/media/{path}")

        # then nothing answers there
        assert response.status_code == 404
        assert HTML not in response.content
    # while the checked view still serves it, as a download
    assert client.get(reverse("delivery_file", args=[row.pk]))["Content-Disposition"].startswith("attachment;")


# --- The API's links -----------------------------------------------------------------------------


def test_the_api_links_download_with_the_token(api_as, stored):
    # given the file's url as the API gives it to a party
    party = api_as(stored.parties[0])
    read = party.get(stored.api_read)
    assert read.status_code == 200, read.content
    url = stored.api_url(read.json())
    assert url.startswith("http://testserver/api/v1/")

    # when the parties and support fetch it with their tokens
    for user in (*stored.parties, support_user()):
        response = api_as(user).get(url)

        # then they get the file, with the same safe headers
        assert response.status_code == 200, (user, response.content)
        assert _body(response) == PNG
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"] == 'inline; filename="my photo.png"'
        _assert_safe_headers(response)


def test_the_api_links_refuse_everyone_else(api, api_as, stored):
    url = stored.api_url(api_as(stored.parties[0]).get(stored.api_read).json())

    assert api.get(url).status_code == 401
    for outsider in (UserFactory(), UserFactory(is_staff=True), *stored.others):
        response = api_as(outsider).get(url)

        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"


def test_the_delivered_file_download_is_in_the_schema(api_as):
    schema = api_as(UserFactory()).get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    operation = schema["paths"]["/api/v1/orders/{id}/files/{file_id}/"]["get"]

    assert operation["operationId"] == "orders_file_download"
    assert {"200", "401", "404"} <= set(operation["responses"])


def test_a_delivery_file_of_another_order_is_404_by_the_api(api_as):
    # given a file delivered on one order, and another order of the same client
    order = order_delivered(files=[SimpleUploadedFile("notes.txt", b"Notes\n")])
    row = DeliveryFile.objects.get(delivery__order=order)
    other = order_in_progress(client=order.client)

    # when it is asked for under the other order
    response = api_as(order.client).get(reverse("api-order-file", kwargs={"id": other.pk, "file_id": row.pk}))

    # then there is no such file there
    assert response.status_code == 404


def test_linking_delivered_files_costs_no_query_per_file(api_as):
    def queries_for(n: int) -> int:
        order = order_delivered(files=[SimpleUploadedFile(f"n{i}.txt", b"Notes\n") for i in range(n)])
        client = api_as(order.client)
        with CaptureQueriesContext(connection) as queries:
            body = client.get(f"/api/v1/orders/{order.pk}/").json()
        assert len(body["deliveries"][0]["files"]) == n
        return len(queries)

    assert queries_for(5) == queries_for(1)
