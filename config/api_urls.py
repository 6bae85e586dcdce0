from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

# Swagger UI is served from drf-spectacular-sidecar's static files, never a CDN. (ReDoc is not
# offered: its page loads web fonts from Google.) The split view serves the page's start-up
# script from its own URL (docs/?script), so the Content-Security-Policy needs no inline script.
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("marketplace.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("portal.api.urls")),
    path("", include("disputes.api.urls")),
    path("", include("core.webhooks.api_urls")),
]
