from django.urls import path

from .profiles import UserProfileApi
from .views import MeCreditApi

urlpatterns = [
    path("me/credit/", MeCreditApi.as_view(), name="api-me-credit"),
    path("users/<str:username>/", UserProfileApi.as_view(), name="api-user-detail"),
]
