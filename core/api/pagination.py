from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """``results``, ``next``, ``previous`` (and ``count``); ``?page_size=`` up to 100."""

    page_size_query_param = "page_size"
    max_page_size = 100


def paginated_response(*, queryset, serializer_class, request, view, context: dict | None = None):
    """One page of ``queryset`` as ``{count, next, previous, results}``."""
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    serializer = serializer_class(page, many=True, context=context or {"request": request})
    return paginator.get_paginated_response(serializer.data)
