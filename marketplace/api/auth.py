"""API tokens: the partner API's own credential, issued for a username and password."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from core.exceptions import TooManyRequests, ValidationFailed
from marketplace.logins import lock_for, lock_message, login_failures_forget_on_success, retry_after_seconds


def api_token_issue(*, request, username: str, password: str) -> Token:
    """The user's API token (created on first use), or a 400 when the credentials do not match.

    Through ``authenticate(request, ...)``, so django-axes counts the failures: while a lock holds
    for this username from this address, even the right password gets a 429 with Retry-After.
    """
    user = authenticate(request, username=username, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            until = lock_for(request, username)
            raise TooManyRequests(
                lock_message(until),
                code="too_many_login_failures",
                retry_after=retry_after_seconds(until),
                extra={"locked_until": until.isoformat()},
            )
        # unknown user, wrong password or deactivated account: one answer for all
        message = _("Unable to log in with the given username and password.")
        raise ValidationFailed(message, code="invalid_credentials", errors={"non_field_errors": [message]})
    login_failures_forget_on_success(request=request, username=username)
    token, _created = Token.objects.get_or_create(user=user)
    return token
