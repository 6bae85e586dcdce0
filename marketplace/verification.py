"""Verifying an e-mail address: the signed link, and the e-mail that carries it.

The link holds the account's id and a keyed digest of the address it was sent to (not the
address itself), signed with a salt of its own and stamped with the time: it expires after
``EMAIL_VERIFICATION_MAX_AGE``, and a link sent to an earlier address of the account no
longer matches once the address has changed.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import User

SALT = "gigfair.marketplace.email-verification"


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


def _address_digest(email: str) -> str:
    return salted_hmac(SALT, email.lower(), algorithm="sha256").hexdigest()[:24]


def email_verification_token(user: User) -> str:
    """A signed, timestamped token that verifies ``user``'s current address."""
    return signing.dumps({"u": user.pk, "e": _address_digest(user.email)}, salt=SALT, compress=True)


def email_verification_read(token: str) -> tuple[int, str]:
    """The account id and address digest a token carries; LinkExpired or LinkInvalid otherwise."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise LinkInvalid from None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int) or not isinstance(payload.get("e"), str):
        raise LinkInvalid
    return payload["u"], payload["e"]


def token_matches_address(digest: str, email: str) -> bool:
    """Whether a token's digest is of ``email`` (the account's address now)."""
    return bool(email) and constant_time_compare(digest, _address_digest(email))


def verification_url(user: User) -> str:
    """The link to put in the e-mail: absolute when GIGFAIR_PUBLIC_URL is set, else the path alone."""
    path = reverse("email_verify", args=[email_verification_token(user)])
    return settings.GIGFAIR_PUBLIC_URL.rstrip("/") + path


def verification_email_send(user: User) -> None:
    """E-mail ``user`` the link that verifies their current address, in their language."""
    days = settings.EMAIL_VERIFICATION_MAX_AGE.days
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _("[Gigfair] Confirm your e-mail address")
        body = ngettext(
            "Hello %(name)s,\n\n"
            "Please confirm that %(email)s is your e-mail address, so that Gigfair can send your "
            "notifications to it. Open this link and press the button on the page:\n\n%(url)s\n\n"
            "The link works for %(days)d day. If you did not sign up for Gigfair or change your address, "
            "ignore this e-mail: nothing more will be sent to this address.",
            "Hello %(name)s,\n\n"
            "Please confirm that %(email)s is your e-mail address, so that Gigfair can send your "
            "notifications to it. Open this link and press the button on the page:\n\n%(url)s\n\n"
            "The link works for %(days)d days. If you did not sign up for Gigfair or change your address, "
            "ignore this e-mail: nothing more will be sent to this address.",
            days,
        ) % {"name": user.public_name, "email": user.email, "url": verification_url(user), "days": days}
    EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email]).send()
