"""Query parameters read strictly: each given once, and an empty value is a value, not an absence."""

from __future__ import annotations

from django.http import QueryDict
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.fields import empty


def given_once_message() -> str:
    return _("Give this parameter once.")


class QueryParametersSerializer(serializers.Serializer):
    """The filters of a list, read from ``request.query_params``.

    DRF reads a query string like an HTML form: ``?state=`` counts as no filter at all and
    ``?state=a&state=b`` as its last value. The schema promises neither, so here an empty value
    is checked like any other (``?state=`` is 400) and a parameter given twice is 400.
    """

    def __init__(self, instance=None, data=empty, **kwargs) -> None:
        self._repeated: set[str] = set()
        if isinstance(data, QueryDict):
            self._repeated = {name for name, values in data.lists() if len(values) > 1}
            data = data.dict()
        super().__init__(instance, data, **kwargs)

    def to_internal_value(self, data):
        repeated = {name: [given_once_message()] for name in self.fields if name in self._repeated}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({**exc.detail, **repeated}) from None
        if repeated:
            raise serializers.ValidationError(repeated)
        return value
