"""Every API error as application/problem+json (RFC 9457): type, title, status, detail, code."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.exceptions import ApplicationError

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"

# Titles follow the request's language, as RFC 9457 allows; ``code`` is the stable part.
_TITLES = {
    400: gettext_lazy("Bad request"),
    401: gettext_lazy("Not authenticated"),
    403: gettext_lazy("Forbidden"),
    404: gettext_lazy("Not found"),
    405: gettext_lazy("Method not allowed"),
    406: gettext_lazy("Not acceptable"),
    409: gettext_lazy("Conflict"),
    413: gettext_lazy("Payload too large"),
    415: gettext_lazy("Unsupported media type"),
    422: gettext_lazy("Unprocessable content"),
    429: gettext_lazy("Too many requests"),
    500: gettext_lazy("Internal server error"),
}


class IdempotentReplay(Exception):
    """Carries a stored response to send again, byte for byte, for a repeated Idempotency-Key."""

    def __init__(self, status_code: int, content: bytes, content_type: str) -> None:
        super().__init__("replay")
        self.status_code = status_code
        self.content = content
        self.content_type = content_type


def problem(status_code: int, *, detail: str, code: str, errors: dict | None = None, **extra: Any) -> dict:
    """Build a problem+json body."""
    body: dict[str, Any] = {
        "type": f"https://gigfair.example/problems/{code}",
        "title": str(_TITLES.get(status_code, _("Error"))),
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def problem_response(status_code: int, **kwargs: Any) -> Response:
    return Response(problem(status_code, **kwargs), status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def _field_errors(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for field, value in detail.items():
            if isinstance(value, dict):
                for sub, messages in _field_errors(value).items():
                    out[f"{field}.{sub}"] = messages
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for i, item in enumerate(value):
                    for sub, messages in _field_errors(item).items():
                        out[f"{field}[{i}].{sub}"] = messages
            else:
                out[field] = [str(m) for m in (value if isinstance(value, list) else [value])]
        return out
    if isinstance(detail, list):
        return {"non_field_errors": [str(m) for m in detail]}
    return {"non_field_errors": [str(detail)]}


def _first_message(errors: dict[str, list[str]]) -> str:
    for field, messages in errors.items():
        if messages:
            return messages[0] if field == "non_field_errors" else f"{field}: {messages[0]}"
    return _("Invalid input.")


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's exception handler, speaking problem+json for every error path."""
    if isinstance(exc, IdempotentReplay):
        return HttpResponse(exc.content, status=exc.status_code, content_type=exc.content_type or None)

    set_rollback()
    if isinstance(exc, RequestDataTooBig):  # a body over DATA_UPLOAD_MAX_MEMORY_SIZE
        return problem_response(413, detail=_("The request body is too large."), code="request_too_large")
    if isinstance(exc, SuspiciousOperation):  # e.g. more fields or files than Django reads
        return problem_response(400, detail=_("The request has too many fields or files."), code="invalid")
    if isinstance(exc, ApplicationError):
        response = problem_response(exc.status, detail=exc.message, code=exc.code, errors=exc.errors, **exc.extra)
        if getattr(exc, "retry_after", None):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        return problem_response(400, detail=_first_message(errors), code="invalid", errors=errors)
    if isinstance(exc, exceptions.APIException):
        detail = exc.detail
        code = detail.code if hasattr(detail, "code") else exc.default_code
        response = problem_response(exc.status_code, detail=str(detail), code=str(code))
        if getattr(exc, "auth_header", None):
            response["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            response["Retry-After"] = str(int(exc.wait))
        return response

    logger.exception("Unhandled API error", exc_info=exc)
    return problem_response(500, detail=_("Something went wrong on our side."), code="server_error")


def api_not_found(request, exception=None) -> JsonResponse:
    """404 for an unknown path under /api/: problem+json, not an HTML page."""
    body = problem(status.HTTP_404_NOT_FOUND, detail=_("No such resource."), code="not_found")
    return JsonResponse(body, status=404, content_type=PROBLEM_CONTENT_TYPE)


def api_server_error(request) -> JsonResponse:
    body = problem(500, detail=_("Something went wrong on our side."), code="server_error")
    return JsonResponse(body, status=500, content_type=PROBLEM_CONTENT_TYPE)
