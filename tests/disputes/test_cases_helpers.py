"""Shared makers for the support case tests (no tests here)."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from core.support import SUPERVISOR_GROUP
from disputes.models import SupportCase
from disputes.services.cases import case_open
from marketplace.models import User
from orders.models import Order
from tests.factories import UserFactory, order_in_progress

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def pdf(name: str = "contract.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def text_named_pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("invoice.pdf", b"just some text, not a PDF at all\n", content_type="application/pdf")


def too_large() -> SimpleUploadedFile:
    return SimpleUploadedFile("huge.png", PNG + b"\x00" * (10 * 1024 * 1024), content_type="image/png")


def agent(**kwargs) -> User:
    return UserFactory(support=True, **kwargs)


def supervisor() -> User:
    user = UserFactory(support=True)
    group, _created = Group.objects.get_or_create(name=SUPERVISOR_GROUP)
    user.groups.add(group)
    return user


def open_case(order: Order | None = None, *, by: str = "client", **kwargs) -> SupportCase:
    order = order or order_in_progress()
    actor = order.client if by == "client" else order.provider
    fields = {
        "category": "not_as_described",
        "statement": "The job was not what the listing said.",
        "desired_outcome": "Cancel with a full refund.",
        **kwargs,
    }
    return case_open(order=order, actor=actor, **fields)
