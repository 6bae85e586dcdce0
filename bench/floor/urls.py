from django.urls import path

from . import views

urlpatterns = [
    path("api/v1/orders/", views.OrderListView.as_view()),
    path("api/v1/orders/<int:pk>/", views.OrderDetailView.as_view()),
    path("api/v1/hello/", views.HelloView.as_view()),
    path("hello.json", views.hello_json),
]
