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

from django.core.exceptions import ImproperlyConfigured
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


class RowRepresenter:
    """A serializer's output for flat rows, without model instances.

    The rows are ``values_list()`` dicts whose related columns are named ``a__b`` (the field
    ``b`` of ``a``). Each field's source becomes the row's key (``policy.version`` is
    ``policy__version``), a nested serializer is read from its prefix (null when its ``id``
    is), and each field's own ``to_representation`` formats the value, so the output is the
    serializer's to the character. A ``SerializerMethodField`` is computed by ``methods[name](row,
    context)``. For hot lists: no instance per row and no attribute lookups per field.
    """

    def __init__(self, serializer_class: type[serializers.Serializer], methods: dict | None = None) -> None:
        self.serializer_class = serializer_class
        self.methods = methods or {}
        self._plan: list | None = None

    def _plan_of(self, fields, prefix: str) -> list:
        plan = []
        for name, field in fields.items():
            if field.write_only:
                continue
            if isinstance(field, serializers.SerializerMethodField):
                if name not in self.methods:
                    raise ImproperlyConfigured(f"{self.serializer_class.__name__}.{name} needs a method for rows")
                plan.append((name, "method", name, None))
            elif isinstance(field, serializers.Serializer):
                key = prefix + "__".join(field.source_attrs) + "__"
                plan.append((name, "nested", key, self._plan_of(field.fields, key)))
            else:
                plan.append((name, "value", prefix + "__".join(field.source_attrs), field))
        return plan

    def __call__(self, row: dict, **context) -> dict:
        if self._plan is None:
            self._plan = self._plan_of(self.serializer_class().fields, "")
        return self._represent(self._plan, row, context)

    def _represent(self, plan: list, row: dict, context: dict) -> dict:
        data = {}
        for name, kind, key, detail in plan:
            if kind == "value":
                value = row[key]
                data[name] = None if value is None else detail.to_representation(value)
            elif kind == "nested":
                data[name] = None if row[key + "id"] is None else self._represent(detail, row, context)
            else:
                data[name] = self.methods[key](row, context)
        return data
