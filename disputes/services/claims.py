"""Claims with proof: the only code that writes them.

A party who must cancel for a reason that is not their fault files a claim instead of a plain
cancellation: ``force_majeure`` (either party: illness, storm, lockdown) or
``client_responsible`` (the provider's claim that the job was not as described or the pay
changed). Filing cancels the order at once, the client refunded in full, and holds what the
normal rules would have cost the claimant then (``orders.cancellation.order_cancel_by_claim``).
Support decides within the case SLA: accepted drops what was held (a client-responsible claim
puts that ruling's consequences on the client), rejected applies it, dated at the claim.
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
from core.support import is_support
from core.text import invalid, text_clean
from core.uploads import upload_check
from disputes.models import Claim, ClaimKind, ClaimState, Evidence
from marketplace.models import User
from marketplace.notifications import notify
from orders.cancellation import (
    HeldConsequences,
    cancellation_claim_accepted,
    cancellation_claim_rejected,
    claim_held_for,
    order_cancel_by_claim,
    refusal_message,
)
from orders.models import CancelReason, Order
from orders.policy import Refusal
from orders.services import order_lock

from .support_queue import decision_checked, item_decided, item_take, require_waiting

MAX_TEXT = 10_000
EVIDENCE_TYPES = ("image", "pdf")
MAX_FILES = 5
# Which claims each party may file.
KINDS_FOR = {
    ActorRole.CLIENT: (ClaimKind.FORCE_MAJEURE,),
    ActorRole.PROVIDER: (ClaimKind.FORCE_MAJEURE, ClaimKind.CLIENT_RESPONSIBLE),
}
# The cancellation reason a claim's cancellation is recorded under.
REASON_FOR = {
    ClaimKind.FORCE_MAJEURE: CancelReason.FORCE_MAJEURE,
    ClaimKind.CLIENT_RESPONSIBLE: CancelReason.NOT_AS_DESCRIBED,
}


# --- What filing would do --------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimPreview:
    """What a claim by ``user`` on ``order`` would do now, or why they cannot file one."""

    allowed: bool
    code: str = ""
    message: str = ""
    role: str = ""
    kinds: tuple[str, ...] = ()
    held: HeldConsequences | None = None


def claim_preview(*, order: Order, user: User, now: datetime | None = None) -> ClaimPreview:
    """Both outcomes before filing: accepted (nothing held applies) and rejected (``held`` applies)."""
    role = order.role_of(user)
    if role is None:
        return ClaimPreview(False, "not_a_party", _("Only the client or the provider of an order can file a claim."))
    existing = Claim.objects.filter(order=order).first()
    if existing is not None:
        return ClaimPreview(
            False,
            "claim_already_open",
            _("A claim was already filed on this order (claim #%(id)s).") % {"id": existing.pk},
        )
    if not order.is_open:
        return ClaimPreview(False, Refusal.ORDER_CLOSED, refusal_message(Refusal.ORDER_CLOSED))
    return ClaimPreview(
        True, role=role, kinds=tuple(KINDS_FOR[role]), held=claim_held_for(order=order, role=role, now=now)
    )


def held_of(claim: Claim) -> HeldConsequences:
    """What ``claim`` holds (or, once rejected, applied), as the orders app describes it."""
    return HeldConsequences(
        role=claim.claimant_role,
        path=claim.held_path,
        tier=claim.held_tier,
        fee_to_platform=claim.held_fee,
        credit_delta=claim.held_credit_delta,
        counts_against_completion_rate=claim.held_counts_against_completion_rate,
        counts_as_complaint=claim.held_counts_as_complaint,
    )


def _title(claim: Claim, msgid: str) -> Translatable:
    return Translatable(msgid, {"claim": claim.pk, "order": claim.order_id})


# --- Filing ------------------------------------------------------------------------------------


@transaction.atomic
def claim_file(*, order: Order, actor: User, kind: str, statement: str, files: Sequence[UploadedFile] = ()) -> Claim:
    """File a claim: the order is cancelled at once (client refunded in full), the rest held for support."""
    statement = text_clean(
        statement,
        field="statement",
        limit=MAX_TEXT,
        required_message=_("Say what happened and why it is not your fault."),
    )
    if len(files) > MAX_FILES:
        raise invalid("files", _("Attach at most %(n)d files.") % {"n": MAX_FILES})
    checked = [upload_check(f, allowed=EVIDENCE_TYPES, field="files") for f in files]
    # The order's lock serialises a claim with a cancellation, a sweep or another claim.
    order = order_lock(order_id=order.pk)
    role = order.role_of(actor)
    if role is None:
        raise NotFound(_("No such order."))
    if kind not in ClaimKind.values:
        raise invalid("kind", _("Choose force_majeure or client_responsible."))
    if kind not in KINDS_FOR[role]:
        raise invalid("kind", _("Only the provider can claim that the client is responsible."), code="kind_not_yours")
    if Claim.objects.filter(order=order).exists():
        raise Conflict(_("A claim was already filed on this order."), code="claim_already_open")
    cancelled, held = order_cancel_by_claim(order=order, actor=actor, reason=REASON_FOR[kind], message=statement)
    now = cancelled.cancellation.created_at
    policy = order.policy
    claim = Claim(
        order=order,
        kind=kind,
        claimant=actor,
        claimant_role=role,
        statement=statement,
        cancellation=cancelled.cancellation,
        held_path=held.path,
        held_tier=held.tier[:80],
        held_fee=held.fee_to_platform,
        held_credit_delta=held.credit_delta,
        held_counts_against_completion_rate=held.counts_against_completion_rate,
        held_counts_as_complaint=held.counts_as_complaint,
        first_response_due=now + timedelta(hours=policy.case_first_response_hours),
        decision_due=now + timedelta(hours=policy.case_ruling_hours),
    )
    claim.created_at = claim.updated_at = now
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError:  # the database's one claim per order, should two arrive at once
        raise Conflict(_("A claim was already filed on this order."), code="claim_already_open") from None
    for upload, content_type in checked:
        Evidence.objects.create(
            claim=claim,
            uploaded_by=actor,
            file=upload,
            name=upload.name[:255],
            content_type=content_type,
            size=upload.size,
            created_at=now,
        )
    transition_logged(
        claim,
        transition="file",
        from_state="",
        actor=actor,
        actor_role=role,
        reason=str(ClaimKind(kind).label),
        at=now,
    )
    other = order.provider if role == ActorRole.CLIENT else order.client
    notify(
        users=[other],
        kind="claim_filed",
        title=_title(claim, gettext_noop("Order #%(order)s was cancelled with a claim (#%(claim)s)")),
        body=Translatable(
            gettext_noop(
                "The %(role)s cancelled the order claiming %(kind)s, with proof. The client is refunded in full. "
                "Support decides the claim by %(due)s and tells you both."
            ),
            {"role": ActorRole(role).label, "kind": ClaimKind(kind).label, "due": Moment(claim.decision_due)},
        ),
        order=order,
    )
    return claim


def claim_lock(*, claim_id: int) -> Claim:
    """Re-read the claim under a row lock, with its order and cancellation; call inside a transaction."""
    try:
        return (
            Claim.objects.select_for_update(of=("self",))
            .select_related("order__client", "order__provider", "order__policy", "cancellation", "claimant")
            .get(pk=claim_id)
        )
    except Claim.DoesNotExist:
        raise NotFound(_("No such claim.")) from None


# --- Support decides ---------------------------------------------------------------------------


@transaction.atomic
def claim_assign(*, claim: Claim, agent: User) -> Claim:
    """An agent takes a waiting claim: its first response, as a case's assignment is."""
    if not is_support(agent, "disputes.change_claim"):
        raise PermissionDenied(_("Only support staff take claims."))
    return item_take(claim_lock(claim_id=claim.pk), agent=agent, waiting=ClaimState.PENDING_REVIEW)


DECISIONS = ("accept", "reject")


@transaction.atomic
def claim_decide(*, claim: Claim, actor: User, decision: str, note: str) -> Claim:
    """Support accepts (nothing held applies) or rejects (what was held applies, dated at the claim)."""
    note = decision_checked(
        actor=actor,
        perm="disputes.change_claim",
        decision=decision,
        choices=DECISIONS,
        note=note,
        refused=_("Only support staff decide a claim."),
        choose=_("Decide accept or reject."),
        why=_("Say why; both parties will read it."),
    )
    claim = claim_lock(claim_id=claim.pk)
    require_waiting(
        claim,
        waiting=ClaimState.PENDING_REVIEW,
        code="claim_already_decided",
        message=_("This claim was already decided: %(state)s."),
    )
    now = timezone.now()
    detail = _("Claim #%(claim)s: %(note)s") % {"claim": claim.pk, "note": note}
    if decision == "accept":
        result = cancellation_claim_accepted(
            cancellation=claim.cancellation,
            client_responsible=claim.kind == ClaimKind.CLIENT_RESPONSIBLE,
            actor=actor,
            detail=detail,
        )
        claim.accept(by=actor, note=note, at=now)
    else:
        result = cancellation_claim_rejected(
            cancellation=claim.cancellation, held=held_of(claim), actor=actor, detail=detail
        )
        claim.reject(by=actor, note=note, at=now)
    item_decided(claim, decision=decision, from_state=ClaimState.PENDING_REVIEW, actor=actor, note=note, at=now)
    claim.credit_events.add(*result.credit_events)
    if decision == "accept":
        title = gettext_noop("Support accepted the claim on order #%(order)s")
        if claim.kind == ClaimKind.CLIENT_RESPONSIBLE:
            effects = gettext_noop("Nothing is held against the provider; the client is found responsible.")
        else:
            effects = gettext_noop("Nothing is held against the one who cancelled: no fee, no credit change, no count.")
    else:
        title = gettext_noop("Support rejected the claim on order #%(order)s")
        effects = gettext_noop(
            "What the rules hold for cancelling then applies, dated at the claim: the fee, the credit change and "
            "the completion-rate count shown when it was filed."
        )
    notify(
        users=[claim.order.client, claim.order.provider],
        kind=f"claim_{claim.state}",
        title=_title(claim, title),
        body=Translatable(gettext_noop("%(effects)s\n\n%(note)s"), {"effects": Translatable(effects), "note": note}),
        order=claim.order,
    )
    return claim
