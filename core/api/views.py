"""The base every API view derives from: idempotent POSTs and problem+json errors."""

from __future__ import annotations

from rest_framework.views import APIView

from .idempotency import HEADER, idempotency_begin, idempotency_finish


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
                body=request._request.body,
            )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record = getattr(self, "_idempotency_record", None)
        if record is not None:
            self._idempotency_record = None
            idempotency_finish(record=record, status_code=response.status_code, body=response.data)
        return response
