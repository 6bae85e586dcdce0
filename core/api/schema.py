"""Pieces of the OpenAPI schema every API app shares: problem bodies and the idempotency header."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from .errors import PROBLEM_CONTENT_TYPE
from .idempotency import HEADER


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
    413: "An uploaded file is too large.",
    415: "An uploaded file's type is refused.",
    422: "The Idempotency-Key was already used with another request body.",
    429: "Throttled.",
}


def problems(*statuses: int) -> dict:
    """``responses=`` entries for these error statuses, each an application/problem+json body."""
    return {
        (status, PROBLEM_CONTENT_TYPE): OpenApiResponse(ProblemSerializer, description=_DESCRIPTIONS[status])
        for status in statuses
    }


IDEMPOTENCY_KEY = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Repeat a POST safely: the same key and body within 24 h returns the first response again, "
    "byte for byte, with its status and content type; the same key with another body is 422. Keys belong "
    "to the caller. Without an account (sign-up, token) a key counts only together with the body: only the "
    "very same request is replayed, and another body is a new request.",
)

# Listed by hand: the generator only adds them when a list view's first response is the page,
# and problem responses (keyed by status and media type) sort before it.
PAGE_PARAMETERS = [
    OpenApiParameter(name="page", type=OpenApiTypes.INT, location=OpenApiParameter.QUERY, description="Page number."),
    OpenApiParameter(
        name="page_size",
        type=OpenApiTypes.INT,
        location=OpenApiParameter.QUERY,
        description="Results per page (default 20, at most 100).",
    ),
]


def codes_help(choices) -> str:
    """A field's codes with their meanings, for its help text: ```spam`: spam; `abuse`: …``."""
    return "; ".join(f"`{code}`: {label}" for code, label in choices)
