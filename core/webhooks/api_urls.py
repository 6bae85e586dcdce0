from django.urls import path

from .api import (
    WebhookDeliveryListApi,
    WebhookDetailApi,
    WebhookEventListApi,
    WebhookListCreateApi,
    WebhookRotateSecretApi,
    WebhookTestApi,
)

urlpatterns = [
    path("webhooks/", WebhookListCreateApi.as_view(), name="api-webhook-list"),
    path("webhooks/events/", WebhookEventListApi.as_view(), name="api-webhook-events"),
    path("webhooks/<int:id>/", WebhookDetailApi.as_view(), name="api-webhook-detail"),
    path("webhooks/<int:id>/rotate-secret/", WebhookRotateSecretApi.as_view(), name="api-webhook-rotate-secret"),
    path("webhooks/<int:id>/deliveries/", WebhookDeliveryListApi.as_view(), name="api-webhook-deliveries"),
    path("webhooks/<int:id>/test/", WebhookTestApi.as_view(), name="api-webhook-test"),
]
