from django.urls import path

from .views import (
    AccountCreateApi,
    BlockDetailApi,
    BlockListCreateApi,
    ListingDetailApi,
    ListingListCreateApi,
    MeApi,
    MeAvailabilityApi,
    MeEmailVerificationApi,
    TokenCreateApi,
)

urlpatterns = [
    path("accounts/", AccountCreateApi.as_view(), name="api-account-create"),
    path("auth/token/", TokenCreateApi.as_view(), name="api-token-create"),
    path("me/", MeApi.as_view(), name="api-me"),
    path("me/availability/", MeAvailabilityApi.as_view(), name="api-me-availability"),
    path("me/email/verification/", MeEmailVerificationApi.as_view(), name="api-me-email-verification"),
    path("listings/", ListingListCreateApi.as_view(), name="api-listing-list"),
    path("listings/<int:id>/", ListingDetailApi.as_view(), name="api-listing-detail"),
    path("blocks/", BlockListCreateApi.as_view(), name="api-block-list"),
    path("blocks/<int:id>/", BlockDetailApi.as_view(), name="api-block-detail"),
]
