"""Serving a stored file to someone already checked to be allowed to see it: never by a public URL.

Every kind of file (deliveries, message attachments, evidence) is answered here, through the
storage API, so it works on any storage backend.
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from core.uploads import KNOWN_TYPES

logger = logging.getLogger(__name__)

# Shown in the browser: nothing in these can run script on the site's origin (SVG can: not here).
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})


def _served_type(content_type: str) -> str:
    """The type the file is served as: the one found in its content on upload, never a guess."""
    if content_type not in KNOWN_TYPES:
        return "application/octet-stream"
    if content_type == "text/plain":
        return "text/plain; charset=utf-8"  # the upload check accepts only UTF-8 text
    return content_type


class StoredFile(Protocol):
    """A row holding an uploaded file: a delivered file, a message's attachment, evidence."""

    file: FieldFile
    name: str  # the uploader's name for it: shown, and the download's name
    content_type: str  # found in its content on upload


def stored_file_response(stored: StoredFile) -> FileResponse:
    """The file as a download under its uploader's name; images and PDFs open in the browser instead."""
    served = _served_type(stored.content_type)
    try:
        handle = stored.file.open("rb")
    except FileNotFoundError:
        logger.warning("Stored file %s is missing", stored.file.name)
        raise Http404(_("No such file.")) from None
    # Control characters would break the header; the parser drops them from new uploads.
    filename = "".join(char for char in stored.name if char.isprintable()) or "download"
    response = FileResponse(handle, as_attachment=served not in INLINE_TYPES, filename=filename, content_type=served)
    response["X-Content-Type-Options"] = "nosniff"
    # Evidence between two people: never kept by a shared cache, nor by the browser.
    response["Cache-Control"] = "private, no-store"
    return response
