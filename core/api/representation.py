"""Output serializers built once per thread and reused, for the hottest responses.

A DRF serializer deep-copies its declared fields every time one is made, and a nested one
(``many=True`` lists of nested serializers) does it again for each level: for the order detail
that was about seventy field objects built per request, a third of its time once its queries
were prepared. Representing is pure (it reads the instance and the context), so the same
serializer, with its fields bound once, can represent one instance after another; only the
context changes, and it is per thread.
"""

from __future__ import annotations

import threading

from rest_framework import serializers


class Representer:
    """``Representer(SomeSerializer)(instance, request=request)`` is ``SomeSerializer(instance,
    context={"request": request}).data``, without building the serializer's fields each time."""

    def __init__(self, serializer_class: type[serializers.BaseSerializer]) -> None:
        self.serializer_class = serializer_class
        self._local = threading.local()

    def __call__(self, instance, **context) -> dict:
        serializer = getattr(self._local, "serializer", None)
        if serializer is None:
            serializer = self._local.serializer = self.serializer_class(context={})
        # The context dict belongs to this thread's serializer: every nested field reads it.
        shared = serializer.context
        shared.clear()
        shared.update(context)
        try:
            return serializer.to_representation(instance)
        finally:
            shared.clear()
