"""Downloading an evidence file (cases, tickets, claims, appeals): never by a public URL.

Access: the parties of the order the evidence's case, ticket or claim is about, the appellant
of its appeal, and support. Anyone else, signed in or not, is told there is no such file.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from core.downloads import stored_file_response
from core.exceptions import NotFound
from disputes.selectors.cases import evidence_get_for


@require_safe
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """An evidence file, for those who may see it (404 for anyone else)."""
    try:
        evidence = evidence_get_for(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such file.")) from None
    return stored_file_response(evidence)
