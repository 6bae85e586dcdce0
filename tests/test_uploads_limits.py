"""Uploads over the limit are refused while they stream in, before their body is kept anywhere.

One file: over 10 MB it is dropped as it arrives (``core.uploads.UploadLimitHandler``); the API
answers 413 ``upload_too_large`` and a page shows the error on the form. A whole request: over
``GIGFAIR_MAX_REQUEST_BYTES`` by its Content-Length, it is answered 413 before a byte is read.
"""

from __future__ import annotations

import os
from typing import ClassVar

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import override_settings
from django.urls import reverse

from core.uploads import MAX_UPLOAD_BYTES
from orders.models import DeliveryFile, OrderState
from tests.disputes.test_tickets_services import open_ticket
from tests.factories import order_in_progress
from tests.marketplace.helpers import PDF

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


class RecordingTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Django's temporary-file handler, noting how many bytes of each file it was handed, and where."""

    received: ClassVar[list[int]] = []
    paths: ClassVar[list[str]] = []

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        type(self).received.append(0)
        type(self).paths.append(self.file.temporary_file_path())

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        type(self).received[-1] += len(raw_data)
        return super().receive_data_chunk(raw_data, start)

    @classmethod
    def stopped_at_the_limit(cls) -> bool:
        """One file, of which this handler got some bytes but no more than the limit."""
        return len(cls.received) == 1 and 0 < cls.received[0] <= MAX_UPLOAD_BYTES


@pytest.fixture
def recorded():
    """The handlers of the settings, with the temporary-file one recording what it gets."""
    RecordingTemporaryFileUploadHandler.received = []
    RecordingTemporaryFileUploadHandler.paths = []
    handlers = [
        "core.uploads.UploadLimitHandler",
        "django.core.files.uploadhandler.MemoryFileUploadHandler",
        f"{__name__}.RecordingTemporaryFileUploadHandler",
    ]
    with override_settings(FILE_UPLOAD_HANDLERS=handlers):
        yield RecordingTemporaryFileUploadHandler


def stored_files(folder: str = "") -> set[str]:
    """Every file in the storage, walked through its API."""
    directories, files = default_storage.listdir(folder)
    names = {f"{folder}{name}" for name in files}
    for directory in directories:
        names |= stored_files(f"{folder}{directory}/")
    return names


def pdf_of(size: int, name: str = "scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF + b"0" * (size - len(PDF)), content_type="application/pdf")


def test_the_settings_count_bytes_before_any_handler_keeps_them(settings):
    assert settings.FILE_UPLOAD_HANDLERS[0] == "core.uploads.UploadLimitHandler"


@pytest.mark.parametrize("idempotency_key", [None, "deliver-big-file-1"])
def test_a_file_a_bit_over_the_limit_is_413_on_the_api_and_never_kept(api_as, recorded, idempotency_key):
    # given an order in progress and a file one byte over 10 MB
    order = order_in_progress()
    before = stored_files()
    headers = {"HTTP_IDEMPOTENCY_KEY": idempotency_key} if idempotency_key else {}

    # when the provider delivers it
    response = api_as(order.provider).post(
        f"/api/v1/orders/{order.pk}/deliver/",
        {"message": "Here", "files": [pdf_of(MAX_UPLOAD_BYTES + 1)]},
        format="multipart",
        **headers,
    )

    # then the API refuses it as too large, naming the field
    assert response.status_code == 413, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "upload_too_large"
    assert "larger than 10 MB" in response.json()["errors"]["files"][0]
    # and the handler that writes to disk was handed no more than the limit, and its file is gone
    assert recorded.stopped_at_the_limit()
    assert not os.path.exists(recorded.paths[0])
    # and nothing was stored, nor did the order move
    assert stored_files() == before
    assert not DeliveryFile.objects.exists()
    order.refresh_from_db()
    assert order.state == OrderState.IN_PROGRESS


def test_a_much_larger_file_is_still_cut_off_at_the_limit(api_as, recorded):
    order = order_in_progress()

    response = api_as(order.provider).post(
        f"/api/v1/orders/{order.pk}/deliver/",
        {"message": "Here", "files": [pdf_of(3 * MAX_UPLOAD_BYTES)]},
        format="multipart",
    )

    assert response.status_code == 413
    assert recorded.stopped_at_the_limit()
    assert not DeliveryFile.objects.exists()


def test_a_file_of_exactly_the_limit_is_accepted(api_as, recorded):
    order = order_in_progress()

    response = api_as(order.provider).post(
        f"/api/v1/orders/{order.pk}/deliver/",
        {"message": "Here", "files": [pdf_of(MAX_UPLOAD_BYTES)]},
        format="multipart",
    )

    assert response.status_code == 200, response.content
    assert DeliveryFile.objects.get().size == MAX_UPLOAD_BYTES
    assert recorded.received == [MAX_UPLOAD_BYTES]


def test_a_page_shows_a_form_error_and_keeps_the_rest_of_the_form(client, recorded):
    # given the provider on the order page, sending a file over 10 MB, the message after it
    order = order_in_progress()
    client.force_login(order.provider)
    before = stored_files()

    # when the form is sent
    response = client.post(
        reverse("order_action", args=[order.pk, "deliver"]),
        {"deliver-files": pdf_of(MAX_UPLOAD_BYTES + 1, "big scan.pdf"), "deliver-message": "The final logo"},
    )

    # then the page shows the error on the file field, and the message as typed
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_deliver-files_errors"' in html
    assert "big scan.pdf is larger than 10 MB." in html
    assert "The final logo" in html
    # and nothing past the limit reached the disk, nothing was stored, the order did not move
    assert recorded.stopped_at_the_limit()
    assert stored_files() == before
    order.refresh_from_db()
    assert order.state == OrderState.IN_PROGRESS


def test_evidence_over_the_limit_on_a_ticket_page_is_a_form_error(client, recorded):
    ticket = open_ticket()
    client.force_login(ticket.order.provider)

    response = client.post(
        reverse("ticket_evidence", args=[ticket.pk]), {"evidence-file": pdf_of(MAX_UPLOAD_BYTES + 1, "proof.pdf")}
    )

    assert "proof.pdf is larger than 10 MB." in response.content.decode()
    assert recorded.stopped_at_the_limit()
    assert not ticket.evidence.exists()


# --- The whole request --------------------------------------------------------------------------


@override_settings(GIGFAIR_MAX_REQUEST_BYTES=64 * 1024)
def test_an_api_request_over_the_cap_is_413_before_it_is_read(api_as, recorded):
    order = order_in_progress()
    before = stored_files()

    response = api_as(order.provider).post(
        f"/api/v1/orders/{order.pk}/deliver/",
        {"message": "Here", "files": [pdf_of(100 * 1024)]},
        format="multipart",
    )

    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "upload_too_large"
    assert recorded.received == []  # no handler was handed a byte
    assert stored_files() == before


@override_settings(GIGFAIR_MAX_REQUEST_BYTES=64 * 1024)
def test_a_json_body_over_the_cap_is_413_request_too_large(api_as):
    order = order_in_progress()

    response = api_as(order.provider).post(
        f"/api/v1/orders/{order.pk}/deliver/", {"message": "x" * (100 * 1024)}, format="json"
    )

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    order.refresh_from_db()
    assert order.state == OrderState.IN_PROGRESS


@override_settings(GIGFAIR_MAX_REQUEST_BYTES=64 * 1024)
def test_a_page_request_over_the_cap_is_413_with_a_page_saying_why(client, recorded):
    order = order_in_progress()
    client.force_login(order.provider)

    response = client.post(
        reverse("order_action", args=[order.pk, "deliver"]),
        {"deliver-message": "Here", "deliver-files": pdf_of(100 * 1024)},
    )

    assert response.status_code == 413
    assert "Too large to send" in response.content.decode()
    assert recorded.received == []
    order.refresh_from_db()
    assert order.state == OrderState.IN_PROGRESS
