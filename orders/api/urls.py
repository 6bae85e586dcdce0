from django.urls import path

from .calendar import MeCalendarApi, MeCalendarFeedApi
from .handovers import HandoverAcceptApi, HandoverDetailApi, HandoverListApi, HandoverWithdrawApi, OrderHandoverApi
from .reviews import OrderReviewListCreateApi, ReviewDetailApi, ReviewReplyApi, ReviewReportApi
from .threads import MessageAttachmentApi, MessageReportCreateApi, OrderMessageListCreateApi
from .views import (
    CancellationReasonListApi,
    OrderCancelApi,
    OrderCancellationQuoteApi,
    OrderCheckInApi,
    OrderCheckOutApi,
    OrderCompleteApi,
    OrderConfirmAttendanceApi,
    OrderDeliverApi,
    OrderDeliveryAcceptApi,
    OrderDetailApi,
    OrderFileApi,
    OrderListCreateApi,
    OrderRequirementsSubmitApi,
    OrderRevisionRequestApi,
)
from .waitlist import ListingWaitlistApi
from .wallet import (
    MeDepositReturnApi,
    MeDepositsApi,
    MePayoutDetailApi,
    MePayoutListCreateApi,
    MeStatementApi,
    MeWalletApi,
)

urlpatterns = [
    path("orders/", OrderListCreateApi.as_view(), name="api-order-list"),
    path("me/calendar/", MeCalendarApi.as_view(), name="api-me-calendar"),
    path("me/wallet/", MeWalletApi.as_view(), name="api-me-wallet"),
    path("me/payouts/", MePayoutListCreateApi.as_view(), name="api-me-payouts"),
    path("me/payouts/<int:id>/", MePayoutDetailApi.as_view(), name="api-me-payout-detail"),
    path("me/statements/<str:month>/", MeStatementApi.as_view(), name="api-me-statement"),
    path("me/deposits/", MeDepositsApi.as_view(), name="api-me-deposits"),
    path("me/deposits/return/", MeDepositReturnApi.as_view(), name="api-me-deposits-return"),
    path("listings/<int:id>/waitlist/", ListingWaitlistApi.as_view(), name="api-listing-waitlist"),
    path("me/calendar/feed/", MeCalendarFeedApi.as_view(), name="api-me-calendar-feed"),
    path("orders/<int:id>/reviews/", OrderReviewListCreateApi.as_view(), name="api-order-reviews"),
    path("reviews/<int:id>/", ReviewDetailApi.as_view(), name="api-review-detail"),
    path("reviews/<int:id>/reply/", ReviewReplyApi.as_view(), name="api-review-reply"),
    path("reviews/<int:id>/report/", ReviewReportApi.as_view(), name="api-review-report"),
    path("orders/<int:id>/", OrderDetailApi.as_view(), name="api-order-detail"),
    path("orders/<int:id>/files/<int:file_id>/", OrderFileApi.as_view(), name="api-order-file"),
    path("orders/<int:id>/requirements/", OrderRequirementsSubmitApi.as_view(), name="api-order-requirements"),
    path("orders/<int:id>/deliver/", OrderDeliverApi.as_view(), name="api-order-deliver"),
    path("orders/<int:id>/accept-delivery/", OrderDeliveryAcceptApi.as_view(), name="api-order-accept-delivery"),
    path("orders/<int:id>/request-revision/", OrderRevisionRequestApi.as_view(), name="api-order-request-revision"),
    path("orders/<int:id>/check-in/", OrderCheckInApi.as_view(), name="api-order-check-in"),
    path("orders/<int:id>/handover/", OrderHandoverApi.as_view(), name="api-order-handover"),
    path("handovers/", HandoverListApi.as_view(), name="api-handover-list"),
    path("handovers/<int:id>/", HandoverDetailApi.as_view(), name="api-handover-detail"),
    path("handovers/<int:id>/accept/", HandoverAcceptApi.as_view(), name="api-handover-accept"),
    path("handovers/<int:id>/withdraw/", HandoverWithdrawApi.as_view(), name="api-handover-withdraw"),
    path("orders/<int:id>/check-out/", OrderCheckOutApi.as_view(), name="api-order-check-out"),
    path(
        "orders/<int:id>/confirm-attendance/",
        OrderConfirmAttendanceApi.as_view(),
        name="api-order-confirm-attendance",
    ),
    path("orders/<int:id>/complete/", OrderCompleteApi.as_view(), name="api-order-complete"),
    path(
        "orders/<int:id>/cancellation-quote/",
        OrderCancellationQuoteApi.as_view(),
        name="api-order-cancellation-quote",
    ),
    path("orders/<int:id>/cancel/", OrderCancelApi.as_view(), name="api-order-cancel"),
    path("cancellation-reasons/", CancellationReasonListApi.as_view(), name="api-cancellation-reasons"),
    path("orders/<int:id>/messages/", OrderMessageListCreateApi.as_view(), name="api-order-messages"),
    path("messages/<int:id>/report/", MessageReportCreateApi.as_view(), name="api-message-report"),
    path(
        "messages/<int:id>/attachments/<int:attachment_id>/",
        MessageAttachmentApi.as_view(),
        name="api-message-attachment",
    ),
]
