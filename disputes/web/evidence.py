"""Downloading an evidence file (support cases and after-sales tickets): never by a public URL.

Access: the parties of the order the evidence's case or ticket is about, and staff.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _

from core.exceptions import NotFound
from disputes.models import Evidence
from disputes.selectors.cases import evidence_get_for

INLINE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")


def evidence_response(evidence: Evidence) -> FileResponse:
    """The file, shown inline when it is an image or a PDF (types were checked by content on upload)."""
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=evidence.content_type not in INLINE_TYPES,
        filename=evidence.name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """An evidence file, for the parties of its case's or ticket's order and staff (404 for anyone else)."""
    try:
        evidence = evidence_get_for(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such file.")) from None
    return evidence_response(evidence)
