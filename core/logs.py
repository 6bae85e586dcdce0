"""Request ids: one per HTTP request, sent back in ``X-Request-ID`` and put on every log line.

A proxy or a client may send its own ``X-Request-ID`` (a well-formed one is kept, so one id
follows a request through every hop); otherwise one is made. The id lives in a context
variable until the response is closed, and ``RequestIdFilter`` copies it onto each log
record, together with the id of the Celery task being run, if any. Production formats the
records as JSON lines (``config.settings.production``); a developer's machine keeps plain text.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from celery import current_task
from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
# Ids from outside are echoed in a header and written to the logs: letters, digits and a few
# separators only (a UUID, a hex digest, "req_01H..."), and not too long.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

access_logger = logging.getLogger("core.access")


def request_id_get() -> str | None:
    """The id of the request being handled in this context, or None outside a request."""
    return _request_id.get()


def request_id_from_header(value: str | None) -> str:
    """``value`` if it is a well-formed request id, else a new one."""
    if value and REQUEST_ID_PATTERN.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Give each request an id, answer with it in ``X-Request-ID`` and log one access line.

    First in the middleware list, so every line logged while the request is handled carries
    the id, and so does the access line written once the response is ready.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from_header(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        # Kept until the response is closed (request_id_clear): Django logs a 4xx or 5xx answer
        # ("Not Found: ...") after the last middleware has returned.
        _request_id.set(request_id)
        started = time.monotonic()
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        access_logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        return response


def request_id_clear(**kwargs) -> None:
    """Forget the request's id once its response is closed (connected to ``request_finished``)."""
    _request_id.set(None)


class RequestIdFilter(logging.Filter):
    """Put ``request_id`` and ``task_id`` on every record (None where there is none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        if not hasattr(record, "task_id"):
            task = current_task
            record.task_id = task.request.id if task else None
        return True
