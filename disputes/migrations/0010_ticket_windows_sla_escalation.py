"""After-sales tickets that never stall: an answer time for a pending cancellation, the hand-over
of an unanswered one to support, the case service level, and escalation of a rejected ticket.

Existing tickets get what new ones are given when filed: the service level counted from their
filing under their order's policy (a first response is the first thing an agent did on them),
the time they were rejected, and for a cancellation already waiting a window counted from now:
nobody was told of a deadline before.
"""

from datetime import timedelta

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

BATCH = 500


def backfill(apps, schema_editor):
    Ticket = apps.get_model("disputes", "AfterSalesTicket")
    ContentType = apps.get_model("contenttypes", "ContentType")
    TransitionLog = apps.get_model("core", "TransitionLog")
    now = django.utils.timezone.now()
    content_type = ContentType.objects.filter(app_label="disputes", model="aftersalesticket").first()
    logs = TransitionLog.objects.filter(content_type=content_type) if content_type else TransitionLog.objects.none()
    first_response = {}
    for object_id, at in logs.filter(actor_role="support").order_by("at", "id").values_list("object_id", "at"):
        first_response.setdefault(object_id, at)
    rejected = dict(logs.filter(transition="reject").order_by("at", "id").values_list("object_id", "at"))
    rows = []
    for ticket in Ticket.objects.select_related("order__policy").order_by("pk").iterator(chunk_size=BATCH):
        policy = ticket.order.policy
        ticket.first_response_due = ticket.created_at + timedelta(hours=policy.case_first_response_hours)
        ticket.resolution_due = ticket.created_at + timedelta(hours=policy.case_ruling_hours)
        ticket.first_response_at = first_response.get(ticket.pk)
        if ticket.state == "rejected":
            ticket.rejected_at = rejected.get(ticket.pk, ticket.updated_at)
        if ticket.cancel_requested_at is not None and ticket.state in ("approved", "processing"):
            ticket.cancel_respond_by = now + timedelta(hours=policy.ticket_confirm_hours)
        rows.append(ticket)
    Ticket.objects.bulk_update(
        rows,
        ["first_response_due", "resolution_due", "first_response_at", "rejected_at", "cancel_respond_by"],
        batch_size=BATCH,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0004_drop_index_covered_by_pair"),
        ("disputes", "0009_claims_and_penalty_appeals"),
        ("orders", "0016_policy_ticket_windows"),
    ]

    operations = [
        migrations.AddField(
            model_name="aftersalesticket",
            name="cancel_respond_by",
            field=models.DateTimeField(blank=True, null=True, verbose_name="cancellation to be answered by"),
        ),
        migrations.AddField(
            model_name="aftersalesticket",
            name="cancel_handed_over_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="cancellation handed to support at"),
        ),
        migrations.AddField(
            model_name="aftersalesticket",
            name="rejected_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="rejected at"),
        ),
        migrations.AddField(
            model_name="aftersalesticket",
            name="first_response_due",
            field=models.DateTimeField(
                db_index=True, default=django.utils.timezone.now, verbose_name="first response due"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="aftersalesticket",
            name="first_response_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="first response at"),
        ),
        migrations.AddField(
            model_name="aftersalesticket",
            name="resolution_due",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="decision due"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="aftersalesticket",
            name="sla_breached_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="SLA breached at"),
        ),
        migrations.AddField(
            model_name="aftersalesticket",
            name="escalated_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="escalated to supervisors at"),
        ),
        migrations.AddIndex(
            model_name="aftersalesticket",
            index=models.Index(fields=["state", "cancel_respond_by"], name="ticket_state_cancel_by_idx"),
        ),
        migrations.AddField(
            model_name="supportcase",
            name="escalated_from_ticket",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="escalated_to",
                to="disputes.aftersalesticket",
                verbose_name="escalated from ticket",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
