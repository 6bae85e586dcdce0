from django.contrib import admin
from django.urls import include, path
from django.views.defaults import page_not_found, server_error

from core.api.errors import api_not_found, api_server_error
from core.health import healthz, readyz
from marketplace.views import language_set

urlpatterns = [
    # Probes: core.health.HealthCheckMiddleware answers them before the host check; named here
    # so they resolve and reverse like any page.
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    # Django's set_language, which also stores a signed-in user's choice.
    path("i18n/setlang/", language_set, name="set_language"),
    path("", include("marketplace.urls")),
    path("", include("orders.urls")),
    path("", include("portal.urls")),
    path("", include("disputes.urls")),
    path("", include("core.webhooks.urls")),
]
# No route serves MEDIA_URL, whatever DEBUG says: uploaded files are evidence between people and
# are read only through the views that check who asks (/files/…, and the API's file links).


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return api_not_found(request, exception)
    return page_not_found(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return api_server_error(request)
    return server_error(request)
