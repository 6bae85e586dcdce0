"""A cap on the size of a whole request, checked on its Content-Length before any of it is read."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from core.api.errors import PROBLEM_CONTENT_TYPE, problem


class RequestSizeLimitMiddleware:
    """Answer 413 to a request declaring a body over ``GIGFAIR_MAX_REQUEST_BYTES``, unread.

    Each file is held to 10 MB while it streams in (``core.uploads.UploadLimitHandler``); this
    bounds what is read at all. A body without a Content-Length is not read by Django (WSGI).
    Runs before any middleware that reads the body (the CSRF check reads the form).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.GIGFAIR_MAX_REQUEST_BYTES
        if length > limit:
            return self._too_large(request, limit)
        return self.get_response(request)

    def _too_large(self, request: HttpRequest, limit: int) -> HttpResponse:
        detail = _("The request is larger than %(size)s: send fewer or smaller files (10 MB each at most).") % {
            "size": filesizeformat(limit)
        }
        if request.path.startswith("/api/"):
            code = "upload_too_large" if request.content_type == "multipart/form-data" else "request_too_large"
            return JsonResponse(problem(413, detail=detail, code=code), status=413, content_type=PROBLEM_CONTENT_TYPE)
        return render(request, "413.html", {"detail": detail}, status=413)
