from django.urls import include, path

urlpatterns = [
    path("", include("disputes.web.requests_urls")),
    path("", include("disputes.web.cases_urls")),
    path("", include("disputes.web.tickets_urls")),
    path("", include("disputes.web.claims_urls")),
]
