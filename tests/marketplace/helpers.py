"""Files and snapshots the trust-tool tests share."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from core.uploads import MAX_UPLOAD_BYTES
from marketplace.models import Block, Notification
from orders.models import LedgerTransaction, Message, MessageAttachment, MessageReport, Order, Payment

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TEXT = b"Just some plain text pretending to be a PDF.\n"


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return upload(name, PNG, "image/png")


def pdf(name: str = "invoice.pdf") -> SimpleUploadedFile:
    return upload(name, PDF, "application/pdf")


def too_big(name: str = "scan.pdf") -> SimpleUploadedFile:
    return upload(name, PDF + b"0" * (MAX_UPLOAD_BYTES + 1 - len(PDF)), "application/pdf")


def thread_snapshot() -> tuple:
    """Everything a refused message or report must leave as it was."""
    return (
        Message.objects.count(),
        MessageAttachment.objects.count(),
        MessageReport.objects.count(),
        Notification.objects.count(),
    )


def order_snapshot() -> tuple:
    """Everything a refused order must leave as it was."""
    return (
        Order.objects.count(),
        Payment.objects.count(),
        LedgerTransaction.objects.count(),
        Notification.objects.count(),
    )


def block_snapshot() -> tuple:
    return tuple(Block.objects.order_by("pk").values_list("pk", "blocker_id", "blocked_id", "unblocked_at"))
