"""Resolution requests, support cases, after-sales tickets, claims with proof and appeals of
penalties: each a state machine with a log.

State changes go through ``disputes.services`` (which lock the row, check who may act, call the
pure transition, save, and write the transition log in the same transaction).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from core.models import TimeStampedModel
from core.uploads import stored_name
from orders.models import CancelReason

# --- Resolution requests -------------------------------------------------------------------


class RequestType(models.TextChoices):
    CANCEL = "cancel", _("cancel the order")
    EXTEND_DELIVERY = "extend_delivery", _("extend the delivery")
    REQUEST_UPDATE = "request_update", _("request an update")
    CHANGE_TERMS = "change_terms", _("change the hours or pay")


class RequestState(models.TextChoices):
    OPEN = "open", _("open")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    WITHDRAWN = "withdrawn", _("withdrawn")
    EXPIRED = "expired", _("expired")


class Resolution(models.TextChoices):
    BY_PARTY = "by_party", _("answered by the other party")
    AUTO_ACCEPTED = "auto_accepted", _("accepted automatically after the window")
    AUTO_EXPIRED = "auto_expired", _("expired without an answer")
    WITHDRAWN = "withdrawn", _("withdrawn by its author")


class ResolutionRequest(FSMModelMixin, TimeStampedModel):
    """A party asks the other to cancel, extend the delivery, or send an update."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="resolution_requests")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_role = models.CharField(_("author's role"), max_length=16)
    type = models.CharField(_("type"), max_length=20, choices=RequestType.choices)
    state = FSMField(_("state"), max_length=16, choices=RequestState.choices, default=RequestState.OPEN, protected=True)
    resolution = models.CharField(_("resolution"), max_length=16, choices=Resolution.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=32, choices=CancelReason.choices, blank=True)
    message = models.TextField(_("message"))
    refund_percent = models.DecimalField(_("refund to client %"), max_digits=5, decimal_places=2, null=True, blank=True)
    new_due_at = models.DateTimeField(_("new due date"), null=True, blank=True)
    # change_terms: the shift's terms as they were when asked, and as proposed.
    old_starts_at = models.DateTimeField(_("starts at (before)"), null=True, blank=True)
    old_ends_at = models.DateTimeField(_("ends at (before)"), null=True, blank=True)
    old_price = models.DecimalField(_("pay (before)"), max_digits=12, decimal_places=2, null=True, blank=True)
    new_starts_at = models.DateTimeField(_("new start"), null=True, blank=True)
    new_ends_at = models.DateTimeField(_("new end"), null=True, blank=True)
    new_price = models.DecimalField(_("new pay"), max_digits=12, decimal_places=2, null=True, blank=True)
    respond_by = models.DateTimeField(_("answer by"))  # indexed with state: the sweeps ask for open ones
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    response_message = models.TextField(_("answer"), blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("resolution request")
        verbose_name_plural = _("resolution requests")
        indexes = [models.Index(fields=("state", "respond_by"), name="request_state_respond_by_idx")]
        constraints = [
            # The business rule lives in the database, not only in Python: races cannot break it.
            models.UniqueConstraint(fields=("order",), condition=Q(state="open"), name="one_open_request_per_order"),
            models.CheckConstraint(
                condition=~Q(type="cancel") | Q(refund_percent__gte=0, refund_percent__lte=100),
                name="request_cancel_refund_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(type="extend_delivery") | Q(new_due_at__isnull=False),
                name="request_extension_has_new_due_date",
            ),
            models.CheckConstraint(
                condition=~Q(type="change_terms")
                | Q(
                    new_starts_at__isnull=False,
                    new_ends_at__isnull=False,
                    new_price__gt=0,
                    new_starts_at__lt=models.F("new_ends_at"),
                ),
                name="request_change_terms_complete",
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(type)s on order #%(order)s (%(state)s)") % {
            "type": self.get_type_display(),
            "order": self.order_id,
            "state": self.get_state_display(),
        }

    @transition(field=state, source=RequestState.OPEN, target=RequestState.ACCEPTED)
    def accept(self, *, by, message: str, at, resolution: str = Resolution.BY_PARTY) -> None:
        self.responded_by = by
        self.response_message = message
        self.resolution = resolution
        self.resolved_at = at

    @transition(field=state, source=RequestState.OPEN, target=RequestState.DECLINED)
    def decline(self, *, by, message: str, at) -> None:
        self.responded_by = by
        self.response_message = message
        self.resolution = Resolution.BY_PARTY
        self.resolved_at = at

    @transition(field=state, source=RequestState.OPEN, target=RequestState.WITHDRAWN)
    def withdraw(self, *, at) -> None:
        self.resolution = Resolution.WITHDRAWN
        self.resolved_at = at

    @transition(field=state, source=RequestState.OPEN, target=RequestState.EXPIRED)
    def expire(self, *, at) -> None:
        self.resolution = Resolution.AUTO_EXPIRED
        self.resolved_at = at


class AwayPeriod(models.Model):
    """Time a provider announced to be away, as the answer windows of requests sent to them count it.

    ``marketplace.Availability`` holds only the announcement in force (replaced or deleted when
    it changes), so the part of an announcement that already elapsed would be forgotten and an
    answer window would shrink back when the provider returns early. The disputes app keeps
    what it was told here (``requests_reschedule_for_provider``): rows are cut short at the
    moment an announcement changes, never lengthened. ``ends_at`` empty: no return announced.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(_("away from"))
    ends_at = models.DateTimeField(_("back on"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ("user", "starts_at", "id")
        verbose_name = _("time away (answer windows)")
        verbose_name_plural = _("time away (answer windows)")
        indexes = [models.Index(fields=("user", "ends_at"), name="away_period_user_ends_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="away_period_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} away {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at or '…'}"


# --- Support cases -------------------------------------------------------------------------

# How long a party may appeal a ruling. PRODUCT.md names no appeal window and the policy has no
# field for one, so it is a constant here: a week, long enough to read the ruling and answer,
# short enough that a ruled case closes by itself (``disputes.jobs.cases.close_ruled_cases``).
APPEAL_WINDOW = timedelta(days=7)


class CaseCategory(models.TextChoices):
    NOT_AS_DESCRIBED = "not_as_described", _("job not as described")
    PAY = "pay", _("unpaid or changed pay")
    FORCE_MAJEURE = "force_majeure", _("force majeure")
    ABUSE = "abuse", _("abuse")
    DECLINED_REQUEST = "declined_request", _("a request was declined")
    OTHER = "other", _("other")


class CaseState(models.TextChoices):
    OPEN = "open", _("open")
    AWAITING_INFO = "awaiting_info", _("waiting for more information")
    RULED = "ruled", _("ruled")
    APPEALED = "appealed", _("appealed")
    CLOSED = "closed", _("closed")


class SupportCase(FSMModelMixin, TimeStampedModel):
    """A party asks support to rule, with statements and evidence; agents work it in the admin."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="support_cases")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_by_role = models.CharField(_("opened as"), max_length=16)
    category = models.CharField(_("category"), max_length=24, choices=CaseCategory.choices)
    statement = models.TextField(_("statement"))
    desired_outcome = models.TextField(_("outcome asked for"))
    escalated_from = models.OneToOneField(
        ResolutionRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="escalated_to"
    )
    # A rejected after-sales ticket its filer took to support (one case per ticket).
    escalated_from_ticket = models.OneToOneField(
        "AfterSalesTicket",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalated_to",
        verbose_name=_("escalated from ticket"),
    )
    state = FSMField(_("state"), max_length=16, choices=CaseState.choices, default=CaseState.OPEN, protected=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_cases"
    )
    first_response_due = models.DateTimeField(_("first response due"), db_index=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    ruling_due = models.DateTimeField(_("ruling due"), db_index=True)
    sla_breached_at = models.DateTimeField(_("SLA breached at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated to supervisors at"), null=True, blank=True)
    # An agent saw the breach (``support_queue.sla_breaches_mark_seen``): the flag stays, the alert goes.
    sla_seen_at = models.DateTimeField(_("breach seen at"), null=True, blank=True)
    sla_seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("breach seen by"),
    )
    info_requested_from = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    info_request = models.TextField(_("information asked for"), blank=True)
    info_due_at = models.DateTimeField(_("information due"), null=True, blank=True)
    # The ruling
    outcome = models.TextField(_("outcome"), blank=True)
    fault = models.CharField(_("fault"), max_length=16, blank=True)
    refund_percent = models.DecimalField(_("refund to client %"), max_digits=5, decimal_places=2, null=True, blank=True)
    ruling = models.TextField(_("ruling and reasons"), blank=True)
    ruled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ruled_at = models.DateTimeField(_("ruled at"), null=True, blank=True)
    # What the ruling did, linked so that an upheld appeal reverses exactly that (not whatever
    # happened on the order at the same moment).
    ruling_cancellation = models.OneToOneField(
        "orders.Cancellation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="support_case",
        verbose_name=_("cancellation ruled"),
    )
    ruling_credit_events = models.ManyToManyField(
        "credit.CreditEvent", blank=True, related_name="support_cases", verbose_name=_("credit events ruled")
    )
    # Only the restrictions the ruling itself imposed: one already in force stays when an appeal is upheld.
    ruling_restrictions = models.ManyToManyField(
        "credit.Restriction", blank=True, related_name="support_cases", verbose_name=_("restrictions ruled")
    )
    # The appeal
    appeal = models.TextField(_("appeal"), blank=True)
    appealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    appealed_at = models.DateTimeField(_("appealed at"), null=True, blank=True)
    appeal_ruling = models.TextField(_("appeal ruling"), blank=True)
    appeal_upheld = models.BooleanField(_("appeal upheld"), null=True, blank=True)
    appeal_ruled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("support case")
        verbose_name_plural = _("support cases")
        indexes = [models.Index(fields=("state", "ruling_due"), name="case_state_ruling_due_idx")]

    def __str__(self) -> str:
        return gettext("Case #%(id)s on order #%(order)s (%(state)s)") % {
            "id": self.pk,
            "order": self.order_id,
            "state": self.get_state_display(),
        }

    @property
    def appeal_until(self):
        """Until when a party may appeal the ruling (None before a ruling)."""
        return self.ruled_at + APPEAL_WINDOW if self.ruled_at is not None else None

    @transition(field=state, source=(CaseState.OPEN, CaseState.APPEALED), target=CaseState.AWAITING_INFO)
    def ask_for_info(self, *, from_user, question: str, due_at, at) -> None:
        self.info_requested_from = from_user
        self.info_request = question
        self.info_due_at = due_at
        self.first_response_at = self.first_response_at or at

    @transition(field=state, source=CaseState.AWAITING_INFO, target=CaseState.OPEN)
    def info_received(self) -> None:
        self.info_due_at = None

    @transition(field=state, source=(CaseState.OPEN, CaseState.AWAITING_INFO), target=CaseState.RULED)
    def rule(self, *, by, outcome: str, fault: str, refund_percent, ruling: str, at) -> None:
        self.outcome, self.fault, self.refund_percent, self.ruling = outcome, fault, refund_percent, ruling
        self.ruled_by, self.ruled_at = by, at
        self.first_response_at = self.first_response_at or at

    @transition(field=state, source=CaseState.RULED, target=CaseState.APPEALED)
    def file_appeal(self, *, by, text: str, at) -> None:
        self.appeal, self.appealed_by, self.appealed_at = text, by, at

    @transition(field=state, source=CaseState.APPEALED, target=CaseState.CLOSED)
    def rule_appeal(self, *, by, upheld: bool, ruling: str, at) -> None:
        self.appeal_upheld, self.appeal_ruling, self.appeal_ruled_by = upheld, ruling, by
        self.closed_at = at

    @transition(field=state, source=CaseState.RULED, target=CaseState.CLOSED)
    def close(self, *, at) -> None:
        self.closed_at = at


class CaseStatement(models.Model):
    """A party's (or support's) words on a case; both parties see each other's statements."""

    case = models.ForeignKey(SupportCase, on_delete=models.CASCADE, related_name="statements")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_role = models.CharField(_("role"), max_length=16)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("statement")
        verbose_name_plural = _("statements")

    def __str__(self) -> str:
        return f"Statement by {self.author} on case {self.case_id}"


# --- After-sales tickets -------------------------------------------------------------------


class TicketType(models.TextChoices):
    QUALITY = "quality_problem", _("quality problem")
    REWORK = "rework", _("rework")
    PARTIAL_REFUND = "partial_refund", _("partial refund")
    UNPAID_WAGES = "unpaid_wages", _("unpaid wages")


class TicketState(models.TextChoices):
    PENDING_REVIEW = "pending_review", _("pending review")
    UNDER_REVIEW = "under_review", _("under review")
    APPROVED = "approved", _("approved")
    PROCESSING = "processing", _("processing")
    RESOLVED = "resolved", _("resolved")
    REJECTED = "rejected", _("rejected")
    CANCELLED = "cancelled", _("cancelled")


class TicketCancelReason(models.TextChoices):
    RESOLVED_MYSELF = "resolved_myself", _("resolved it myself")
    AGREED = "agreed_with_other_party", _("agreed with the other party")
    MISTAKE = "filed_by_mistake", _("filed by mistake")
    CIRCUMSTANCES = "circumstances_changed", _("circumstances changed")
    OTHER = "other", _("other")


class AfterSalesTicket(FSMModelMixin, TimeStampedModel):
    """A problem raised on a completed order within the policy's days, worked by agents."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="tickets")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_by_role = models.CharField(_("opened as"), max_length=16)
    type = models.CharField(_("type"), max_length=20, choices=TicketType.choices)
    description = models.TextField(_("description"))
    version = models.PositiveIntegerField(_("version"), default=1)
    state = FSMField(
        _("state"), max_length=16, choices=TicketState.choices, default=TicketState.PENDING_REVIEW, protected=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_tickets"
    )
    compensation = models.DecimalField(_("compensation"), max_digits=12, decimal_places=2, null=True, blank=True)
    compensation_paid_at = models.DateTimeField(_("compensation paid at"), null=True, blank=True)
    # Unpaid wages are charged to the client: the charge asked for (made outside the ticket's
    # transaction, retried when declined), which a cancellation cancels or refunds.
    compensation_charge = models.ForeignKey(
        "orders.Charge",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("wages charge"),
    )
    # A wages charge made before charges were asked for first (migration 0007 recorded those).
    compensation_payment = models.ForeignKey(
        "orders.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("wages charge"),
    )
    # Money going back to the client through a ``Refund`` row settled by
    # ``orders.jobs.settle_refunds``, like a cancellation's refund: a client's compensation
    # (emptied if it is cancelled before it settles), or a refunded wages charge.
    compensation_refund = models.ForeignKey(
        "orders.Refund",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("compensation refund"),
    )
    decision_note = models.TextField(_("agent's note"), blank=True)
    # A cancellation that needs someone's confirmation first (approved / processing).
    cancel_reason = models.CharField(_("cancel reason"), max_length=32, choices=TicketCancelReason.choices, blank=True)
    cancel_message = models.TextField(_("cancel message"), blank=True)
    cancel_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancel_requested_at = models.DateTimeField(_("cancel asked at"), null=True, blank=True)
    # By when the party asked must answer (the policy's hours). Silence confirms the cancellation,
    # or in ``processing`` hands it to support (``cancel_handed_over_at``): agents decide it then.
    # Kept once the ticket is cancelled, so a late answer is told the window closed.
    cancel_respond_by = models.DateTimeField(_("cancellation to be answered by"), null=True, blank=True)
    cancel_handed_over_at = models.DateTimeField(_("cancellation handed to support at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    # Service level, as for support cases: a first response and a decision within the policy's
    # case hours (a cancellation handed to support is due again from then). Breaches are
    # flagged once and escalated to supervisors by ``disputes.jobs.tickets.flag_sla_breaches``.
    first_response_due = models.DateTimeField(_("first response due"), db_index=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("decision due"), db_index=True)
    sla_breached_at = models.DateTimeField(_("SLA breached at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated to supervisors at"), null=True, blank=True)
    # An agent saw the breach (``support_queue.sla_breaches_mark_seen``): the flag stays, the alert goes.
    sla_seen_at = models.DateTimeField(_("breach seen at"), null=True, blank=True)
    sla_seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("breach seen by"),
    )

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("after-sales ticket")
        verbose_name_plural = _("after-sales tickets")
        # The confirmation sweep asks for pending cancellations by their answer time.
        indexes = [models.Index(fields=("state", "cancel_respond_by"), name="ticket_state_cancel_by_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=("order", "opened_by"),
                condition=Q(state__in=("pending_review", "under_review", "approved", "processing")),
                name="one_live_ticket_per_order_and_party",
            )
        ]

    def __str__(self) -> str:
        return gettext("Ticket #%(id)s on order #%(order)s (%(state)s)") % {
            "id": self.pk,
            "order": self.order_id,
            "state": self.get_state_display(),
        }

    @property
    def cancel_pending(self) -> bool:
        return self.cancel_requested_at is not None and self.state in (TicketState.APPROVED, TicketState.PROCESSING)

    @property
    def cancel_with_support(self) -> bool:
        """A pending cancellation nobody answered in time, now for an agent to decide."""
        return self.cancel_pending and self.cancel_handed_over_at is not None

    @transition(field=state, source=TicketState.PENDING_REVIEW, target=TicketState.UNDER_REVIEW)
    def start_review(self, *, agent) -> None:
        self.assignee = agent

    @transition(field=state, source=TicketState.UNDER_REVIEW, target=TicketState.APPROVED)
    def approve(self, *, compensation, note: str) -> None:
        self.compensation, self.decision_note = compensation, note

    @transition(field=state, source=TicketState.UNDER_REVIEW, target=TicketState.REJECTED)
    def reject(self, *, note: str, at) -> None:
        self.decision_note = note
        self.rejected_at = at

    @transition(field=state, source=TicketState.APPROVED, target=TicketState.PROCESSING)
    def start_processing(self) -> None:
        pass

    @transition(field=state, source=TicketState.PROCESSING, target=TicketState.RESOLVED)
    def resolve(self, *, at) -> None:
        self.resolved_at = at

    @transition(
        field=state,
        source=(TicketState.PENDING_REVIEW, TicketState.UNDER_REVIEW, TicketState.APPROVED, TicketState.PROCESSING),
        target=TicketState.CANCELLED,
    )
    def cancel(self, *, reason: str, message: str, by, at) -> None:
        self.cancel_reason, self.cancel_message = reason, message
        self.cancel_requested_by = self.cancel_requested_by or by
        self.cancelled_at = at


class TicketVersion(models.Model):
    """Every version of a ticket's text, kept when it is edited (only while pending review)."""

    ticket = models.ForeignKey(AfterSalesTicket, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    type = models.CharField(_("type"), max_length=20, choices=TicketType.choices)
    description = models.TextField(_("description"))
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ("ticket", "version")
        constraints = [models.UniqueConstraint(fields=("ticket", "version"), name="ticket_version_unique")]

    def __str__(self) -> str:
        return f"Ticket {self.ticket_id} v{self.version}"


# --- Evidence ------------------------------------------------------------------------------


# --- What support decides within the case SLA --------------------------------------------------


class DecidedBySupport(FSMModelMixin, TimeStampedModel):
    """Something a party files and support decides within the case service level (claims, appeals
    of penalties): an agent takes it within the first-response hours and decides it, with the
    reasons, within the ruling hours; a breach is flagged once and escalated (``disputes.jobs.sla``)."""

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    first_response_due = models.DateTimeField(_("first response due"), db_index=True)
    decision_due = models.DateTimeField(_("decision due"), db_index=True)
    sla_breached_at = models.DateTimeField(_("SLA breached at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated to supervisors at"), null=True, blank=True)
    # An agent saw the breach (``support_queue.sla_breaches_mark_seen``): the flag stays, the alert goes.
    sla_seen_at = models.DateTimeField(_("breach seen at"), null=True, blank=True)
    sla_seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("breach seen by"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision and reasons"), blank=True)

    class Meta:
        abstract = True

    def decided(self, *, by, note: str, at) -> None:
        """Record who decided, when and why (called by the subclasses' decision transitions)."""
        self.decided_by, self.decided_at, self.decision_note = by, at, note


# --- Claims with proof ------------------------------------------------------------------------


class ClaimKind(models.TextChoices):
    FORCE_MAJEURE = "force_majeure", _("force majeure (illness, storm, lockdown)")
    CLIENT_RESPONSIBLE = "client_responsible", _("the client is responsible (job not as described, pay changed)")


class ClaimState(models.TextChoices):
    PENDING_REVIEW = "pending_review", _("waiting for support")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")


class Claim(DecidedBySupport):
    """A party cancels for a reason that is not their fault and proves it; support decides.

    Filing cancels the order at once with the client refunded in full, and holds what the
    normal rules would have cost the claimant then (``held_*``). Accepted: nothing held applies
    (a ``client_responsible`` claim puts the client-responsible ruling's consequences on the
    client). Rejected: what was held applies, dated at the claim.
    """

    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="claim")
    kind = models.CharField(_("kind"), max_length=24, choices=ClaimKind.choices)
    claimant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    claimant_role = models.CharField(_("filed by"), max_length=16)
    statement = models.TextField(_("statement"))
    state = FSMField(
        _("state"), max_length=16, choices=ClaimState.choices, default=ClaimState.PENDING_REVIEW, protected=True
    )
    cancellation = models.OneToOneField(
        "orders.Cancellation", on_delete=models.PROTECT, related_name="claim", verbose_name=_("cancellation")
    )
    # What the normal rules would have cost the claimant at the moment of the claim.
    held_path = models.CharField(_("rule held"), max_length=40)
    held_tier = models.CharField(_("tier held"), max_length=80)
    held_fee = models.DecimalField(_("fee held"), max_digits=12, decimal_places=2)
    held_credit_delta = models.SmallIntegerField(_("credit change held"))
    held_counts_against_completion_rate = models.BooleanField(_("completion-rate count held"))
    held_counts_as_complaint = models.BooleanField(_("complaint held"))
    credit_events = models.ManyToManyField(
        "credit.CreditEvent", blank=True, related_name="claims", verbose_name=_("credit events the decision wrote")
    )

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("claim")
        verbose_name_plural = _("claims")

    def __str__(self) -> str:
        return gettext("Claim #%(id)s on order #%(order)s (%(state)s)") % {
            "id": self.pk,
            "order": self.order_id,
            "state": self.get_state_display(),
        }

    @transition(field=state, source=ClaimState.PENDING_REVIEW, target=ClaimState.ACCEPTED)
    def accept(self, *, by, note: str, at) -> None:
        self.decided(by=by, note=note, at=at)

    @transition(field=state, source=ClaimState.PENDING_REVIEW, target=ClaimState.REJECTED)
    def reject(self, *, by, note: str, at) -> None:
        self.decided(by=by, note=note, at=at)


# --- Appeals of penalties nobody ruled on -----------------------------------------------------


class AppealState(models.TextChoices):
    OPEN = "open", _("waiting for support")
    UPHELD = "upheld", _("upheld")
    DENIED = "denied", _("denied")


class PenaltyAppeal(DecidedBySupport):
    """The person a penalty hit (a tier fee and its credit, a no-show, a force-cancel) contests it.

    One per credit event. Upheld: the event and its cancellation's fee are reversed, as an
    upheld ruling appeal reverses them; denied: they stay. Either way both are told why.
    """

    event = models.OneToOneField(
        "credit.CreditEvent", on_delete=models.PROTECT, related_name="penalty_appeal", verbose_name=_("credit event")
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="penalty_appeals"
    )
    appellant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    statement = models.TextField(_("statement"))
    state = FSMField(_("state"), max_length=16, choices=AppealState.choices, default=AppealState.OPEN, protected=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("penalty appeal")
        verbose_name_plural = _("penalty appeals")

    def __str__(self) -> str:
        return f"Appeal #{self.pk} of credit event {self.event_id}"

    @transition(field=state, source=AppealState.OPEN, target=AppealState.UPHELD)
    def uphold(self, *, by, note: str, at) -> None:
        self.decided(by=by, note=note, at=at)

    @transition(field=state, source=AppealState.OPEN, target=AppealState.DENIED)
    def deny(self, *, by, note: str, at) -> None:
        self.decided(by=by, note=note, at=at)


def evidence_path(instance: Evidence, filename: str) -> str:
    """Where an evidence file is stored: a random name, never the uploader's (that is kept in ``name``)."""
    return stored_name("evidence", instance.content_type)


class Evidence(models.Model):
    """A file given as evidence on a case, a ticket, a claim or an appeal (images and PDF, 10 MB, type by content)."""

    case = models.ForeignKey(SupportCase, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    ticket = models.ForeignKey(
        AfterSalesTicket, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    appeal = models.ForeignKey(PenaltyAppeal, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("file"), upload_to=evidence_path)
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    description = models.CharField(_("description"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False, ticket__isnull=True, claim__isnull=True, appeal__isnull=True)
                | Q(case__isnull=True, ticket__isnull=False, claim__isnull=True, appeal__isnull=True)
                | Q(case__isnull=True, ticket__isnull=True, claim__isnull=False, appeal__isnull=True)
                | Q(case__isnull=True, ticket__isnull=True, claim__isnull=True, appeal__isnull=False),
                name="evidence_belongs_to_one_thing",
            )
        ]

    def __str__(self) -> str:
        return self.name
