from django.urls import path

from . import views

urlpatterns = [
    path("credit/", views.credit_page, name="credit"),
]
