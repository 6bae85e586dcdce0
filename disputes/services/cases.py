"""Support cases: a party asks support to rule; agents assign, ask for information and rule.

Every service here locks the case row, re-checks its state, calls the pure transition of
``SupportCase``, saves, writes the transition log in the same transaction and tells both
parties (in the app and by e-mail, after the commit). A ruling's money and credit effects go
through the cancellation engine (``orders.cancellation``) and the credit app's services; an
upheld appeal reverses them there, and both the ruling and its reversal stay in the history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_fsm import can_proceed

from core.audit import transition_logged
from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.i18n import Joined, Text, Translatable
from core.models import ActorRole
from core.support import SUPERVISOR_GROUP, is_support, support_members
from core.text import text_clean
from core.timeutils import add_business_days
from core.uploads import upload_check
from credit.models import CreditEvent, CreditReason, Restriction, RestrictionKind
from credit.services import credit_event_record, credit_event_reverse, restriction_impose_or_get, restriction_lift
from disputes.models import (
    AfterSalesTicket,
    CaseCategory,
    CaseState,
    CaseStatement,
    Evidence,
    RequestState,
    ResolutionRequest,
    SupportCase,
)
from marketplace.models import User
from marketplace.notifications import notify
from orders.cancellation import cancellation_reverse, order_cancel_by_support
from orders.models import PERSON_REASONS, Cancellation, Fault, Order
from orders.services import order_lock

MAX_TEXT = 10_000
MAX_SHORT_TEXT = 5_000
LIVE_STATES = (CaseState.OPEN, CaseState.AWAITING_INFO, CaseState.RULED, CaseState.APPEALED)
PARTIES = ("client", "provider")

# The cancellation reason a ruling names by default, from what the case is about.
DEFAULT_CANCEL_REASON = {
    CaseCategory.NOT_AS_DESCRIBED: "not_as_described",
    CaseCategory.PAY: "client_changed_demand",
    CaseCategory.FORCE_MAJEURE: "force_majeure",
}


# --- Who may act ----------------------------------------------------------------------------


def is_supervisor(user) -> bool:
    """A superuser, or an active staff member of the "supervisor" group."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return is_support(user) and user.groups.filter(name=SUPERVISOR_GROUP).exists()


def supervisors() -> QuerySet[User]:
    """Everyone an SLA breach or an appeal is escalated to."""
    return (
        User.objects.filter(support_members())
        .filter(Q(is_superuser=True) | Q(groups__name=SUPERVISOR_GROUP))
        .distinct()
        .order_by("pk")
    )


def _role(case: SupportCase, actor) -> str:
    """``client``, ``provider`` or ``support``; a stranger is told there is no such case."""
    role = case.order.role_of(actor)
    if role is not None:
        return role
    if is_support(actor):
        return ActorRole.SUPPORT
    raise NotFound(_("No such case."))


def _require_staff(actor, message: str) -> None:
    if not is_support(actor, "disputes.change_supportcase"):
        raise PermissionDenied(message)


def _party_user(order: Order, role: str) -> User:
    return order.client if role == "client" else order.provider


def case_lock(*, case_id: int) -> SupportCase:
    """Re-read the case under a row lock, with its order; call inside a transaction."""
    try:
        return (
            SupportCase.objects.select_for_update(of=("self",))
            .select_related("order__client", "order__provider", "order__policy")
            .get(pk=case_id)
        )
    except SupportCase.DoesNotExist:
        raise NotFound(_("No such case.")) from None


# --- Small checks ---------------------------------------------------------------------------


def _transition(case: SupportCase, method, code_message: str) -> None:
    if not can_proceed(method):
        raise Conflict(code_message, code="invalid_transition")


def _notify(case: SupportCase, *, kind: str, title: Text, body: Text, extra: Iterable = (), skip=None) -> None:
    """Tell both parties (and ``extra`` users: the assignee, supervisors), once each, after commit."""
    order = case.order
    notify(
        users=[order.client_id, order.provider_id, *extra], skip=skip, kind=kind, title=title, body=body, order=order
    )


def _title(case: SupportCase, msgid: str) -> Translatable:
    return Translatable(msgid, {"case": case.pk, "order": case.order_id})


# --- Opening a case -------------------------------------------------------------------------


@transaction.atomic
def case_open(
    *,
    order: Order,
    actor: User,
    category: str,
    statement: str,
    desired_outcome: str,
    escalated_from: ResolutionRequest | int | None = None,
    ticket: AfterSalesTicket | None = None,
) -> SupportCase:
    """A party asks support to rule on ``order``, with a statement and the outcome asked for.

    ``ticket``: the rejected after-sales ticket of ``order`` the case escalates (its service
    checks who may escalate it and when).
    """
    if category not in CaseCategory.values:
        text = _("Choose a category: %(list)s.") % {"list": ", ".join(CaseCategory.values)}
        raise ValidationFailed(text, errors={"category": [text]})
    statement = text_clean(statement, field="statement", limit=MAX_TEXT, required_message=_("Say what happened."))
    desired_outcome = text_clean(
        desired_outcome,
        field="desired_outcome",
        limit=MAX_SHORT_TEXT,
        required_message=_("Say what you ask support to do."),
    )
    # The order's lock serialises cases opened on it at the same moment (one live case per order).
    order = order_lock(order_id=order.pk)
    role = order.role_of(actor)
    if role is None:
        raise NotFound(_("No such order."))
    live = SupportCase.objects.filter(order=order, state__in=LIVE_STATES).first()
    if live is not None:
        raise Conflict(
            _("Case #%(id)s on this order is still open: add to it instead.") % {"id": live.pk},
            code="case_already_open",
            extra={"case": live.pk},
        )
    request = _escalated_request(order, escalated_from, category)
    now = timezone.now()
    policy = order.policy
    case = SupportCase(
        order=order,
        opened_by=actor,
        opened_by_role=role,
        category=category,
        statement=statement,
        desired_outcome=desired_outcome,
        escalated_from=request,
        escalated_from_ticket=ticket,
        first_response_due=now + timedelta(hours=policy.case_first_response_hours),
        ruling_due=now + timedelta(hours=policy.case_ruling_hours),
    )
    case.created_at = now
    case.save()
    transition_logged(
        case,
        transition="open",
        from_state="",
        actor=actor,
        actor_role=role,
        reason=str(CaseCategory(category).label),
        at=now,
    )
    _notify(
        case,
        kind="case_opened",
        title=_title(case, gettext_noop("Support case #%(case)s opened on order #%(order)s")),
        body=Translatable(
            gettext_noop(
                "The %(role)s asked support to rule (%(category)s). Both parties can add statements and evidence; "
                "support answers by %(due)s."
            ),
            {
                "role": ActorRole(role).label,
                "category": CaseCategory(category).label,
                "due": case.first_response_due.isoformat(timespec="minutes"),
            },
        ),
    )
    return case


def _escalated_request(order: Order, escalated_from, category: str) -> ResolutionRequest | None:
    """The declined request a case escalates: the one named, or for that category the latest one."""
    qs = ResolutionRequest.objects.select_for_update(of=("self",)).filter(order=order)
    if escalated_from in (None, ""):
        if category != CaseCategory.DECLINED_REQUEST:
            return None
        request = qs.filter(state=RequestState.DECLINED, escalated_to__isnull=True).order_by("-created_at").first()
        if request is None:
            text = _("This order has no declined request to escalate.")
            raise ValidationFailed(text, errors={"escalated_from": [text]})
        return request
    request_id = getattr(escalated_from, "pk", escalated_from)
    try:
        request = qs.filter(pk=int(request_id)).first()
    except (TypeError, ValueError):
        request = None
    if request is None:
        text = _("No such request on this order.")
        raise ValidationFailed(text, errors={"escalated_from": [text]})
    if request.state != RequestState.DECLINED:
        text = _("Only a declined request can be escalated to support.")
        raise ValidationFailed(text, errors={"escalated_from": [text]})
    if SupportCase.objects.filter(escalated_from=request).exists():
        raise Conflict(_("This request was already escalated to support."), code="already_escalated")
    return request


# --- Statements and evidence ----------------------------------------------------------------


@transaction.atomic
def case_add_statement(*, case: SupportCase, actor: User, text: str) -> CaseStatement:
    """A party or support adds to the case; the asked party's answer ends a wait for information."""
    text = text_clean(text, field="text", limit=MAX_TEXT, required_message=_("Write your statement."))
    case = case_lock(case_id=case.pk)
    role = _role(case, actor)
    if case.state == CaseState.CLOSED:
        raise Conflict(_("This case is closed."), code="case_closed")
    now = timezone.now()
    statement = CaseStatement.objects.create(case=case, author=actor, author_role=role, text=text, created_at=now)
    if role == ActorRole.SUPPORT and case.first_response_at is None:
        case.first_response_at = now
        case.save(update_fields=("first_response_at", "updated_at"))
    if case.state == CaseState.AWAITING_INFO and case.info_requested_from_id == actor.pk:
        from_state = case.state
        case.info_received()
        case.save(update_fields=("state", "info_due_at", "updated_at"))
        transition_logged(
            case, transition="info_received", from_state=from_state, actor=actor, actor_role=role, reason=text, at=now
        )
        _notify(
            case,
            kind="case_info_received",
            title=_title(case, gettext_noop("Information sent on support case #%(case)s (order #%(order)s)")),
            body=Translatable(
                gettext_noop("%(who)s answered support's question:\n\n%(text)s"),
                {"who": actor.public_name, "text": text},
            ),
            extra=(case.assignee_id,),
        )
    else:
        who = Translatable(gettext_noop("Support")) if role == ActorRole.SUPPORT else actor.public_name
        _notify(
            case,
            kind="case_statement",
            title=_title(case, gettext_noop("New statement on support case #%(case)s (order #%(order)s)")),
            body=Translatable(gettext_noop("%(who)s wrote:\n\n%(text)s"), {"who": who, "text": text}),
            skip=actor,
        )
    return statement


EVIDENCE_KINDS = ("image", "pdf")


@transaction.atomic
def case_add_evidence(*, case: SupportCase, actor: User, file, description: str = "") -> Evidence:
    """A party adds a file (images or PDF, 10 MB, type checked by content) while the case is not closed."""
    description = text_clean(description, field="description", limit=500)
    case = case_lock(case_id=case.pk)
    role = case.order.role_of(actor)
    if role is None:
        if is_support(actor):
            raise PermissionDenied(_("Only the parties add evidence; support adds statements."))
        raise NotFound(_("No such case."))
    if case.state == CaseState.CLOSED:
        raise Conflict(_("This case is closed."), code="case_closed")
    if file is None:
        text = _("Choose a file.")
        raise ValidationFailed(text, errors={"file": [text]})
    upload, content_type = upload_check(file, allowed=EVIDENCE_KINDS)
    # Stored under a random name (``evidence_path``): the uploader's name is kept in ``name`` only.
    return Evidence.objects.create(
        case=case,
        uploaded_by=actor,
        file=upload,
        name=(upload.name or "evidence")[-255:],
        content_type=content_type,
        size=upload.size,
        description=description,
        created_at=timezone.now(),
    )


# --- Agents: assign, ask for information ----------------------------------------------------


@transaction.atomic
def case_assign(*, case: SupportCase, actor: User, assignee: User | None = None) -> SupportCase:
    """Staff take a case (``assignee`` defaults to themselves)."""
    _require_staff(actor, _("Only support staff can assign cases."))
    assignee = assignee or actor
    if not is_support(assignee, "disputes.change_supportcase"):
        text = _("Cases are assigned to support staff.")
        raise ValidationFailed(text, errors={"assignee": [text]})
    case = case_lock(case_id=case.pk)
    if case.state == CaseState.CLOSED:
        raise Conflict(_("This case is closed."), code="case_closed")
    if case.assignee_id == assignee.pk:
        return case
    case.assignee = assignee
    case.save(update_fields=("assignee", "updated_at"))
    transition_logged(
        case,
        transition="assign",
        from_state=case.state,
        actor=actor,
        actor_role=ActorRole.SUPPORT,
        reason=Translatable(gettext_noop("Assigned to %(who)s"), {"who": assignee.get_username()}),
        at=timezone.now(),
    )
    notify(
        users=[assignee],
        skip=actor,
        kind="case_assigned",
        title=_title(case, gettext_noop("Support case #%(case)s (order #%(order)s) is assigned to you")),
        order=case.order,
    )
    return case


def _info_due(case: SupportCase, now: datetime) -> datetime:
    policy = case.order.policy
    if policy.windows_in_business_days:
        # A 72 h window counted in working days: weekends do not eat the party's time to answer.
        return add_business_days(now, max(1, -(-policy.case_info_hours // 24)))
    return now + timedelta(hours=policy.case_info_hours)


@transaction.atomic
def case_ask_for_info(*, case: SupportCase, actor: User, party: str, question: str) -> SupportCase:
    """Staff ask the client or the provider for more information; they have the policy's hours to answer."""
    _require_staff(actor, _("Only support staff can ask for information."))
    if party not in PARTIES:
        text = _("Ask the client or the provider.")
        raise ValidationFailed(text, errors={"party": [text]})
    question = text_clean(question, field="question", limit=MAX_SHORT_TEXT, required_message=_("Say what you need."))
    case = case_lock(case_id=case.pk)
    if case.state == CaseState.APPEALED:
        # After the information the case would go back to "open" and lose the appeal: supervisors
        # ask on an appeal with a support statement instead.
        raise Conflict(
            _("The case is under appeal: add a support statement to ask the parties."), code="appeal_pending"
        )
    _transition(case, case.ask_for_info, _("Information can be asked only while the case is open."))
    now = timezone.now()
    from_state = case.state
    asked = _party_user(case.order, party)
    case.ask_for_info(from_user=asked, question=question, due_at=_info_due(case, now), at=now)
    fields = ["state", "info_requested_from", "info_request", "info_due_at", "first_response_at", "updated_at"]
    if case.assignee_id is None:
        case.assignee = actor
        fields.append("assignee")
    case.save(update_fields=fields)
    transition_logged(
        case,
        transition="ask_for_info",
        from_state=from_state,
        actor=actor,
        actor_role=ActorRole.SUPPORT,
        reason=question,
        at=now,
    )
    _notify(
        case,
        kind="case_info_requested",
        title=_title(case, gettext_noop("Support asks for more information on case #%(case)s (order #%(order)s)")),
        body=Translatable(
            gettext_noop(
                "Support asks the %(role)s (%(who)s), who has until %(due)s to answer with a statement:\n\n%(q)s"
            ),
            {
                "role": ActorRole(party).label,
                "who": asked.public_name,
                "due": case.info_due_at.isoformat(timespec="minutes"),
                "q": question,
            },
        ),
    )
    return case


# --- Ruling ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreditEffect:
    """A credit change a ruling makes for one party."""

    party: str
    delta: int


@dataclass(frozen=True)
class RestrictionEffect:
    """A right a ruling takes away from one party."""

    party: str
    kind: str


def _restriction_marker(case: SupportCase) -> str:
    # Names the case in the restriction's reason, for the people reading it.
    return f"(#{case.pk})"


@transaction.atomic
def case_rule(
    *,
    case: SupportCase,
    actor: User,
    outcome: str,
    fault: str,
    ruling: str,
    cancel_order: bool = False,
    cancel_reason: str | None = None,
    refund_percent: Decimal | None = None,
    credit: Sequence[CreditEffect] = (),
    restrictions: Sequence[RestrictionEffect] = (),
) -> SupportCase:
    """Staff rule: outcome, fault, money split (a cancellation through the engine), credit, restrictions."""
    _require_staff(actor, _("Only support staff can rule on a case."))
    errors: dict[str, list[str]] = {}
    if fault not in Fault.values:
        errors["fault"] = [_("Choose the fault: client, provider, force_majeure or none.")]
    outcome = (outcome or "").strip()
    ruling = (ruling or "").strip()
    if not outcome:
        errors["outcome"] = [_("Say what the ruling decides.")]
    if not ruling:
        errors["ruling"] = [_("Explain the ruling; both parties will see it.")]
    if len(ruling) > MAX_TEXT or len(outcome) > MAX_SHORT_TEXT:
        errors.setdefault("ruling", []).append(_("At most %(n)d characters.") % {"n": MAX_TEXT})
    if refund_percent not in (None, ""):
        try:
            refund_percent = Decimal(refund_percent)
        except (InvalidOperation, TypeError, ValueError):
            refund_percent = Decimal(-1)
        if not cancel_order:
            errors["refund_percent"] = [_("A refund split applies only when the ruling cancels the order.")]
        elif not Decimal(0) <= refund_percent <= Decimal(100):
            errors["refund_percent"] = [_("A refund is between 0 and 100 %.")]
    else:
        refund_percent = None
    for effect in credit:
        if effect.party not in PARTIES or not isinstance(effect.delta, int) or not -100 <= effect.delta <= 100:
            errors["credit"] = [_("A credit change names the client or the provider and is between -100 and 100.")]
    for effect in restrictions:
        if effect.party not in PARTIES or effect.kind not in RestrictionKind.values:
            errors["restrictions"] = [_("A restriction names the client or the provider and a known kind.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)

    case = case_lock(case_id=case.pk)
    _transition(case, case.rule, _("This case is not waiting for a ruling."))
    order = case.order
    now = timezone.now()
    if cancel_order:
        if not order.is_open:
            raise Conflict(
                _("The order is already %(state)s: rule without cancelling it.") % {"state": order.get_state_display()},
                code="order_closed",
            )
        reason = cancel_reason or DEFAULT_CANCEL_REASON.get(case.category, "other")
        if reason not in dict(PERSON_REASONS):
            text = _("Choose a cancellation reason from the taxonomy.")
            raise ValidationFailed(text, errors={"cancel_reason": [text]})
        # The cancellation says what it wrote: the ruling links its record and credit events.
        cancelled = order_cancel_by_support(
            order=order, actor=actor, fault=fault, reason=reason, message=ruling, refund_percent=refund_percent
        )
        now = cancelled.order.cancelled_at
        order = case.order = cancelled.order
        case.ruling_cancellation = cancelled.cancellation
        ruled_events = list(cancelled.credit_events)
    else:
        ruled_events = []
    from_state = case.state
    case.rule(by=actor, outcome=outcome, fault=fault, refund_percent=refund_percent, ruling=ruling, at=now)
    case.save(
        update_fields=(
            "state",
            "outcome",
            "fault",
            "refund_percent",
            "ruling",
            "ruled_by",
            "ruled_at",
            "ruling_cancellation",
            "first_response_at",
            "updated_at",
        )
    )
    credit_detail = _("Support case #%(case)s: %(outcome)s") % {"case": case.pk, "outcome": outcome}
    for effect in credit:
        if effect.delta:
            ruled_events.append(
                credit_event_record(
                    user=_party_user(order, effect.party),
                    delta=effect.delta,
                    reason=CreditReason.RULING,
                    order=order,
                    actor=actor,
                    detail=credit_detail,
                    at=now,
                )
            )
    case.ruling_credit_events.add(*ruled_events)
    # Only the restrictions the ruling takes away are its own: one already in force is not.
    imposed = [
        restriction_impose_or_get(
            user_id=_party_user(order, effect.party).pk,
            kind=effect.kind,
            reason=f"{_('Support ruling')} {_restriction_marker(case)}: {outcome}",
            restores=_("An appeal upheld by a supervisor, or support after a review."),
            actor=actor,
        )
        for effect in restrictions
    ]
    case.ruling_restrictions.add(*(restriction for restriction, created in imposed if created))
    summary = _("%(outcome)s (fault: %(fault)s)") % {"outcome": outcome, "fault": Fault(fault).label}
    transition_logged(
        case,
        transition="rule",
        from_state=from_state,
        actor=actor,
        actor_role=ActorRole.SUPPORT,
        reason=summary,
        at=now,
    )
    _notify(
        case,
        kind="case_ruled",
        title=_title(case, gettext_noop("Support ruled on case #%(case)s (order #%(order)s)")),
        body=Joined(
            " ",
            [
                Translatable(
                    gettext_noop(
                        "Outcome: %(outcome)s\nFault: %(fault)s\n\n%(ruling)s\n\nEither party may appeal once."
                    ),
                    {"outcome": outcome, "fault": Fault(fault).label, "ruling": ruling},
                ),
                Translatable(
                    gettext_noop("The appeal window ends on %(until)s; without an appeal the case then closes."),
                    {"until": case.appeal_until.isoformat(timespec="minutes")},
                ),
            ],
        ),
    )
    return case


@transaction.atomic
def case_appeal(*, case: SupportCase, actor: User, text: str) -> SupportCase:
    """A party appeals the ruling, once; a supervisor decides it."""
    text = text_clean(text, field="text", limit=MAX_TEXT, required_message=_("Say why the ruling is wrong."))
    case = case_lock(case_id=case.pk)
    role = case.order.role_of(actor)
    if role is None:
        raise NotFound(_("No such case."))
    if case.appealed_at is not None:
        raise Conflict(_("This case was already appealed; a case is appealed once."), code="already_appealed")
    _transition(case, case.file_appeal, _("Only a ruling can be appealed."))
    now = timezone.now()
    if now >= case.appeal_until:
        raise Conflict(
            _("The time to appeal this ruling ended on %(at)s.")
            % {"at": case.appeal_until.isoformat(timespec="minutes")},
            code="appeal_window_closed",
        )
    from_state = case.state
    case.file_appeal(by=actor, text=text, at=now)
    # The appeal has the same time to a ruling as the case had.
    case.ruling_due = now + timedelta(hours=case.order.policy.case_ruling_hours)
    case.save(update_fields=("state", "appeal", "appealed_by", "appealed_at", "ruling_due", "updated_at"))
    transition_logged(
        case, transition="file_appeal", from_state=from_state, actor=actor, actor_role=role, reason=text, at=now
    )
    _notify(
        case,
        kind="case_appealed",
        title=_title(case, gettext_noop("The ruling on case #%(case)s (order #%(order)s) is appealed")),
        body=Translatable(
            gettext_noop("The %(role)s appealed; a supervisor decides by %(due)s.\n\n%(text)s"),
            {"role": ActorRole(role).label, "due": case.ruling_due.isoformat(timespec="minutes"), "text": text},
        ),
        extra=list(supervisors()),
    )
    return case


def ruled_cancellation(case: SupportCase) -> Cancellation | None:
    """The cancellation this case's ruling made, if it cancelled the order."""
    return case.ruling_cancellation


def ruling_credit_events(case: SupportCase) -> QuerySet[CreditEvent]:
    """Credit events the ruling wrote (its own and its cancellation's), as linked when it was made."""
    return case.ruling_credit_events.filter(reverses__isnull=True).order_by("created_at", "id")


def ruling_restrictions(case: SupportCase) -> QuerySet[Restriction]:
    """Restrictions the ruling imposed that are still in force."""
    return case.ruling_restrictions.filter(lifted_at__isnull=True).order_by("created_at", "id")


@transaction.atomic
def case_rule_appeal(*, case: SupportCase, actor: User, upheld: bool, ruling: str) -> SupportCase:
    """A supervisor decides an appeal; upheld reverses the ruling's fee, credit and restrictions."""
    if not is_supervisor(actor):
        raise PermissionDenied(_("Only a supervisor decides an appeal."), code="not_a_supervisor")
    ruling = text_clean(
        ruling, field="ruling", limit=MAX_TEXT, required_message=_("Explain the decision; both parties will see it.")
    )
    case = case_lock(case_id=case.pk)
    _transition(case, case.rule_appeal, _("This case has no appeal waiting."))
    now = timezone.now()
    if upheld:
        # Exactly what the ruling linked: other events on the order, even at the same moment, stay.
        events = list(ruling_credit_events(case).filter(reversed_by__isnull=True))
        cancellation = ruled_cancellation(case)
        if cancellation is not None and cancellation.reversed_at is None:
            cancellation_reverse(cancellation=cancellation, actor=actor, reason=ruling, credit_events=events)
        for event in events:
            credit_event_reverse(event=event, actor=actor, detail=ruling[:255])  # a no-op if reversed above
        for restriction in ruling_restrictions(case):
            restriction_lift(restriction=restriction, actor=actor, reason=ruling)
    from_state = case.state
    case.rule_appeal(by=actor, upheld=upheld, ruling=ruling, at=now)
    case.save(update_fields=("state", "appeal_upheld", "appeal_ruling", "appeal_ruled_by", "closed_at", "updated_at"))
    verdict = Translatable(gettext_noop("Appeal upheld") if upheld else gettext_noop("Appeal dismissed"))
    transition_logged(
        case,
        transition="rule_appeal",
        from_state=from_state,
        actor=actor,
        actor_role=ActorRole.SUPPORT,
        reason=f"{verdict}: {ruling}",
        at=now,
    )
    effects = Translatable(
        gettext_noop("The ruling's fee, credit changes and restrictions are reversed; the history keeps both.")
        if upheld
        else gettext_noop("The ruling stands.")
    )
    _notify(
        case,
        kind="case_appeal_ruled",
        title=_title(case, gettext_noop("Decision on the appeal of case #%(case)s (order #%(order)s)")),
        body=Joined("\n\n", [Joined(". ", [verdict, effects]), ruling]),
    )
    return case


@transaction.atomic
def case_close(*, case: SupportCase, actor: User) -> SupportCase:
    """Staff close a ruled case (no appeal will come, or none is wanted)."""
    _require_staff(actor, _("Only support staff can close a case."))
    case = case_lock(case_id=case.pk)
    if case.state == CaseState.CLOSED:
        return case
    _transition(case, case.close, _("Only a ruled case can be closed."))
    now = timezone.now()
    from_state = case.state
    case.close(at=now)
    case.save(update_fields=("state", "closed_at", "updated_at"))
    transition_logged(
        case, transition="close", from_state=from_state, actor=actor, actor_role=ActorRole.SUPPORT, reason="", at=now
    )
    _notify(
        case,
        kind="case_closed",
        title=_title(case, gettext_noop("Support case #%(case)s (order #%(order)s) is closed")),
        body=Translatable(gettext_noop("The ruling stands: %(outcome)s"), {"outcome": case.outcome}),
    )
    return case
