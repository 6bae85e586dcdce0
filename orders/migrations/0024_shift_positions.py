"""Shifts with several places: a shift listing is no longer limited to one live booking (nor to
one booking being paid); instead its ``positions_taken`` counts the places held, taken under the
listing's row lock (``orders.services``). Existing shifts count their live bookings and the
bookings being paid."""

from django.db import migrations
from django.db.models import Count, Q


def count_places(apps, schema_editor):
    Listing = apps.get_model("marketplace", "Listing")
    Order = apps.get_model("orders", "Order")
    OrderPlacement = apps.get_model("orders", "OrderPlacement")
    held: dict[int, int] = {}
    live = (
        Order.objects.filter(kind="shift", listing__isnull=False)
        .exclude(state="cancelled")
        .values_list("listing_id")
        .annotate(n=Count("pk"))
    )
    paying = (
        OrderPlacement.objects.filter(Q(kind="shift") & Q(status="charging"))
        .values_list("listing_id")
        .annotate(n=Count("pk"))
    )
    for listing_id, n in [*live, *paying]:
        held[listing_id] = held.get(listing_id, 0) + n
    for listing_id, n in held.items():
        # One place per booking made before (a shift had one); more only if data were odd.
        Listing.objects.filter(pk=listing_id).update(positions=max(n, 1), positions_taken=n)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0023_review_support_permissions"),
        ("marketplace", "0013_listing_positions"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="order", name="order_one_live_booking_per_shift"),
        migrations.RemoveConstraint(model_name="orderplacement", name="placement_one_charging_per_shift"),
        migrations.RunPython(count_places, migrations.RunPython.noop),
    ]
