"""The back office's admin site: Django's, with support's dashboard on its front page."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone

from core.support import is_support

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
