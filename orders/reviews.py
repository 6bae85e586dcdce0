"""Reviews after a completed order: blind, two-sided, within the policy's window.

Either party may review the other once within ``review_window_days`` of completion (1–5 stars
and text; text is required for 1 or 2 stars: say why). A review stays ``pending`` — shown to its
author only — until the other party has reviewed too (then both are published at once) or the
window closes (``reviews_publish_due``, from beat). The reviewed party may answer once, in
public. Support removes a review that breaks the rules, with the reason on record, and both
parties are told. Whenever what the public sees changes, the reviewed person's figures are
stored again (``marketplace.services.reputation_set``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import transition_log_build, transition_logged, transition_logs_write
from core.batches import locked_batches
from core.db import insert_rows
from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.i18n import Moment, Translatable
from core.jobs import SweepResult
from core.models import ActorRole, TransitionLog
from core.support import is_support
from core.text import text_clean
from marketplace.models import Notification, User
from marketplace.notifications import notification_build, notifications_send, notify
from marketplace.services import reputation_set

from .models import Order, OrderState, Policy, Review, ReviewState

TEXT_MAX = 2000
REASON_MAX = 2000
BATCH = 500


# --- The window ---------------------------------------------------------------------------------


def review_window_closes(order: Order) -> datetime | None:
    """When the parties of a completed order can no longer review each other (None if not completed)."""
    if order.state != OrderState.COMPLETED or order.completed_at is None:
        return None
    return order.completed_at + timedelta(days=order.policy.review_window_days)


def _role(order: Order, user) -> str:
    role = order.role_of(user)
    if role not in (ActorRole.CLIENT, ActorRole.PROVIDER):
        raise NotFound(_("No such order."))
    return role


def _other(order: Order, role: str) -> User:
    return order.provider if role == ActorRole.CLIENT else order.client


def _rating(value) -> int:
    """1 to 5 whole stars, as a number or its digits; anything else is a field error."""
    whole = (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and value.strip().isdigit()
    )
    rating = int(value) if whole else 0
    if not 1 <= rating <= 5:
        text = _("Give 1 to 5 stars.")
        raise ValidationFailed(text, errors={"rating": [text]})
    return rating


# --- Writing, replying, removing --------------------------------------------------------------


@transaction.atomic
def review_post(*, order: Order, actor: User, rating, text: str = "") -> Review:
    """``actor`` reviews the other party of ``order``. Published at once with the other party's
    review if that one exists; else pending until it does or the window closes."""
    order = Order.objects.select_for_update().select_related("policy", "client", "provider").get(pk=order.pk)
    role = _role(order, actor)
    rating = _rating(rating)
    text = text_clean(text, field="text", limit=TEXT_MAX)
    if rating <= 2 and not text:
        message = _("Say what went wrong: a review of 1 or 2 stars needs a few words.")
        raise ValidationFailed(message, errors={"text": [message]})
    if order.state != OrderState.COMPLETED:
        raise Conflict(_("Only a completed order can be reviewed."), code="order_not_completed")
    closes = review_window_closes(order)
    now = timezone.now()
    if Review.objects.filter(order=order, author=actor).exists():
        raise Conflict(_("You have reviewed this order already."), code="review_exists")
    if now >= closes:
        raise Conflict(
            _("The time to review this order ended on %(date)s.") % {"date": Moment(closes)},
            code="review_window_closed",
        )
    other = _other(order, role)
    try:
        with transaction.atomic():
            review = Review.objects.create(
                order=order,
                author=actor,
                subject=other,
                author_role=role,
                rating=rating,
                text=text,
                created_at=now,
                publish_at=closes,
            )
    except IntegrityError:  # the same party at the same moment, from another request
        raise Conflict(_("You have reviewed this order already."), code="review_exists") from None
    transition_logged(
        review,
        transition="write",
        from_state="",
        actor=actor,
        actor_role=role,
        reason=Translatable(gettext_noop("%(stars)s stars"), {"stars": rating}),
        at=now,
    )
    theirs = Review.objects.select_for_update().filter(order=order, author=other, state=ReviewState.PENDING).first()
    if theirs is not None:
        _publish([review, theirs], now=now, why=gettext_noop("Both parties reviewed"))
    else:
        notify(
            users=[other],
            kind="review_received",
            title=Translatable(
                gettext_noop("%(who)s reviewed order #%(order)s: write yours to see it"),
                {"who": actor.display_name or actor.username, "order": order.pk},
            ),
            body=Translatable(
                gettext_noop(
                    "Reviews are blind: both are published when you review too, or on %(date)s if you do not."
                ),
                {"date": Moment(closes)},
            ),
            order=order,
        )
    return review


def _published_review_of(review: Review, actor: User, *, not_reviewed: str, not_published: str) -> Review:
    """``review`` locked, when it is published and about ``actor``: a stranger is told there is no
    such review, the other party ``not_reviewed`` (403), an unpublished one ``not_published`` (409)."""
    review = Review.objects.select_for_update().select_related("order").get(pk=review.pk)
    if review.subject_id != actor.pk:
        if review.order.role_of(actor) is None:
            raise NotFound(_("No such review."))
        raise PermissionDenied(not_reviewed, code="not_reviewed")
    if review.state != ReviewState.PUBLISHED:
        raise Conflict(not_published, code="review_not_published")
    return review


@transaction.atomic
def review_reply(*, review: Review, actor: User, text: str) -> Review:
    """The reviewed party answers a published review, once, in public."""
    review = _published_review_of(
        review,
        actor,
        not_reviewed=_("Only the person reviewed can answer a review."),
        not_published=_("A review can be answered once it is published."),
    )
    if review.replied_at is not None:
        raise Conflict(_("You have answered this review already."), code="reply_exists")
    review.reply = text_clean(text, field="text", limit=TEXT_MAX, required_message=_("Write your answer."))
    review.replied_at = timezone.now()
    review.save(update_fields=("reply", "replied_at"))
    notify(
        users=[review.author],
        kind="review_replied",
        title=Translatable(gettext_noop("Your review of order #%(order)s was answered"), {"order": review.order_id}),
        order=review.order,
    )
    return review


@transaction.atomic
def review_remove(*, review: Review, actor: User, reason: str) -> Review:
    """Support removes a review that breaks the rules; the reason stays on record, both parties are told."""
    if not is_support(actor, "orders.change_review"):
        raise PermissionDenied(_("Only support staff remove reviews."))
    reason = text_clean(reason, field="reason", limit=REASON_MAX, required_message=_("Say which rule it breaks."))
    review = Review.objects.select_for_update().select_related("order").get(pk=review.pk)
    if review.state == ReviewState.REMOVED:
        raise Conflict(_("This review was removed already."), code="review_removed")
    from_state, now = review.state, timezone.now()
    review.state, review.removed_at, review.removed_by, review.removal_reason = ReviewState.REMOVED, now, actor, reason
    if review.reported_at is not None and review.report_handled_at is None:
        review.report_handled_at = now
    review.save(update_fields=("state", "removed_at", "removed_by", "removal_reason", "report_handled_at"))
    transition_logged(
        review,
        transition="remove",
        from_state=from_state,
        actor=actor,
        actor_role=ActorRole.SUPPORT,
        reason=reason,
        at=now,
    )
    reputations_recount([review.subject_id], at=now)
    notify(
        users=[review.author, review.subject],
        kind="review_removed",
        title=Translatable(
            gettext_noop("A review of order #%(order)s was removed by support"), {"order": review.order_id}
        ),
        body=Translatable(gettext_noop("Why: %(reason)s"), {"reason": reason}),
        order=review.order,
    )
    return review


@transaction.atomic
def review_report(*, review: Review, actor: User, reason: str) -> Review:
    """The reviewed party asks support to look at a published review that breaks the rules, once."""
    review = _published_review_of(
        review,
        actor,
        not_reviewed=_("Only the person reviewed can report a review."),
        not_published=_("Only a published review can be reported."),
    )
    if review.reported_at is not None:
        raise Conflict(_("You have reported this review already."), code="review_reported")
    review.report_reason = text_clean(
        reason, field="reason", limit=REASON_MAX, required_message=_("Say which rule it breaks.")
    )
    review.reported_at, review.reported_by = timezone.now(), actor
    review.save(update_fields=("reported_at", "reported_by", "report_reason"))
    return review


@transaction.atomic
def review_report_dismiss(*, review: Review, actor: User, note: str) -> Review:
    """Support keeps a reported review (it breaks no rule); the reporter is told why."""
    if not is_support(actor, "orders.change_review"):
        raise PermissionDenied(_("Only support staff handle reported reviews."))
    note = text_clean(note, field="note", limit=REASON_MAX, required_message=_("Say why the review stays."))
    review = Review.objects.select_for_update().select_related("order").get(pk=review.pk)
    if review.reported_at is None or review.report_handled_at is not None:
        raise Conflict(_("This review waits for no decision."), code="review_not_reported")
    review.report_handled_at = timezone.now()
    review.save(update_fields=("report_handled_at",))
    # On the review's record, but no event for partners: nothing about the review changed.
    insert_rows(
        TransitionLog,
        [
            transition_log_build(
                subject=review,
                transition="keep",
                from_state=review.state,
                to_state=review.state,
                actor=actor,
                actor_role=ActorRole.SUPPORT,
                reason=note,
                at=review.report_handled_at,
            )
        ],
    )
    notify(
        users=[review.reported_by_id],
        kind="review_kept",
        title=Translatable(
            gettext_noop("The review of order #%(order)s you reported stays"), {"order": review.order_id}
        ),
        body=Translatable(gettext_noop("Support's answer: %(note)s"), {"note": note}),
        order=review.order,
    )
    return review


# --- Publishing -------------------------------------------------------------------------------


def _publish(reviews: list[Review], *, now: datetime, why: str) -> None:
    """Publish ``reviews`` (locked, pending), log each, store their subjects' figures, tell the parties."""
    Review.objects.filter(pk__in=[r.pk for r in reviews]).update(state=ReviewState.PUBLISHED, published_at=now)
    transition_logs_write(
        [
            transition_log_build(
                subject=review,
                transition="publish",
                from_state=ReviewState.PENDING,
                to_state=ReviewState.PUBLISHED,
                actor=None,
                actor_role=ActorRole.SYSTEM,
                reason=why,
                at=now,
            )
            for review in reviews
        ]
    )
    reputations_recount({r.subject_id for r in reviews}, at=now)
    notifications_send(
        notification_build(
            user_id=uid,
            kind="review_published",
            title=Translatable(gettext_noop("The reviews of order #%(order)s are published"), {"order": order_id}),
            order_id=order_id,
            at=now,
        )
        for order_id, uid in sorted({(r.order_id, uid) for r in reviews for uid in (r.author_id, r.subject_id)})
    )


def reviews_publish_due() -> SweepResult:
    """Publish the reviews whose window closed without the other party's review (beat, batched)."""

    def due(now: datetime) -> QuerySet[Review]:
        return Review.objects.filter(state=ReviewState.PENDING, publish_at__lte=now)

    done = 0
    for batch in locked_batches(due, size=BATCH):
        _publish(list(batch), now=batch.now, why=gettext_noop("The time to review ended"))
        done += len(batch)
    return SweepResult(processed=done)


def reputations_recount(user_ids: Iterable[int], *, at: datetime | None = None) -> None:
    """Store again the figures of each of ``user_ids``: their published reviews by stars."""
    user_ids = set(user_ids)
    counts: dict[int, dict[int, int]] = {uid: {} for uid in user_ids}
    rows = (
        Review.objects.filter(subject_id__in=user_ids, state=ReviewState.PUBLISHED)
        .order_by()
        .values_list("subject_id", "rating")
        .annotate(n=Count("pk"))
    )
    for uid, rating, n in rows:
        counts[uid][rating] = n
    for uid, stars in counts.items():
        reputation_set(user_id=uid, stars=stars, at=at)


# --- Reminders ----------------------------------------------------------------------------------


def review_reminders_send() -> SweepResult:
    """Remind each party of a completed order who has not reviewed, once, when the window is
    about to close (the policy's ``review_reminder_days`` before): per policy version and side,
    one query for who is due, notices written in batches."""
    now = timezone.now()
    sent = 0
    for policy in Policy.objects.filter(review_reminder_days__gt=0).only(
        "pk", "review_window_days", "review_reminder_days"
    ):
        window = timedelta(days=policy.review_window_days)
        reminder = timedelta(days=min(policy.review_reminder_days, policy.review_window_days))
        orders = Order.objects.filter(
            policy=policy,
            state=OrderState.COMPLETED,
            completed_at__gt=now - window,  # still open
            completed_at__lte=now - window + reminder,  # closing within the reminder days
        )
        for side in ("client_id", "provider_id"):
            due = (
                orders.annotate(
                    reviewed=Exists(Review.objects.filter(order=OuterRef("pk"), author_id=OuterRef(side))),
                    reminded=Exists(
                        Notification.objects.filter(
                            order=OuterRef("pk"), user_id=OuterRef(side), kind="review_reminder"
                        )
                    ),
                )
                .filter(reviewed=False, reminded=False)
                .order_by("pk")
                .values_list("pk", side, "completed_at")
            )
            rows = list(due.iterator(chunk_size=BATCH))
            for start in range(0, len(rows), BATCH):
                notices = [
                    notification_build(
                        user_id=uid,
                        kind="review_reminder",
                        title=Translatable(
                            gettext_noop("Review order #%(order)s before %(date)s"),
                            {"order": order_id, "date": Moment(completed_at + window)},
                        ),
                        body=Translatable(gettext_noop("After that date the order can no longer be reviewed."), {}),
                        order_id=order_id,
                        at=now,
                    )
                    for order_id, uid, completed_at in rows[start : start + BATCH]
                ]
                with transaction.atomic():
                    notifications_send(notices)
                sent += len(notices)
    return SweepResult(processed=sent)


# --- Reading ------------------------------------------------------------------------------------


def reviews_for_order(*, order: Order, viewer: User) -> QuerySet[Review]:
    """The reviews of ``order`` ``viewer`` (a party) may read: their own, and the other party's
    once published; support reads every one."""
    reviews = Review.objects.filter(order=order).select_related("author").order_by("-created_at", "-pk")
    if is_support(viewer):
        return reviews
    _role(order, viewer)
    return reviews.filter(Q(author=viewer) | Q(state=ReviewState.PUBLISHED))


def reviews_about(user: User) -> QuerySet[Review]:
    """The published reviews about ``user``, newest first (profiles and listing pages)."""
    return (
        Review.objects.filter(subject=user, state=ReviewState.PUBLISHED)
        .select_related("author", "order")
        .order_by("-published_at", "-pk")
    )


def review_get(*, pk: int, user: User) -> Review:
    """One review for the API: its author always; anyone (a party, the public) once published."""
    review = Review.objects.select_related("order", "author", "subject").filter(pk=pk).first()
    hidden = review is not None and review.state != ReviewState.PUBLISHED
    if review is None or (hidden and review.author_id != user.pk and not is_support(user)):
        raise NotFound(_("No such review."))
    return review
