from django.urls import path

from . import claims

urlpatterns = [
    path("orders/<int:pk>/claims/new/", claims.claim_file, name="claim_file"),
    path("claims/<int:pk>/", claims.claim_detail, name="claim_detail"),
    path("credit/events/<int:pk>/appeal/", claims.appeal_file, name="appeal_file"),
    path("appeals/<int:pk>/", claims.appeal_detail, name="appeal_detail"),
]
