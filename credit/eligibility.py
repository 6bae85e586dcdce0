"""Who may do what, given their credit: called by the services that make orders and listings."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.exceptions import PermissionDenied
from core.i18n import Moment
from core.prepared import PreparedRead, columns, instance

from .models import CreditAccount, Restriction, RestrictionKind
from .services import START_SCORE

# Prepared: every order and booking asks them.
_score_of = PreparedRead(lambda user_id: CreditAccount.objects.filter(user_id=user_id).values_list("score"), "user_id")
_restriction_of = PreparedRead(
    lambda user_id, kind: (
        Restriction.objects.filter(user_id=user_id, kind=kind, lifted_at__isnull=True)
        .order_by("pk")
        .values_list(*columns(Restriction))[:1]
    ),
    "user_id",
    "kind",
    text=("kind",),
)


def _restriction(user_id: int, kind: str) -> Restriction | None:
    rows = _restriction_of(user_id=user_id, kind=kind)
    return instance(Restriction, rows[0]) if rows else None


def _score(user_id: int) -> int:
    rows = _score_of(user_id=user_id)
    return rows[0]["score"] if rows else START_SCORE


def require_can_take_orders(*, provider, actor, policy) -> None:
    """Refuse a new order for a provider who is suspended or below ``policy``'s minimum score."""
    is_self = provider.pk == actor.pk
    restriction = _restriction(provider.pk, RestrictionKind.TAKING_ORDERS)
    if restriction is not None:
        if is_self:
            message = _("You cannot take new orders: %(why)s %(restores)s") % {
                "why": restriction.reason,
                "restores": restriction.restores,
            }
        else:
            message = _("This provider cannot take new orders right now.")
        raise PermissionDenied(message, code="taking_orders_restricted")
    score = _score(provider.pk)
    if score < policy.min_provider_score:
        if is_self:
            message = _(
                "Your credit score is %(score)d; providers need %(min)d to take new orders. Completing your open "
                "orders adds to it, and support can review events you think are wrong."
            ) % {"score": score, "min": policy.min_provider_score}
        else:
            message = _("This provider cannot take new orders right now.")
        raise PermissionDenied(message, code="provider_credit_too_low")


def require_min_score(*, user, minimum: int | None) -> None:
    """Refuse a listing that asks for a higher credit score than ``user`` has."""
    if minimum is None:
        return
    score = _score(user.pk)
    if score < minimum:
        raise PermissionDenied(
            _(
                "This listing asks for a credit score of at least %(min)d; yours is %(score)d. Completed orders "
                "raise it by one each."
            )
            % {"min": minimum, "score": score},
            code="credit_score_too_low",
        )


def require_early_access(*, user, minimum: int, opens_at) -> None:
    """Refuse a shift in its early-access hours to a worker under ``minimum``: it opens to everyone at ``opens_at``."""
    score = _score(user.pk)
    if score < minimum:
        raise PermissionDenied(
            _(
                "For now this shift is open only to workers with a credit score of at least %(min)d (yours is "
                "%(score)d); everyone can book it from %(opens)s."
            )
            % {"min": minimum, "score": score, "opens": Moment(opens_at)},
            code="early_access",
        )


def require_can_post(*, user) -> None:
    """Refuse a listing from a user whose right to post was taken away."""
    restriction = _restriction(user.pk, RestrictionKind.POSTING)
    if restriction is not None:
        raise PermissionDenied(
            _("You cannot post listings: %(why)s %(restores)s")
            % {"why": restriction.reason, "restores": restriction.restores},
            code="posting_restricted",
        )
