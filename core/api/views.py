"""The base every API view derives from (idempotent POSTs, problem+json errors), and the shape of an action."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import ApplicationError, NotFound
from core.support import is_support

from .idempotency import HEADER, idempotency_begin, idempotency_finish


class RequestTooLarge(ApplicationError):
    status = 413
    default_code = "request_too_large"


def _request_identity(request) -> bytes:
    """What makes two POSTs "the same request": the raw body, or for uploads their parsed content.

    A multipart body can be larger than Django will buffer (DATA_UPLOAD_MAX_MEMORY_SIZE counts
    the files in ``.body``), and its stream is gone once parsed, so uploads are fingerprinted
    from their fields and a digest of each file instead.
    """
    if not request.content_type.startswith("multipart/"):
        try:
            return request._request.body
        except RequestDataTooBig:
            raise RequestTooLarge(_("The request body is too large.")) from None
    digest = hashlib.sha256()
    for name, values in sorted(request.data.lists()):
        for value in values:
            digest.update(name.encode() + b"\0")
            if isinstance(value, UploadedFile):
                digest.update(f"{value.name}\0{value.size}\0".encode())
                for chunk in value.chunks():
                    digest.update(chunk)
                value.seek(0)
            else:
                digest.update(str(value).encode() + b"\0")
    return b"multipart\0" + digest.hexdigest().encode()


class ApiView(APIView):
    def initial(self, request, *args, **kwargs) -> None:
        self._idempotency_record = None
        super().initial(request, *args, **kwargs)
        key = request.headers.get(HEADER)
        if request.method == "POST" and key:
            self._idempotency_record = idempotency_begin(
                user=request.user,
                key=key,
                method=request.method,
                path=request.get_full_path(),
                body=_request_identity(request),
            )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record = getattr(self, "_idempotency_record", None)
        if record is not None:
            self._idempotency_record = None
            # Rendered now, so the replay is these very bytes (key order, content type and all).
            if hasattr(response, "render"):
                response.render()
            idempotency_finish(
                record=record,
                status_code=response.status_code,
                content=response.content,
                content_type=response.get("Content-Type", ""),
            )
        return response


# A POST on one object the caller may see: the shape of the API's action endpoints. In this
# order: validate ``input_serializer`` (400 before anything is read), get the object with
# ``get_object`` (404 when it is not the caller's), call the service in ``perform`` with the
# validated fields, and answer with ``respond``: by default what ``perform`` returned, rendered
# with ``output_serializer``; actions that answer with the whole object re-read it instead.
# ``post`` is inherited, so a subclass describes it with ``extend_schema_view(post=...)``.
# (Comments, not a docstring: the schema generator would take a docstring on a base class as
# the description of every operation that has none of its own.)
class ActionApiView(ApiView):
    input_serializer: type[serializers.Serializer] | None = None
    output_serializer: type[serializers.Serializer] | None = None
    status_code: int = status.HTTP_200_OK

    def post(self, request, id: int) -> Response:
        data = {}
        if self.input_serializer is not None:
            serializer = self.input_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        result = self.perform(self.get_object(id), **data)
        return self.respond(id, result)

    def get_object(self, id: int) -> Any:
        raise NotImplementedError

    def perform(self, target: Any, **data: Any) -> Any:
        raise NotImplementedError

    def respond(self, id: int, result: Any) -> Response:
        data = self.output_serializer(result, context={"request": self.request}).data
        return Response(data, status=self.status_code)


class IsSupport(BasePermission):
    """Support only (``core.support.is_support``); anyone else, signed in or not, gets a 404."""

    def has_permission(self, request, view) -> bool:
        if not is_support(request.user):
            raise NotFound(_("Not found."))
        return True


class SupportApiView(ApiView):
    """An endpoint of the support API: for support only; 404 for anyone else, so the API does
    not even tell others that it exists (checked before an idempotency key is recorded)."""

    permission_classes = (IsSupport,)


class SupportActionApiView(SupportApiView, ActionApiView):
    """An action of the support API (``ActionApiView``'s shape), for support only."""
