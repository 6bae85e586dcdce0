from django.urls import path

from . import tickets

urlpatterns = [
    path("tickets/", tickets.ticket_list, name="ticket_list"),
    path("orders/<int:pk>/tickets/panel/", tickets.order_tickets_panel, name="order_tickets_panel"),
    path("orders/<int:pk>/tickets/new/", tickets.ticket_create, name="ticket_create"),
    path("tickets/<int:pk>/", tickets.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/edit/", tickets.ticket_edit, name="ticket_edit"),
    path("tickets/<int:pk>/evidence/", tickets.ticket_evidence, name="ticket_evidence"),
    path("tickets/<int:pk>/cancel/", tickets.ticket_cancel, name="ticket_cancel"),
    # Before the answers' pattern, which would take "withdraw" for one.
    path("tickets/<int:pk>/cancel/withdraw/", tickets.ticket_cancel_withdraw, name="ticket_cancel_withdraw"),
    path("tickets/<int:pk>/cancel/<str:answer>/", tickets.ticket_cancel_answer, name="ticket_cancel_answer"),
    path("tickets/<int:pk>/escalate/", tickets.ticket_escalate, name="ticket_escalate"),
]
