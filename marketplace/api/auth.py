"""API tokens: the partner API's own credential, issued for a username and password."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from core.exceptions import ValidationFailed


def api_token_issue(*, request, username: str, password: str) -> Token:
    """The user's API token (created on first use), or a 400 when the credentials do not match."""
    user = authenticate(request, username=username, password=password)
    if user is None:  # unknown user, wrong password or deactivated account: one answer for all
        message = _("Unable to log in with the given username and password.")
        raise ValidationFailed(message, code="invalid_credentials", errors={"non_field_errors": [message]})
    token, _created = Token.objects.get_or_create(user=user)
    return token
