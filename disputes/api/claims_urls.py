from django.urls import path

from .claims import (
    AppealDetailApi,
    ClaimDetailApi,
    MeCreditEventAppealApi,
    OrderClaimListCreateApi,
    OrderClaimPreviewApi,
    SupportAppealDecideApi,
    SupportAppealListApi,
    SupportClaimDecideApi,
    SupportClaimListApi,
)

urlpatterns = [
    path("orders/<int:id>/claims/", OrderClaimListCreateApi.as_view(), name="api-order-claims"),
    path("orders/<int:id>/claims/preview/", OrderClaimPreviewApi.as_view(), name="api-order-claim-preview"),
    path("claims/<int:id>/", ClaimDetailApi.as_view(), name="api-claim-detail"),
    path("me/credit/events/<int:id>/appeal/", MeCreditEventAppealApi.as_view(), name="api-credit-event-appeal"),
    path("appeals/<int:id>/", AppealDetailApi.as_view(), name="api-appeal-detail"),
    # The support API: support only, 404 for anyone else.
    path("support/claims/", SupportClaimListApi.as_view(), name="api-support-claims"),
    path("support/claims/<int:id>/decide/", SupportClaimDecideApi.as_view(), name="api-support-claim-decide"),
    path("support/appeals/", SupportAppealListApi.as_view(), name="api-support-appeals"),
    path("support/appeals/<int:id>/decide/", SupportAppealDecideApi.as_view(), name="api-support-appeal-decide"),
]
