"""Pieces of the OpenAPI schema every API app shares: problem bodies, the idempotency header, the
page parameters, and the schema class that documents every status an operation can answer."""

from __future__ import annotations

from drf_spectacular.drainage import get_override
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.settings import api_settings

from .errors import PROBLEM_CONTENT_TYPE
from .idempotency import HEADER
from .pagination import MAX_PAGE_SIZE


class ProblemSerializer(serializers.Serializer):
    """An error, as RFC 9457 problem details."""

    type = serializers.URLField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Machine-readable reason, e.g. invalid_transition or wrong_party.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="On validation failures: field name → messages.",
    )


_DESCRIPTIONS = {
    400: "Malformed or invalid input; `errors` names the fields.",
    401: "Not authenticated.",
    403: "Authenticated, but not allowed to do this (`code`: e.g. `wrong_party`).",
    404: "Not found, or not yours to see.",
    409: "The object's state forbids the action (`code` says why), or the Idempotency-Key is in use.",
    413: "An uploaded file, or the request, is too large.",
    415: "The request's content type, or an uploaded file's type, is refused.",
    422: "The Idempotency-Key was already used with another request body.",
    429: "Throttled; `Retry-After` says when to try again.",
}


def problems(*statuses: int, description: str | None = None) -> dict:
    """``responses=`` entries for these error statuses, each an application/problem+json body.

    ``description`` replaces the usual one (for an endpoint that says more about its refusals).
    """
    return {
        (status, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            ProblemSerializer, description=description or _DESCRIPTIONS[status]
        )
        for status in statuses
    }


# The header of a 429: how many seconds to wait before trying again.
RETRY_AFTER = OpenApiParameter(
    name="Retry-After",
    type=OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    response=[429],
    description="Seconds to wait before trying again.",
)
# What a file served by the API may be: its type was checked by its content on upload.
FILE_CONTENT_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")


def file_responses(description: str, content_types=FILE_CONTENT_TYPES) -> dict:
    """``responses=`` entries for a file download, one per content type it can have."""
    return {
        (200, content_type): OpenApiResponse(OpenApiTypes.BINARY, description=description)
        for content_type in content_types
    }


IDEMPOTENCY_KEY = OpenApiParameter(
    name=HEADER,
    type={"type": "string", "maxLength": 255},
    location=OpenApiParameter.HEADER,
    required=False,
    description="Repeat a POST safely: the same key and body within 24 h returns the first response again, "
    "byte for byte, with its status and content type; the same key with another body is 422. Keys belong "
    "to the caller. Without an account (sign-up, token) a key counts only together with the body: only the "
    "very same request is replayed, and another body is a new request. An empty key is no key.",
)

# Listed by hand: the generator only adds them when a list view's first response is the page,
# and problem responses (keyed by status and media type) sort before it.
PAGE_PARAMETERS = [
    OpenApiParameter(
        name="page",
        type={"type": "integer", "minimum": 1},
        location=OpenApiParameter.QUERY,
        description="Page number, from 1. A page past the last one is 404.",
    ),
    OpenApiParameter(
        name="page_size",
        type={"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        location=OpenApiParameter.QUERY,
        description=f"Results per page (default {api_settings.PAGE_SIZE}, at most {MAX_PAGE_SIZE}).",
    ),
]


# A list read by cursor (core.api.pagination.CursorPage): follow ``next``/``previous``.
CURSOR_PARAMETERS = [
    OpenApiParameter(
        name="cursor",
        type=str,
        location=OpenApiParameter.QUERY,
        description="Opaque: take it from `next` or `previous` as given. A malformed one is 400.",
    ),
    PAGE_PARAMETERS[1],
]


# Some character that trimming keeps: Python's str.strip() also removes U+001C-U+001F and U+0085,
# which a JavaScript \s does not cover.
NOT_BLANK = r"[^\s\u001c-\u001f\u0085]"


def codes_help(choices) -> str:
    """A field's codes with their meanings, for its help text: ```spam`: spam; `abuse`: …``."""
    return "; ".join(f"`{code}`: {label}" for code, label in choices)


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus what every operation of this API can answer besides what its
    view declares: a status it does not list is added from what the view is made of.

    - 400: input that is malformed or invalid (a body, a query parameter, an Idempotency-Key);
    - 401: a view that authenticates refuses a bad or missing token;
    - 403: an unsafe method signed in by session without its CSRF token;
    - 404: an object named in the path that is not there or not the caller's; a page past the end;
    - 409, 413, 415, 422: a POST's Idempotency-Key in use, a body too large, a content type the view
      does not read, a key reused with another body (413 and 415 also for PUT and PATCH);
    - 429: throttling, anywhere.
    """

    def _get_response_bodies(self, direction="response"):
        # Here rather than in get_response_serializers: extend_schema overrides that one.
        bodies = super()._get_response_bodies(direction)
        documented = {int(code) for code in bodies if code.isdigit()}
        for status, response in problems(*sorted(self._possible_problems() - documented)).items():
            code, media_type = str(status[0]), status[1]
            bodies[code] = self._get_response_for_code(response, code, (media_type,), direction)
        return bodies

    def _possible_problems(self) -> set[int]:
        view, method = self.view, self.method
        authenticators = view.get_authenticators()
        # Read from the declared parameters, not the generated ones: generating them asks for
        # the responses (to tell a list), which would ask for these again.
        declared = self.get_override_parameters()
        query = [p for p in declared if not isinstance(p, OpenApiParameter) or p.location == OpenApiParameter.QUERY]
        paged = any(isinstance(p, OpenApiParameter) and p.name == "page" for p in declared)
        statuses = {429}
        if authenticators:
            statuses.add(401)
        if query or method in ("POST", "PUT", "PATCH"):
            statuses.add(400)
        if method in ("POST", "PUT", "PATCH", "DELETE") and any(
            isinstance(a, SessionAuthentication) for a in authenticators
        ):
            statuses.add(403)
        if "{" in self.path or paged:
            statuses.add(404)
        if method == "POST":
            statuses.update((409, 413, 415, 422))
        elif method in ("PUT", "PATCH"):
            statuses.update((413, 415))
        return statuses

    def _insert_field_validators(self, field, schema):
        # A schema declared in full for a field (extend_schema_field with a dict) is what the
        # field accepts: the generator would otherwise widen it, e.g. with an empty string for a
        # field the serializer passes on blank to a service that refuses it.
        if isinstance(get_override(field, "field"), dict):
            return
        super()._insert_field_validators(field, schema)

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # A text that must not be blank is refused when it holds only spaces too (it is trimmed
        # first): say so, beside the minLength the generator already gives.
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and not field.allow_blank
            and field.trim_whitespace
            and schema.get("type") == "string"
            and not {"pattern", "format", "enum"} & set(schema)
        ):
            schema["pattern"] = NOT_BLANK
        return schema
