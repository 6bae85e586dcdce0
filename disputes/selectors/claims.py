"""Reads of claims with proof and appeals of penalties, shaped for their pages, the API and support."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from core.exceptions import NotFound
from core.prepared import PreparedRead, columns, instance
from core.support import is_support
from disputes.models import AppealState, Claim, ClaimState, Evidence, PenaltyAppeal
from marketplace.models import User

_EVIDENCE = Prefetch("evidence", queryset=Evidence.objects.select_related("uploaded_by").order_by("created_at", "id"))


def _int(pk) -> int | None:
    try:
        return int(pk)
    except (TypeError, ValueError):
        return None


def claim_get_for(*, pk, user) -> Claim:
    """One claim, for the parties of its order and support; NotFound for anyone else."""
    qs = Claim.objects.select_related(
        "order__client", "order__provider", "claimant", "cancellation", "decided_by"
    ).prefetch_related(_EVIDENCE)
    if not is_support(user):
        qs = qs.filter(Q(order__client=user) | Q(order__provider=user))
    claim = qs.filter(pk=_int(pk)).first() if _int(pk) is not None else None
    if claim is None:
        raise NotFound(_("No such claim."))
    return claim


_claim_of_order = PreparedRead(
    lambda order_id: (
        Claim.objects.filter(order_id=order_id)
        .order_by("pk")
        .values_list(*columns(Claim), *columns(User, "claimant__"))
    ),
    "order_id",
)


def claim_of_order(*, order) -> Claim | None:
    """The claim filed on ``order``, if any (there is at most one), with its claimant: a prepared
    read (the order page)."""
    rows = _claim_of_order(order_id=order.pk)
    if not rows:
        return None
    claim = instance(Claim, rows[0])
    claim.claimant = instance(User, rows[0], "claimant__")
    claim.order = order
    return claim


def claims_waiting(*, state: str | None = ClaimState.PENDING_REVIEW) -> QuerySet[Claim]:
    """Support's queue: claims in ``state`` (all when None), the most urgent decision first."""
    qs = Claim.objects.select_related("order", "claimant", "assignee")
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("decision_due", "id")


def appeal_get_for(*, pk, user) -> PenaltyAppeal:
    """One appeal, for its appellant and support; NotFound for anyone else."""
    qs = PenaltyAppeal.objects.select_related("event", "order", "appellant", "decided_by").prefetch_related(_EVIDENCE)
    if not is_support(user):
        qs = qs.filter(appellant=user)
    appeal = qs.filter(pk=_int(pk)).first() if _int(pk) is not None else None
    if appeal is None:
        raise NotFound(_("No such appeal."))
    return appeal


def appeals_by_event(*, user, event_ids) -> dict[int, PenaltyAppeal]:
    """``user``'s appeals of the events ``event_ids``, by event: one query for a page of events."""
    return {a.event_id: a for a in PenaltyAppeal.objects.filter(appellant=user, event_id__in=list(event_ids))}


def appeals_waiting(*, state: str | None = AppealState.OPEN) -> QuerySet[PenaltyAppeal]:
    """Support's queue: appeals in ``state`` (all when None), the most urgent decision first."""
    qs = PenaltyAppeal.objects.select_related("event", "order", "appellant", "assignee")
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("decision_due", "id")
