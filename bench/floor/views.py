from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django_fsm import can_proceed
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Order


class OrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Order
        fields = "__all__"


class TransitionInputSerializer(serializers.Serializer):
    order = serializers.IntegerField()


class OrderListView(generics.ListAPIView):
    """GET: the caller's orders, 20 a page. POST: lock one, make one transition, save."""

    serializer_class = OrderSerializer

    def get_queryset(self):
        return Order.objects.filter(client=self.request.user)

    def post(self, request):
        data = TransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            order = get_object_or_404(
                Order.objects.select_for_update(), pk=data.validated_data["order"], client=request.user
            )
            # Back and forth between two states, so every request really changes the row.
            if can_proceed(order.deliver):
                order.deliver()
            else:
                order.reopen()
            order.save()
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class OrderDetailView(generics.RetrieveAPIView):
    serializer_class = OrderSerializer

    def get_queryset(self):
        return Order.objects.filter(client=self.request.user)


class HelloView(APIView):
    def get(self, request):
        return Response({"hello": "world", "user": request.user.pk})


def hello_json(request):
    return JsonResponse({"hello": "world"})
