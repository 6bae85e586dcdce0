"""The back office's admin site: Django's, with support's dashboard on its front page."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from core.support import is_support

from .analytics import AnalyticsFilter, analytics_csv, cancellation_analytics, period_from
from .support_dashboard import support_dashboard


class GigfairAdminSite(admin.AdminSite):
    """The front page shows support staff what waits for them (``portal.support_dashboard``) above
    the list of models."""

    index_template = "admin/gigfair_index.html"

    def index(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        if is_support(request.user):
            extra_context["dashboard"] = support_dashboard(user=request.user, now=timezone.now())
        return super().index(request, extra_context)

    def get_urls(self):
        return [
            path(
                "analytics/cancellations/",
                self.admin_view(self.cancellation_analytics_view),
                name="analytics_cancellations",
            ),
            *super().get_urls(),
        ]

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
        chart = {
            "weeks": [week["week"].isoformat() for week in result.weeks],
            "series": [
                {"label": label, "data": [week.get(code, 0) for week in result.weeks]} for code, label in result.reasons
            ],
            "tables": {
                t.key: {"labels": [r[0] for r in t.rows], "data": [r[1] for r in t.rows]} for t in result.tables
            },
        }
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
