"""View helpers every app's pages share: paging, and htmx partials."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def paginate(request: HttpRequest, queryset, *, per_page: int, param: str = "page") -> Page:
    """One page of ``queryset``; a page number out of range shows the last page."""
    return Paginator(queryset, per_page).get_page(request.GET.get(param))


def render_with_partial(
    request: HttpRequest, template: str, context: dict[str, Any], *, partial: str, target: str
) -> HttpResponse:
    """Render ``partial`` alone when htmx asks to swap ``#target``, the whole page otherwise."""
    htmx = getattr(request, "htmx", None)
    wants_partial = bool(htmx) and not htmx.history_restore_request and htmx.target == target
    response = render(request, partial if wants_partial else template, context)
    # The same URL answers with a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response
