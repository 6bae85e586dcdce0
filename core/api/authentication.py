"""The API's token authentication, its lookup a prepared read (every API request makes it)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from core.prepared import PreparedRead, columns, instance

# Built when first used, once the user model can be named.
_token_with_user = PreparedRead(
    lambda key: Token.objects.filter(key=key).values_list(*columns(Token), *columns(get_user_model(), "user__")),
    "key",
    text=("key",),
)


class PreparedTokenAuthentication(TokenAuthentication):
    """DRF's ``Authorization: Token …``, answering exactly as it does."""

    def authenticate_credentials(self, key):
        rows = _token_with_user(key=key)
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = instance(Token, rows[0])
        token.user = instance(get_user_model(), rows[0], "user__")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
