from django.urls import path

from . import cases

urlpatterns = [
    path("cases/", cases.case_list, name="case_list"),
    path("orders/<int:pk>/cases/new/", cases.case_open, name="case_open"),
    path("cases/<int:pk>/", cases.case_detail, name="case_detail"),
    path("cases/<int:pk>/statements/", cases.case_statement, name="case_statement"),
    path("cases/<int:pk>/evidence/", cases.case_evidence, name="case_evidence"),
    path("cases/<int:pk>/appeal/", cases.case_appeal, name="case_appeal"),
]
