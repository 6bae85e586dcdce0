from django.urls import path

from .views import AccountCreateApi, ListingDetailApi, ListingListCreateApi, MeApi, TokenCreateApi

urlpatterns = [
    path("accounts/", AccountCreateApi.as_view(), name="api-account-create"),
    path("auth/token/", TokenCreateApi.as_view(), name="api-token-create"),
    path("me/", MeApi.as_view(), name="api-me"),
    path("listings/", ListingListCreateApi.as_view(), name="api-listing-list"),
    path("listings/<int:id>/", ListingDetailApi.as_view(), name="api-listing-detail"),
]
