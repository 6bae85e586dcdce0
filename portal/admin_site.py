"""The back office's admin site: Django's, with support's dashboard on its front page."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.support import is_support
from marketplace.models import User

from .analytics import AnalyticsFilter, analytics_chart, analytics_csv, cancellation_analytics, period_from
from .back_office import back_office_search, user_history
from .saved_filters import saved_filter_delete, saved_filter_save, saved_filters_of
from .support_dashboard import support_dashboard


class GigfairAdminSite(admin.AdminSite):
    """The front page shows support staff what waits for them (``portal.support_dashboard``) above
    the list of models."""

    index_template = "admin/gigfair_index.html"
    # The front page lists the models and the header searches: the side menu would only take
    # 240 px from the lists and the policy editor on a 1,366 px screen.
    enable_nav_sidebar = False

    def index(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        if is_support(request.user):
            extra_context["dashboard"] = support_dashboard(user=request.user, now=timezone.now())
            extra_context["saved_filters"] = saved_filters_of(request.user)
        return super().index(request, extra_context)

    def get_urls(self):
        return [
            path(
                "analytics/cancellations/",
                self.admin_view(self.cancellation_analytics_view),
                name="analytics_cancellations",
            ),
            path("search/", self.admin_view(self.search_view), name="back_office_search"),
            path("people/<int:pk>/", self.admin_view(self.user_history_view), name="user_history"),
            path("saved-filters/", self.admin_view(self.saved_filter_save_view), name="saved_filter_save"),
            path(
                "saved-filters/<int:pk>/delete/",
                self.admin_view(self.saved_filter_delete_view),
                name="saved_filter_delete",
            ),
            *super().get_urls(),
        ]

    # --- agents' tools ---

    def search_view(self, request):
        """One box over orders, people, cases and tickets, by number, name or e-mail."""
        if not is_support(request.user):
            raise PermissionDenied
        results = back_office_search(request.GET.get("q", ""))
        context = {**self.each_context(request), "title": _("Search"), "results": results}
        return TemplateResponse(request, "admin/back_office/search.html", context)

    def user_history_view(self, request, pk: int):
        """Everything about one person on one page (``portal.back_office.user_history``)."""
        if not is_support(request.user, "marketplace.view_user"):
            raise PermissionDenied
        person = get_object_or_404(User, pk=pk)
        history = user_history(person)
        context = {
            **self.each_context(request),
            "title": _("Whole history of %(name)s") % {"name": person.get_username()},
            "history": history,
            "person": person,
        }
        return TemplateResponse(request, "admin/back_office/user_history.html", context)

    def saved_filter_save_view(self, request):
        """Save the list's current filters under a name, then go back to the list."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        path_, query = request.POST.get("path", ""), request.POST.get("query", "")
        try:
            saved = saved_filter_save(user=request.user, name=request.POST.get("name", ""), path=path_, query=query)
        except ApplicationError as error:
            messages.error(request, _("The filter is not saved: %(why)s") % {"why": error.first_message})
            back = f"{path_}?{query}" if query else path_
            return HttpResponseRedirect(back if self._ours(request, back) else reverse("admin:index"))
        messages.success(request, _("Saved as “%(name)s”.") % {"name": saved.name})
        return HttpResponseRedirect(saved.url)

    def saved_filter_delete_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            saved = saved_filter_delete(user=request.user, pk=pk)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The saved filter “%(name)s” is deleted.") % {"name": saved.name})
        back = request.POST.get("next", "")
        return HttpResponseRedirect(back if self._ours(request, back) else reverse("admin:index"))

    @staticmethod
    def _ours(request, url: str) -> bool:
        return bool(url) and url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure())

    def cancellation_analytics_view(self, request):
        """Why orders are cancelled (``portal.analytics``), for support staff; ``?format=csv`` downloads it."""
        if not is_support(request.user):
            raise PermissionDenied
        form = AnalyticsFilter(request.GET or None)
        period = period_from(form, timezone.localdate())
        result = cancellation_analytics(period)
        if request.GET.get("format") == "csv":
            response = HttpResponse(analytics_csv(result), content_type="text/csv; charset=utf-8")
            name = f"cancellations-{period.start.isoformat()}-{period.end.isoformat()}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        chart = analytics_chart(result)
        query = request.GET.copy()
        query["format"] = "csv"
        context = {
            **self.each_context(request),
            "title": _("Cancellation analytics"),
            "form": form,
            "result": result,
            "chart": chart,
            "csv_url": f"?{query.urlencode()}",
        }
        return TemplateResponse(request, "admin/analytics/cancellations.html", context)
