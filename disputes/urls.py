from django.urls import include, path

from disputes.web import evidence

urlpatterns = [
    # Evidence of cases, tickets, claims and appeals: one address, access checked on what it is given to.
    path("files/evidence/<int:pk>/", evidence.evidence_download, name="evidence_download"),
    path("", include("disputes.web.requests_urls")),
    path("", include("disputes.web.cases_urls")),
    path("", include("disputes.web.tickets_urls")),
    path("", include("disputes.web.claims_urls")),
]
