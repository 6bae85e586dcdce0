"""Agents' saved filters of the admin's lists: save (or replace) one under a name, delete one."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.db import transaction
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from core.exceptions import NotFound, ValidationFailed
from core.text import text_clean

from .models import SavedFilter

MAX_PER_AGENT = 50
NAME_MAX = 80
QUERY_MAX = 1000
# Not part of what a filter selects: the page number, and Django's pop-up and "to field" markers.
NOT_KEPT = {"p", "_popup", "_to_field", "_changelist_filters"}


def _admin_list(path: str) -> str:
    """``path`` if it is the list page of a model in the admin, else a refusal."""
    try:
        match = resolve(path)
    except Resolver404:
        match = None
    if match is None or match.namespace != "admin" or not (match.url_name or "").endswith("_changelist"):
        text = _("Filters are saved from a list of the back office.")
        raise ValidationFailed(text, errors={"path": [text]})
    return path


def _kept(query: str) -> str:
    pairs = [(key, value) for key, value in parse_qsl(query, keep_blank_values=True) if key not in NOT_KEPT]
    kept = urlencode(pairs)
    if len(kept) > QUERY_MAX:
        text = _("These filters are too long to save.")
        raise ValidationFailed(text, errors={"query": [text]})
    return kept


@transaction.atomic
def saved_filter_save(*, user, name: str, path: str, query: str) -> SavedFilter:
    """Keep the list at ``path`` filtered by ``query`` under ``name`` for ``user``; the same name
    on the same list replaces what it held."""
    name = text_clean(name, field="name", limit=NAME_MAX, required_message=_("Name the filter."))
    path = _admin_list(path)
    query = _kept(query)
    saved = SavedFilter.objects.select_for_update().filter(user=user, path=path, name=name).first()
    if saved is not None:
        saved.query = query
        saved.save(update_fields=("query",))
        return saved
    if SavedFilter.objects.filter(user=user).count() >= MAX_PER_AGENT:
        text = _("You have %(n)d saved filters, the most one can keep; delete one first.") % {"n": MAX_PER_AGENT}
        raise ValidationFailed(text, errors={"name": [text]})
    return SavedFilter.objects.create(user=user, name=name, path=path, query=query)


def saved_filter_delete(*, user, pk: int) -> SavedFilter:
    """Delete one of ``user``'s saved filters (someone else's is not found)."""
    saved = SavedFilter.objects.filter(user=user, pk=pk).first()
    if saved is None:
        raise NotFound(_("No such saved filter."))
    saved.delete()
    return saved


def saved_filters_of(user, path: str | None = None) -> list[SavedFilter]:
    """``user``'s saved filters, of one list or of all, by list and name."""
    saved = SavedFilter.objects.filter(user=user)
    if path is not None:
        saved = saved.filter(path=path)
    return list(saved.order_by("path", "name"))
