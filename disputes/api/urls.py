from django.urls import include, path

urlpatterns = [
    path("", include("disputes.api.requests_urls")),
    path("", include("disputes.api.cases_urls")),
    path("", include("disputes.api.tickets_urls")),
    path("", include("disputes.api.claims_urls")),
]
