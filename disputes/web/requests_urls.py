from django.urls import path

from . import requests_views as views

urlpatterns = [
    path("orders/<int:pk>/requests/new/<slug:type>/", views.request_open, name="request_open"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/<slug:action>/", views.request_action, name="request_action"),
]
