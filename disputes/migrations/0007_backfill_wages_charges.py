"""Wages charges made before they had a ``Payment`` row get one, so a ticket never needs to dig
the charge out of a ledger memo again.

Such a charge was recorded only as the ticket's compensation transaction, whose memo ended with
the gateway's reference ("Ticket #12: unpaid wages charged to the client, charge ch_…"). For each
ticket whose wages were paid that way and that is not cancelled, the charge is written as the
``Payment`` it was (the order's client, the gateway and card of the order's own charge) and
linked to the ticket, as tickets paid since are.
"""

from django.db import migrations


def backfill(apps, schema_editor):
    Ticket = apps.get_model("disputes", "AfterSalesTicket")
    LedgerTransaction = apps.get_model("orders", "LedgerTransaction")
    Payment = apps.get_model("orders", "Payment")
    tickets = Ticket.objects.filter(
        type="unpaid_wages", compensation_paid_at__isnull=False, compensation_payment__isnull=True
    ).exclude(state="cancelled")
    for ticket in tickets.select_related("order"):
        txn = (
            LedgerTransaction.objects.filter(
                order_id=ticket.order_id, kind="ticket_compensation", memo__startswith=f"Ticket #{ticket.pk}: "
            )
            .order_by("-created_at", "-id")
            .first()
        )
        reference = txn.memo.rsplit(" ", 1)[-1] if txn is not None and " charge " in txn.memo else ""
        if not reference or Payment.objects.filter(reference=reference).exists():
            continue
        own = Payment.objects.filter(order_id=ticket.order_id).order_by("created_at", "id").first()
        payment = Payment.objects.create(
            order_id=ticket.order_id,
            gateway=own.gateway if own else "",
            reference=reference,
            method=own.method if own else "",
            amount=ticket.compensation,
            currency=ticket.order.currency,
            status="succeeded",
            created_at=txn.created_at,
            updated_at=txn.created_at,
        )
        Ticket.objects.filter(pk=ticket.pk).update(compensation_payment=payment)


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0006_ruling_restrictions"),
        ("orders", "0011_message_thread_from_marketplace"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
