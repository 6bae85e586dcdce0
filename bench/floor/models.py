from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, transition


class Order(models.Model):
    """Eight fields: id, client, provider, state, price, currency, created_at, due_at."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    provider = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = FSMField(default="in_progress")
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=("client", "-created_at"), name="floor_order_client_recent_idx")]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @transition(field=state, source="in_progress", target="delivered")
    def deliver(self) -> None:
        pass

    @transition(field=state, source="delivered", target="in_progress")
    def reopen(self) -> None:
        pass
