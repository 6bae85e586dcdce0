from django.urls import path

from .requests import (
    OrderRequestListCreateApi,
    RequestAcceptApi,
    RequestDeclineApi,
    RequestDetailApi,
    RequestRespondApi,
    RequestWithdrawApi,
)

urlpatterns = [
    path("orders/<int:id>/requests/", OrderRequestListCreateApi.as_view(), name="api-order-requests"),
    path("requests/<int:id>/", RequestDetailApi.as_view(), name="api-request-detail"),
    path("requests/<int:id>/accept/", RequestAcceptApi.as_view(), name="api-request-accept"),
    path("requests/<int:id>/decline/", RequestDeclineApi.as_view(), name="api-request-decline"),
    path("requests/<int:id>/withdraw/", RequestWithdrawApi.as_view(), name="api-request-withdraw"),
    path("requests/<int:id>/respond/", RequestRespondApi.as_view(), name="api-request-respond"),
]
