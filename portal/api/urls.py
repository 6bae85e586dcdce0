from django.urls import path

from .views import MeCreditApi

urlpatterns = [
    path("me/credit/", MeCreditApi.as_view(), name="api-me-credit"),
]
