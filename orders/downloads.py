"""Serving a stored attachment to someone already checked to be allowed to see it."""

from __future__ import annotations

from django.http import FileResponse

from .models import MessageAttachment


def attachment_response(attachment: MessageAttachment) -> FileResponse:
    """The file through Django's storage API (never a public media URL); images and PDFs open in the browser."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not (attachment.is_image or attachment.content_type == "application/pdf"),
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    # Evidence shared between two people: never kept by shared caches.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
