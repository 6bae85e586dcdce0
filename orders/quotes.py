"""Cancellation quotes as signed tokens: the terms a quote binds travel in its ``quote_id``.

Looking at a quote writes nothing. The quote's terms (the split of the escrow, the fee, the
credit change, the tier, until when it binds) are signed with the site's secret key together
with the order and the person it was made for; cancelling with it verifies the signature and
executes exactly those terms while the quote is valid. Only then is the quote stored, beside
the cancellation it bound, as evidence of what was shown and confirmed. A token cannot be
altered (any change breaks the signature), is useless to anyone else or on another order,
and expires with the quote.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from django.core import signing

from .models import CancellationQuote

SALT = "gigfair.orders.cancellation-quote"
# A token is about 300 characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 1000

_MONEY = ("refund_to_client", "compensation_to_provider", "retained_by_platform", "fee_to_platform")


class QuoteTokenInvalid(Exception):
    """Not a token this site signed (or one that was altered)."""


def _stamp(at: datetime) -> float:
    return at.timestamp()


def _moment(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, tz=UTC)


def quote_token(quote: CancellationQuote) -> str:
    """The signed token of an (unsaved) quote: its id, whom and what it is for, and its terms."""
    payload = {
        "q": quote.id.hex,
        "o": quote.order_id,
        "a": quote.actor_id,
        "r": quote.actor_role,
        "p": quote.policy_id,
        "path": quote.path,
        "tier": quote.tier,
        "m": [str(getattr(quote, name)) for name in _MONEY],
        "c": quote.credit_delta,
        "cp": quote.credit_party,
        "cr": quote.counts_against_completion_rate,
        "cc": quote.counts_as_complaint,
        "f": quote.fault,
        "t": _stamp(quote.created_at),
        "v": _stamp(quote.valid_until),
    }
    return signing.dumps(payload, salt=SALT, compress=True)


def quote_from_token(token: str) -> CancellationQuote:
    """The unsaved quote a token carries; :class:`QuoteTokenInvalid` if it is not a genuine one."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise QuoteTokenInvalid
    try:
        data = signing.loads(token, salt=SALT)
        quote = CancellationQuote(
            id=uuid.UUID(hex=data["q"]),
            order_id=int(data["o"]),
            actor_id=int(data["a"]),
            actor_role=data["r"],
            policy_id=int(data["p"]),
            path=data["path"],
            tier=data["tier"],
            credit_delta=int(data["c"]),
            credit_party=data["cp"],
            counts_against_completion_rate=bool(data["cr"]),
            counts_as_complaint=bool(data["cc"]),
            fault=data["f"],
            created_at=_moment(float(data["t"])),
            valid_until=_moment(float(data["v"])),
            **{name: Decimal(value) for name, value in zip(_MONEY, data["m"], strict=True)},
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise QuoteTokenInvalid from exc
    quote.token = token
    return quote
