from django.urls import path

from . import calendar_views, handover_views, thread_views, views, wallet_views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("calendar/", calendar_views.shift_calendar, name="shift_calendar"),
    path("wallet/", wallet_views.wallet, name="wallet"),
    path("wallet/statements/<str:month>/", wallet_views.wallet_statement, name="wallet_statement"),
    path("wallet/statements/<str:month>.csv", wallet_views.wallet_statement_csv, name="wallet_statement_csv"),
    path("calendar/feed/", calendar_views.shift_calendar_feed_renew, name="shift_calendar_feed_renew"),
    path("calendar/feed/stop/", calendar_views.shift_calendar_feed_stop, name="shift_calendar_feed_stop"),
    path("calendar/<str:token>.ics", calendar_views.shift_calendar_feed, name="shift_calendar_feed"),
    path("listings/<int:pk>/order/", views.order_create, name="order_create"),
    path("listings/<int:pk>/waitlist/join/", views.waitlist_join, name="waitlist_join"),
    path("listings/<int:pk>/waitlist/leave/", views.waitlist_leave, name="waitlist_leave"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<int:pk>/review/", views.order_review, name="order_review"),
    path("handovers/<int:pk>/", handover_views.handover_detail, name="handover_detail"),
    path("handovers/<int:pk>/accept/", handover_views.handover_accept, name="handover_accept"),
    path("handovers/<int:pk>/withdraw/", handover_views.handover_withdraw, name="handover_withdraw"),
    path("reviews/<int:pk>/reply/", views.review_reply, name="review_reply"),
    path("reviews/<int:pk>/report/", views.review_report, name="review_report"),
    # Before the action pattern below, which would take "messages" for an action.
    path("orders/<int:pk>/messages/", thread_views.order_messages, name="order_messages"),
    path("messages/<int:pk>/report/", thread_views.message_report, name="message_report"),
    path("orders/<int:pk>/<slug:action>/", views.order_action, name="order_action"),
    # Stored files, each kind at one address, served only to those who may see them (evidence is
    # at files/evidence/, in disputes).
    path("files/deliveries/<int:pk>/", views.delivery_file, name="delivery_file"),
    path("files/messages/<int:pk>/", thread_views.message_attachment, name="message_attachment"),
]
