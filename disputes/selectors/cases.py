"""Reads of support cases, shaped for their pages, the API and the back office (no N+1)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from core.exceptions import NotFound
from core.models import TransitionLog
from core.prepared import PreparedRead, columns, instance
from core.support import is_support
from disputes.models import AfterSalesTicket, CaseStatement, Evidence, RequestState, ResolutionRequest, SupportCase
from orders.models import Order
from orders.selectors import order_messages


def _int(pk) -> int | None:
    try:
        return int(pk)
    except (TypeError, ValueError):
        return None


def _party_filter(user, prefix: str = "order__") -> Q:
    return Q(**{f"{prefix}client": user}) | Q(**{f"{prefix}provider": user})


def case_list_for(*, user, state: str | None = None, order=None) -> QuerySet[SupportCase]:
    """Cases on orders where ``user`` is client or provider, newest first."""
    qs = SupportCase.objects.filter(_party_filter(user))
    if state:
        qs = qs.filter(state=state)
    if order is not None:
        qs = qs.filter(order=order)
    return qs.select_related("order", "opened_by").order_by("-created_at", "-id")


_cases_of_order = PreparedRead(
    lambda order_id: SupportCase.objects.filter(order_id=order_id).values_list(*columns(SupportCase)), "order_id"
)


def cases_of_order(*, order: Order) -> list[SupportCase]:
    """The support cases of ``order``, newest first (the order page): a prepared read."""
    found = [instance(SupportCase, row) for row in _cases_of_order(order_id=order.pk)]
    for case in found:
        case.order = order
    return found


def case_get_for(*, pk, user) -> SupportCase:
    """One case with its statements and evidence; NotFound unless ``user`` is a party or staff."""
    pk = _int(pk)
    qs = SupportCase.objects.select_related(
        "order__client",
        "order__provider",
        "order__policy",
        "opened_by",
        "assignee",
        "ruled_by",
        "appealed_by",
        "appeal_ruled_by",
        "info_requested_from",
        "escalated_from",
        "escalated_from_ticket",
    ).prefetch_related(
        Prefetch("statements", queryset=CaseStatement.objects.select_related("author").order_by("created_at", "id")),
        Prefetch("evidence", queryset=Evidence.objects.select_related("uploaded_by").order_by("created_at", "id")),
    )
    if not is_support(user):
        qs = qs.filter(_party_filter(user))
    case = qs.filter(pk=pk).first() if pk is not None else None
    if case is None:
        raise NotFound(_("No such case."))
    return case


def case_history(case: SupportCase) -> QuerySet[TransitionLog]:
    """The case's own transition log, oldest first."""
    return (
        TransitionLog.objects.filter(content_type=ContentType.objects.get_for_model(SupportCase), object_id=case.pk)
        .select_related("actor")
        .order_by("at", "id")
    )


def case_order_history(case: SupportCase) -> QuerySet[TransitionLog]:
    """The transition log of the case's order, attached to every case, oldest first."""
    return (
        TransitionLog.objects.filter(content_type=ContentType.objects.get_for_model(Order), object_id=case.order_id)
        .select_related("actor")
        .order_by("at", "id")
    )


def case_ticket_history(case: SupportCase) -> list[TransitionLog]:
    """The transition log of the after-sales ticket the case escalates, attached to it, oldest first."""
    if case.escalated_from_ticket_id is None:
        return []
    return list(
        TransitionLog.objects.filter(
            content_type=ContentType.objects.get_for_model(AfterSalesTicket), object_id=case.escalated_from_ticket_id
        )
        .select_related("actor")
        .order_by("at", "id")
    )


def case_order_messages(case: SupportCase) -> list:
    """The order's message thread, attached to the case read-only."""
    return list(order_messages(case.order))


def declined_requests_to_escalate(*, order) -> QuerySet[ResolutionRequest]:
    """Declined requests of ``order`` that no case escalates yet, newest first."""
    return ResolutionRequest.objects.filter(
        order=order, state=RequestState.DECLINED, escalated_to__isnull=True
    ).order_by("-created_at", "-id")


def evidence_get_for(*, pk, user) -> Evidence:
    """An evidence file ``user`` may download: a party of its case's, ticket's or claim's order, the
    appellant of its appeal, or support (a plain staff account is not)."""
    pk = _int(pk)
    qs = Evidence.objects.all()
    if not is_support(user):
        if not user.is_authenticated:
            raise NotFound(_("No such file."))
        qs = qs.filter(
            _party_filter(user, "case__order__")
            | _party_filter(user, "ticket__order__")
            | _party_filter(user, "claim__order__")
            | Q(appeal__appellant=user)
        )
    evidence = qs.filter(pk=pk).first() if pk is not None else None
    if evidence is None:
        raise NotFound(_("No such file."))
    return evidence
