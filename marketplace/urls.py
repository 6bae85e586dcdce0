from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .forms import LoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/email/", views.account_email, name="account_email"),
    path("account/time-zone/", views.account_time_zone, name="account_time_zone"),
    path("account/email/verification/", views.account_email_resend, name="account_email_resend"),
    path("account/email/verify/<str:token>/", views.email_verify, name="email_verify"),
    path("listings/new/", views.listing_create, name="listing_create"),
    path("listings/mine/", views.my_listings, name="my_listings"),
    path("listings/<int:pk>/", views.listing_detail, name="listing_detail"),
    path("listings/<int:pk>/withdraw/", views.listing_withdraw, name="listing_withdraw"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path("users/<str:username>/", views.user_profile, name="user_profile"),
    path("users/<str:username>/block/", views.user_block, name="user_block"),
    path("blocks/", views.block_list, name="block_list"),
    path("blocks/<int:pk>/unblock/", views.block_lift, name="block_lift"),
    path("availability/", views.availability, name="availability"),
    path("availability/clear/", views.availability_clear, name="availability_clear"),
]
