from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination

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


class CursorPage(CursorPagination):
    """``results``, ``next``, ``previous`` for lists that grow without bound, newest first.

    ``next`` and ``previous`` carry an opaque ``?cursor=``: a deep page costs what the first one
    does (a keyset read, no count, no offset). ``?page_size=`` up to 100; a malformed page size
    or cursor is 400.
    """

    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        _whole_number(request, self.page_size_query_param, maximum=self.max_page_size)
        cursors = request.query_params.getlist(self.cursor_query_param)
        if len(cursors) > 1:
            raise ValidationError({self.cursor_query_param: [given_once_message()]})
        if cursors and not cursors[0]:
            raise ValidationError({self.cursor_query_param: [_not_a_cursor()]})
        try:
            return super().paginate_queryset(queryset, request, view=view)
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            # A well-encoded cursor whose position is not a value of the ordering field.
            raise ValidationError({self.cursor_query_param: [_not_a_cursor()]}) from None

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: [_not_a_cursor()]}) from None


def paginated_response(
    *, queryset, serializer_class, request, view, context: dict | None = None, paginator_class=Pagination
):
    """One page of ``queryset`` as ``{count, next, previous, results}`` (cursor pages have no count)."""
    paginator = paginator_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    serializer = serializer_class(page, many=True, context=context or {"request": request})
    return paginator.get_paginated_response(serializer.data)
