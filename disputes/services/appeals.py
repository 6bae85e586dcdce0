"""Appeals of penalties nobody ruled on: the only code that writes them.

Any credit event of an order that took points from someone without a support ruling (a late
cancellation's tier, a no-show, the force-cancel of a late order) can be appealed by the
person it hit, within the policy's days, with a statement and files; one appeal per event.
Support upholds it (the event and its cancellation's fee are reversed, exactly as an upheld
ruling appeal reverses them) or denies it (they stay); the appellant is told why either way.
A penalty a support ruling made is appealed on its case instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import transition_logged
from core.exceptions import Conflict, NotFound, PermissionDenied
from core.i18n import Moment, Translatable
from core.models import ActorRole
from core.prepared import PreparedRead, columns, instance
from core.support import is_support
from core.text import invalid, text_clean
from core.timeutils import when_text
from core.uploads import upload_check
from credit.models import CreditEvent, CreditReason
from credit.services import credit_event_reverse
from disputes.models import AppealState, Evidence, PenaltyAppeal
from marketplace.models import User
from marketplace.notifications import notify
from orders.cancellation import cancellation_reverse
from orders.models import Policy
from orders.selectors import cancellation_in_force, policy_in_force

from .support_queue import decision_checked, item_decided, item_take, require_waiting

MAX_TEXT = 10_000
EVIDENCE_TYPES = ("image", "pdf")
MAX_FILES = 5
# Penalties that come from a cancellation of the order they name: upholding reverses its fee too.
CANCELLATION_REASONS = (CreditReason.CANCELLATION, CreditReason.NO_SHOW)


@dataclass(frozen=True)
class Appealability:
    """Whether ``user`` may appeal a credit event now, and until when (or why not, as a code)."""

    allowed: bool
    code: str = ""
    message: str = ""
    until: datetime | None = None


def _policy_of(event: CreditEvent):
    return event.order.policy if event.order_id is not None else policy_in_force()


def appeal_window_end(event: CreditEvent, policy=None) -> datetime:
    """The end of the window to appeal ``event``: its order's policy's days after it."""
    return event.created_at + timedelta(days=(policy or _policy_of(event)).penalty_appeal_days)


def appealable_kind(event: CreditEvent) -> bool:
    """Whether ``event`` is the kind of penalty appealed here: points taken on an order, by no ruling."""
    return (
        event.delta < 0
        and event.order_id is not None
        and event.reason not in (CreditReason.RULING, CreditReason.MANUAL, CreditReason.REVERSAL)
    )


_appeals_between = PreparedRead(
    lambda user_id, oldest, newest: PenaltyAppeal.objects.filter(
        appellant_id=user_id, event__created_at__gte=oldest, event__created_at__lte=newest
    ).values_list(*columns(PenaltyAppeal)),
    "user_id",
    "oldest",
    "newest",
    moments=("oldest", "newest"),
)
_policy = PreparedRead(lambda policy_id: Policy.objects.filter(pk=policy_id).values_list(*columns(Policy)), "policy_id")


def penalty_appeals_mark(*, user: User, events: Sequence[CreditEvent], now: datetime | None = None) -> None:
    """Give each of ``user``'s ``events`` ``appeal`` (theirs, or None) and ``appeal_until`` (when it may
    still be appealed, or None): for the credit page, by prepared reads of the user's appeals and of
    each policy the page's penalties were placed under (one, almost always)."""
    now = now or timezone.now()
    if not events:
        return
    on_page = {event.pk for event in events}
    moments = [event.created_at for event in events]
    appeals = {
        appeal.event_id: appeal
        for appeal in (
            instance(PenaltyAppeal, row)
            for row in _appeals_between(user_id=user.pk, oldest=min(moments), newest=max(moments))
        )
        if appeal.event_id in on_page
    }
    policy_ids = {event.order.policy_id for event in events if event.order_id is not None and appealable_kind(event)}
    policies = {}
    for policy_id in policy_ids:
        rows = _policy(policy_id=policy_id)
        if rows:
            policies[policy_id] = instance(Policy, rows[0])
    for event in events:
        event.appeal = appeals.get(event.pk)
        event.appeal_until = None
        if event.appeal is None and appealable_kind(event) and getattr(event, "reversed_at", None) is None:
            until = appeal_window_end(event, policies.get(event.order.policy_id))
            event.appeal_until = until if now <= until else None


def appealability(*, event: CreditEvent, now: datetime | None = None) -> Appealability:
    """Can the person ``event`` hit appeal it now? (An appeal already filed is a refusal too.)"""
    now = now or timezone.now()
    if event.delta >= 0 or event.reason == CreditReason.REVERSAL:
        return Appealability(False, "nothing_to_appeal", _("This event took no points: there is nothing to appeal."))
    if event.order_id is None or event.reason == CreditReason.MANUAL:
        return Appealability(
            False,
            "not_appealable",
            _("Staff made this change with a reason you can read on your credit page; ask support to review it."),
        )
    if event.reason == CreditReason.RULING:
        return Appealability(
            False,
            "appeal_the_ruling",
            _("A support ruling made this change: appeal the ruling on its support case instead."),
        )
    if getattr(event, "reversed_at", None) is not None or CreditEvent.objects.filter(reverses=event).exists():
        return Appealability(False, "already_reversed", _("This event was already reversed."))
    if PenaltyAppeal.objects.filter(event=event).exists():
        return Appealability(False, "appeal_exists", _("You already appealed this event."))
    until = appeal_window_end(event)
    if now > until:
        return Appealability(
            False,
            "appeal_window_closed",
            _("Penalties can be appealed within %(days)d days; this one could be until %(at)s.")
            % {"days": _policy_of(event).penalty_appeal_days, "at": when_text(until)},
            until,
        )
    return Appealability(True, until=until)


def _title(appeal: PenaltyAppeal, msgid: str) -> Translatable:
    return Translatable(msgid, {"appeal": appeal.pk, "event": appeal.event_id})


# --- Filing -------------------------------------------------------------------------------------


@transaction.atomic
def appeal_file(*, event_id, actor: User, statement: str, files: Sequence[UploadedFile] = ()) -> PenaltyAppeal:
    """Appeal one of ``actor``'s own penalties (404 for anyone else's), once, within the window."""
    try:
        event = (
            CreditEvent.objects.select_for_update(of=("self",))
            .select_related("order__policy")
            .get(pk=int(event_id), user=actor)
        )
    except (CreditEvent.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such credit event.")) from None
    statement = text_clean(
        statement, field="statement", limit=MAX_TEXT, required_message=_("Say why this penalty is wrong.")
    )
    if len(files) > MAX_FILES:
        raise invalid("files", _("Attach at most %(n)d files.") % {"n": MAX_FILES})
    checked = [upload_check(f, allowed=EVIDENCE_TYPES, field="files") for f in files]
    now = timezone.now()
    verdict = appealability(event=event, now=now)
    if not verdict.allowed:
        raise Conflict(verdict.message, code=verdict.code)
    policy = _policy_of(event)
    appeal = PenaltyAppeal(
        event=event,
        order_id=event.order_id,
        appellant=actor,
        statement=statement,
        first_response_due=now + timedelta(hours=policy.case_first_response_hours),
        decision_due=now + timedelta(hours=policy.case_ruling_hours),
    )
    appeal.created_at = appeal.updated_at = now
    try:
        with transaction.atomic():
            appeal.save()
    except IntegrityError:  # one appeal per event, should two arrive at once
        raise Conflict(_("You already appealed this event."), code="appeal_exists") from None
    for upload, content_type in checked:
        Evidence.objects.create(
            appeal=appeal,
            uploaded_by=actor,
            file=upload,
            name=upload.name[:255],
            content_type=content_type,
            size=upload.size,
            created_at=now,
        )
    transition_logged(
        appeal,
        transition="file",
        from_state="",
        actor=actor,
        actor_role=event.order.role_of(actor) or ActorRole.PROVIDER,
        reason=statement[:255],
        at=now,
    )
    notify(
        users=[actor],
        kind="appeal_filed",
        title=_title(appeal, gettext_noop("Your appeal #%(appeal)s is with support")),
        body=Translatable(
            gettext_noop("Support decides it by %(due)s and tells you why, either way."),
            {"due": Moment(appeal.decision_due)},
        ),
        order=event.order,
    )
    return appeal


def appeal_lock(*, appeal_id: int) -> PenaltyAppeal:
    """Re-read the appeal under a row lock, with its event; call inside a transaction."""
    try:
        return (
            PenaltyAppeal.objects.select_for_update(of=("self",))
            .select_related("event", "order", "appellant")
            .get(pk=appeal_id)
        )
    except PenaltyAppeal.DoesNotExist:
        raise NotFound(_("No such appeal.")) from None


# --- Support decides ---------------------------------------------------------------------------


@transaction.atomic
def appeal_assign(*, appeal: PenaltyAppeal, agent: User) -> PenaltyAppeal:
    """An agent takes an open appeal: its first response."""
    if not is_support(agent, "disputes.change_penaltyappeal"):
        raise PermissionDenied(_("Only support staff take appeals."))
    return item_take(appeal_lock(appeal_id=appeal.pk), agent=agent, waiting=AppealState.OPEN)


DECISIONS = ("uphold", "deny")


@transaction.atomic
def appeal_decide(*, appeal: PenaltyAppeal, actor: User, decision: str, note: str) -> PenaltyAppeal:
    """Uphold (the event and its cancellation's fee are reversed) or deny (they stay), with the reason."""
    note = decision_checked(
        actor=actor,
        perm="disputes.change_penaltyappeal",
        decision=decision,
        choices=DECISIONS,
        note=note,
        refused=_("Only support staff decide an appeal."),
        choose=_("Decide uphold or deny."),
        why=_("Say why; the appellant will read it."),
    )
    appeal = appeal_lock(appeal_id=appeal.pk)
    require_waiting(
        appeal,
        waiting=AppealState.OPEN,
        code="appeal_already_decided",
        message=_("This appeal was already decided: %(state)s."),
    )
    now = timezone.now()
    event = appeal.event
    told_by_reversal = False
    if decision == "uphold":
        cancellation = None
        if event.order_id is not None and event.reason in CANCELLATION_REASONS:
            cancellation = cancellation_in_force(order_id=event.order_id)
        if cancellation is not None:
            # Exactly as an upheld ruling appeal: the fee refunded, this event reversed, the
            # cancellation out of the completion rate; both parties of the order are told.
            cancellation_reverse(cancellation=cancellation, actor=actor, reason=note, credit_events=[event])
            told_by_reversal = True
        else:
            credit_event_reverse(event=event, actor=actor, detail=note[:255])
        appeal.uphold(by=actor, note=note, at=now)
    else:
        appeal.deny(by=actor, note=note, at=now)
    item_decided(appeal, decision=decision, from_state=AppealState.OPEN, actor=actor, note=note, at=now)
    if not told_by_reversal:
        upheld = decision == "uphold"
        notify(
            users=[appeal.appellant],
            kind=f"appeal_{appeal.state}",
            title=_title(
                appeal,
                gettext_noop("Your appeal #%(appeal)s is upheld: the penalty is reversed")
                if upheld
                else gettext_noop("Your appeal #%(appeal)s is denied: the penalty stays"),
            ),
            body=note,
            order=appeal.order,
        )
    return appeal
