from django.urls import path

from .cases import (
    CaseAppealApi,
    CaseDetailApi,
    CaseEvidenceCreateApi,
    CaseListCreateApi,
    CaseStatementCreateApi,
    EvidenceFileApi,
)

urlpatterns = [
    path("cases/", CaseListCreateApi.as_view(), name="api-case-list"),
    path("cases/<int:id>/", CaseDetailApi.as_view(), name="api-case-detail"),
    path("cases/<int:id>/statements/", CaseStatementCreateApi.as_view(), name="api-case-statements"),
    path("cases/<int:id>/evidence/", CaseEvidenceCreateApi.as_view(), name="api-case-evidence"),
    path("cases/<int:id>/appeal/", CaseAppealApi.as_view(), name="api-case-appeal"),
    # Shared with after-sales tickets: access is checked on the evidence's case or ticket.
    path("evidence/<int:id>/file/", EvidenceFileApi.as_view(), name="api-evidence-file"),
]
