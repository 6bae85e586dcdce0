from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.utils.urls import replace_query_param

from .query import given_once_message

MAX_PAGE_SIZE = 100


def _whole_number(request, name: str, *, maximum: int | None = None) -> None:
    """Refuse ``name`` unless it is absent or given once as a whole number from 1 (to ``maximum``)."""
    values = request.query_params.getlist(name)
    if not values:
        return
    if len(values) > 1:
        raise ValidationError({name: [given_once_message()]})
    value = values[0]
    if not (value.isascii() and value.isdigit()) or int(value) < 1 or (maximum is not None and int(value) > maximum):
        if maximum is None:
            message = _("Give a whole number from 1.")
        else:
            message = _("Give a whole number from 1 to %(max)d.") % {"max": maximum}
        raise ValidationError({name: [message]})


class Pagination(PageNumberPagination):
    """``results``, ``next``, ``previous`` (and ``count``); ``?page=`` from 1, ``?page_size=`` up to 100.

    A malformed page or page size is 400 (it is not quietly replaced by the default); a page past
    the last one is 404.
    """

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    last_page_strings = ()

    def paginate_queryset(self, queryset, request, view=None):
        _whole_number(request, self.page_query_param)
        _whole_number(request, self.page_size_query_param, maximum=self.max_page_size)
        return super().paginate_queryset(queryset, request, view=view)


def _not_a_cursor() -> str:
    return _("Not a cursor: follow the next and previous links as given.")


@dataclass(frozen=True)
class Position:
    """Where a page starts: just after (older than) the row at ``(at, id)``, or, ``before``, just
    before it (newer)."""

    at: datetime
    id: int
    before: bool = False

    def encode(self) -> str:
        text = f"{'b' if self.before else 'a'}|{self.at.isoformat()}|{self.id}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> Position:
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            side, at, id_ = text.split("|")
            position = cls(at=datetime.fromisoformat(at), id=int(id_), before={"a": False, "b": True}[side])
        except (ValueError, KeyError, UnicodeDecodeError, binascii.Error):
            raise ValidationError({"cursor": [_not_a_cursor()]}) from None
        if position.at.tzinfo is None or position.id < 1:
            raise ValidationError({"cursor": [_not_a_cursor()]})
        return position


class CursorPage(CursorPagination):
    """``results``, ``next``, ``previous`` for lists that grow without bound, newest first.

    ``next`` and ``previous`` carry an opaque ``?cursor=``: the position of the row where the
    page begins, ``(created_at, id)``, so a page is a keyset read (no count, no offset) and a
    deep page costs what the first does. ``?page_size=`` up to 100; a malformed page size or
    cursor is 400. The rows come from the caller's ``fetch(position, limit)`` (newest first;
    oldest first when the position is ``before``), so they can be a prepared read.
    """

    ordering = ("-created_at", "-id")  # what fetch must honour (and the schema says)
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def paginate_rows(self, request, fetch: Callable[[Position | None, int], list]) -> list:
        _whole_number(request, self.page_size_query_param, maximum=self.max_page_size)
        cursors = request.query_params.getlist(self.cursor_query_param)
        if len(cursors) > 1:
            raise ValidationError({self.cursor_query_param: [given_once_message()]})
        position = Position.decode(cursors[0]) if cursors else None
        size = self.get_page_size(request)
        self.request = request
        rows = fetch(position, size + 1)
        more = len(rows) > size
        rows = rows[:size]
        if position is not None and position.before:
            rows.reverse()
            newer, older = more, True
        else:
            newer, older = position is not None, more
        first, last = (rows[0], rows[-1]) if rows else (None, None)
        self._next = Position(at=last["created_at"], id=last["id"]) if older and last else None
        self._previous = Position(at=first["created_at"], id=first["id"], before=True) if newer and first else None
        return rows

    def _link(self, position: Position | None) -> str | None:
        if position is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, position.encode())

    def get_next_link(self) -> str | None:
        return self._link(self._next)

    def get_previous_link(self) -> str | None:
        return self._link(self._previous)


def paginated_response(
    *, queryset, serializer_class, request, view, context: dict | None = None, paginator_class=Pagination
):
    """One page of ``queryset`` as ``{count, next, previous, results}`` (cursor pages have no count)."""
    paginator = paginator_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    serializer = serializer_class(page, many=True, context=context or {"request": request})
    return paginator.get_paginated_response(serializer.data)
