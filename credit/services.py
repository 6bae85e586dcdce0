"""The credit app's writes: events (append-only) with the score kept beside them, restrictions.

Every score change locks the user's credit account row, so concurrent events never lose an
update and the stored score always equals the replay of the events (``credit_score_replay``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.db import bulk_update_rows, insert_rows
from core.exceptions import PermissionDenied, ValidationFailed
from core.i18n import Moment, Translatable, text_store
from core.support import is_support

from .models import CreditAccount, CreditEvent, CreditReason, Restriction, RestrictionKind
from .rates import level_for

START_SCORE = 100


def _clamp(score: int) -> int:
    return max(0, min(100, score))


def credit_accounts_open(user_ids: Iterable[int]) -> None:
    """Give each of ``user_ids`` their credit account (the starting score) unless they have one:
    every account exists from sign-up, so the back office and the nightly levels see everyone."""
    CreditAccount.objects.bulk_create([CreditAccount(user_id=uid) for uid in set(user_ids)], ignore_conflicts=True)


def _accounts_locked(user_ids: Iterable[int]) -> dict[int, CreditAccount]:
    """The accounts of ``user_ids``, created if missing, locked in user order (no deadlocks)."""
    ids = sorted(set(user_ids))
    CreditAccount.objects.bulk_create([CreditAccount(user_id=uid) for uid in ids], ignore_conflicts=True)
    return {a.user_id: a for a in CreditAccount.objects.select_for_update().filter(user_id__in=ids).order_by("user_id")}


def _detail_stored(detail) -> str:
    """The detail kept as its msgid and parameters (rendered in the reader's language), or, when
    that would not fit the column, as text in the active language."""
    stored = text_store(detail)
    return stored if len(stored) <= 255 else str(detail)[:255]


def credit_event_build(
    *, user_id: int, delta: int, reason: str, order_id=None, actor=None, detail: str = "", at=None
) -> dict:
    """An event row not yet written, for code that writes many with ``credit_events_write``."""
    return {
        "user_id": user_id,
        "delta": delta,
        "reason": reason,
        "order_id": order_id,
        "actor_id": getattr(actor, "pk", None),
        "reverses_id": None,
        "detail": _detail_stored(detail),
        "created_at": at or timezone.now(),
    }


@transaction.atomic
def credit_events_write(rows: list[dict]) -> list[int]:
    """Append events in order, moving each user's score under a row lock; returns their ids."""
    if not rows:
        return []
    accounts = _accounts_locked(r["user_id"] for r in rows)
    now = timezone.now()
    for row in rows:
        account = accounts[row["user_id"]]
        new_score = _clamp(account.score + row["delta"])
        row["applied"] = new_score - account.score
        row["score_after"] = new_score
        account.score = new_score
        account.updated_at = now
    ids = insert_rows(CreditEvent, rows, with_ids=True)
    bulk_update_rows(list(accounts.values()), ["score", "updated_at"])
    return ids


def credit_event_record(
    *, user, delta: int, reason: str, order=None, actor=None, detail: str = "", at: datetime | None = None
) -> CreditEvent:
    """Append one credit event for ``user`` and move their score."""
    row = credit_event_build(
        user_id=user.pk,
        delta=delta,
        reason=reason,
        order_id=getattr(order, "pk", None),
        actor=actor,
        detail=detail,
        at=at,
    )
    (event_id,) = credit_events_write([row])
    return CreditEvent.objects.get(pk=event_id)


@transaction.atomic
def credit_event_reverse(*, event: CreditEvent, actor, detail: str = "") -> CreditEvent:
    """Undo what ``event`` changed with a new event pointing at it; a second reversal is a no-op."""
    event = CreditEvent.objects.select_for_update().get(pk=event.pk)
    existing = CreditEvent.objects.filter(reverses=event).first()
    if existing is not None:
        return existing
    row = credit_event_build(
        user_id=event.user_id,
        delta=-event.applied,
        reason=CreditReason.REVERSAL,
        order_id=event.order_id,
        actor=actor,
        detail=detail or Translatable(gettext_noop("Reverses the event of %(at)s"), {"at": Moment(event.created_at)}),
    )
    row["reverses_id"] = event.pk
    (event_id,) = credit_events_write([row])
    return CreditEvent.objects.get(pk=event_id)


def credit_adjust(*, user, delta, actor, reason: str) -> CreditEvent:
    """A manual adjustment by staff, with a required reason."""
    if not is_support(actor, "credit.change_creditaccount"):
        raise PermissionDenied(_("Only support staff can adjust credit."))
    errors: dict[str, list[str]] = {}
    try:
        delta = int(delta)
    except (TypeError, ValueError):
        delta = 0
    if delta == 0 or not -100 <= delta <= 100:
        errors["delta"] = [_("Give a whole number between -100 and 100, not 0.")]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why; the user sees it on their credit page.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    return credit_event_record(user=user, delta=delta, reason=CreditReason.MANUAL, actor=actor, detail=reason)


def credit_score(user) -> int:
    """The user's current score (100 for a user with no events yet)."""
    account = CreditAccount.objects.filter(user=user).only("score").first()
    return account.score if account is not None else START_SCORE


def credit_score_replay(user) -> int:
    """The score rebuilt from scratch from the events, in the order they were written."""
    score = START_SCORE
    for delta in CreditEvent.objects.filter(user=user).order_by("id").values_list("delta", flat=True):
        score = _clamp(score + delta)
    return score


# --- Completed orders ----------------------------------------------------------------------


def credit_for_completed_order(*, order) -> None:
    """Both parties of a completed order gain the policy's credit (the score stays at most 100)."""
    delta = order.policy.completed_order_credit
    if delta:
        detail = Translatable(gettext_noop("Order #%(id)s completed"), {"id": order.pk})
        credit_events_write(
            [
                credit_event_build(
                    user_id=uid, delta=delta, reason=CreditReason.ORDER_COMPLETED, order_id=order.pk, detail=detail
                )
                for uid in (order.provider_id, order.client_id)
            ]
        )


# --- Restrictions --------------------------------------------------------------------------


def restriction_impose(
    *, user_id: int, kind: str, reason: str, restores: str, actor=None, automatic: bool = False
) -> Restriction:
    """Take a right away until lifted; if one of this kind is already active, return it."""
    restriction, _created = restriction_impose_or_get(
        user_id=user_id, kind=kind, reason=reason, restores=restores, actor=actor, automatic=automatic
    )
    return restriction


@transaction.atomic
def restriction_impose_or_get(
    *, user_id: int, kind: str, reason: str, restores: str, actor=None, automatic: bool = False
) -> tuple[Restriction, bool]:
    """``restriction_impose``, saying whether it took the right away (True) or found it taken (False)."""
    if actor is not None and not automatic and not is_support(actor, "credit.add_restriction"):
        raise PermissionDenied(_("Only support staff can restrict an account."))
    if kind not in RestrictionKind.values:
        raise ValidationFailed(_("Unknown restriction."), errors={"kind": [_("Unknown restriction.")]})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why."), errors={"reason": [_("Say why.")]})
    existing = (
        Restriction.objects.select_for_update().filter(user_id=user_id, kind=kind, lifted_at__isnull=True).first()
    )
    if existing is not None:
        return existing, False
    restriction = Restriction.objects.create(
        user_id=user_id, kind=kind, reason=reason, restores=restores, automatic=automatic, created_by=actor
    )
    return restriction, True


@transaction.atomic
def restriction_lift(*, restriction: Restriction, actor, reason: str) -> Restriction:
    """Give the right back (staff only), with a reason kept in the history."""
    if not is_support(actor, "credit.change_restriction"):
        raise PermissionDenied(_("Only support staff can lift a restriction."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why."), errors={"reason": [_("Say why.")]})
    restriction = Restriction.objects.select_for_update().get(pk=restriction.pk)
    if restriction.lifted_at is None:
        restriction.lifted_at = timezone.now()
        restriction.lifted_by = actor
        restriction.lift_reason = reason
        restriction.save(update_fields=("lifted_at", "lifted_by", "lift_reason"))
    return restriction


def restrictions_apply_rules(
    *, complaints: Mapping[int, int], client_faults: Mapping[int, int], policy
) -> list[Restriction]:
    """Suspend repeat offenders, from the counts the caller hands in (``orders.completion`` counts them).

    ``complaints``: per provider, their cancellations in the window that count as complaints
    (late cancellations, no-shows); at the policy's ``complaints_to_suspend`` they cannot take
    orders. ``client_faults``: per client, cancellations ruled their responsibility; at
    ``client_faults_to_restrict`` they cannot post. Users restricted already are left alone.
    One insert for the lot; returns the restrictions added.
    """
    rules = (
        (
            complaints,
            policy.complaints_to_suspend,
            RestrictionKind.TAKING_ORDERS,
            _("%(n)d late cancellations or no-shows in %(days)d days."),
            _("Support lifts it after a review; an appeal that is upheld removes the complaint."),
        ),
        (
            client_faults,
            policy.client_faults_to_restrict,
            RestrictionKind.POSTING,
            _("%(n)d cancellations ruled your responsibility in %(days)d days."),
            _("Support lifts it after a review; an appeal that is upheld removes the ruling."),
        ),
    )
    added = []
    for counts, threshold, kind, why, restores in rules:
        over = {uid: n for uid, n in counts.items() if n >= threshold}
        if not over:
            continue
        already = set(
            Restriction.objects.filter(kind=kind, lifted_at__isnull=True, user_id__in=over).values_list(
                "user_id", flat=True
            )
        )
        added += [
            Restriction(
                user_id=uid,
                kind=kind,
                reason=why % {"n": n, "days": policy.completion_window_days},
                restores=restores,
                automatic=True,
            )
            for uid, n in over.items()
            if uid not in already
        ]
    if not added:
        return []
    # ignore_conflicts: a concurrent sweep may have added the same restriction a moment ago;
    # either way the rows in force are read back, with their ids.
    Restriction.objects.bulk_create(added, ignore_conflicts=True)
    in_force = Q()
    for restriction in added:
        in_force |= Q(user_id=restriction.user_id, kind=restriction.kind)
    return list(Restriction.objects.filter(in_force, lifted_at__isnull=True).order_by("pk"))


# --- Levels --------------------------------------------------------------------------------


def credit_levels_record(*, numbers: Mapping[int, tuple[int, int]], policy, now: datetime) -> int:
    """Store each provider's completion numbers and the level they earn (the nightly job).

    ``numbers``: per user, (completed orders, counted cancellations) in the window, as the
    orders app counted them. Accounts are opened where missing; only those whose numbers or
    level moved are written, so a rerun writes nothing. Returns how many changed.
    """
    if not numbers:
        return 0
    CreditAccount.objects.bulk_create([CreditAccount(user_id=uid) for uid in numbers], ignore_conflicts=True)
    changed = []
    for account in CreditAccount.objects.filter(user_id__in=list(numbers)):
        completed, cancelled = numbers[account.user_id]
        level = level_for(completed=completed, counted_cancellations=cancelled, score=account.score, policy=policy)
        if (account.level, account.completed_in_window, account.cancelled_in_window) != (level, completed, cancelled):
            account.level, account.completed_in_window, account.cancelled_in_window = level, completed, cancelled
            account.level_computed_at = now
            changed.append(account)
    bulk_update_rows(changed, ["level", "completed_in_window", "cancelled_in_window", "level_computed_at"])
    return len(changed)


def credit_account_open(*, user) -> CreditAccount:
    """The user's account, opened at the starting score if they have none yet (for support to act on)."""
    CreditAccount.objects.bulk_create([CreditAccount(user_id=user.pk)], ignore_conflicts=True)
    return CreditAccount.objects.get(user_id=user.pk)
