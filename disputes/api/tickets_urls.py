from django.urls import path

from .tickets import (
    TicketCancelApi,
    TicketCancelConfirmApi,
    TicketCancelDecideApi,
    TicketCancelReasonListApi,
    TicketCancelRefuseApi,
    TicketCancelWithdrawApi,
    TicketDetailApi,
    TicketEscalateApi,
    TicketEvidenceCreateApi,
    TicketListCreateApi,
)

urlpatterns = [
    path("tickets/", TicketListCreateApi.as_view(), name="api-ticket-list"),
    path("tickets/<int:id>/", TicketDetailApi.as_view(), name="api-ticket-detail"),
    path("tickets/<int:id>/cancel/", TicketCancelApi.as_view(), name="api-ticket-cancel"),
    path("tickets/<int:id>/cancel/confirm/", TicketCancelConfirmApi.as_view(), name="api-ticket-cancel-confirm"),
    path("tickets/<int:id>/cancel/refuse/", TicketCancelRefuseApi.as_view(), name="api-ticket-cancel-refuse"),
    path("tickets/<int:id>/cancel/withdraw/", TicketCancelWithdrawApi.as_view(), name="api-ticket-cancel-withdraw"),
    path("tickets/<int:id>/cancel/decide/", TicketCancelDecideApi.as_view(), name="api-ticket-cancel-decide"),
    path("tickets/<int:id>/escalate/", TicketEscalateApi.as_view(), name="api-ticket-escalate"),
    path("tickets/<int:id>/evidence/", TicketEvidenceCreateApi.as_view(), name="api-ticket-evidence"),
    path("ticket-cancel-reasons/", TicketCancelReasonListApi.as_view(), name="api-ticket-cancel-reasons"),
]
