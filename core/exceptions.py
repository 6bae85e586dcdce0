"""Errors that services raise; every interface turns them into a clear message."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A business rule refused an action.

    ``code`` is machine-readable (it becomes the problem+json ``code``), ``message`` is for
    people and already translated, ``status`` is the HTTP status the API answers with.
    """

    status = 400
    default_code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        errors: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.errors = errors or {}
        self.extra = extra or {}

    @property
    def first_message(self) -> str:
        """What to tell a person in one line: the first field error, else the message."""
        for field_messages in self.errors.values():
            for message in field_messages:
                return str(message)
        return str(self.message)


class ValidationFailed(ApplicationError):
    """Input was malformed or broke a rule about its own content (400)."""

    status = 400
    default_code = "invalid"


class PermissionDenied(ApplicationError):
    """The actor is known but may not do this (403)."""

    status = 403
    default_code = "permission_denied"


class NotFound(ApplicationError):
    """No such object, or not the actor's to see (404)."""

    status = 404
    default_code = "not_found"


class Conflict(ApplicationError):
    """The object's current state forbids the action (409)."""

    status = 409
    default_code = "invalid_transition"


class TooManyRequests(ApplicationError):
    """Refused for now, not for good: asked too often, or locked for a while (429, with Retry-After).

    ``retry_after`` is how many seconds to wait; it becomes the Retry-After header.
    """

    status = 429
    default_code = "throttled"

    def __init__(self, message: str, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = max(1, int(retry_after))


class PaymentFailed(ApplicationError):
    """The payment gateway refused the charge (400, code ``payment_declined``)."""

    status = 400
    default_code = "payment_declined"
