"""The ``support`` group holds the admin's model permissions for support work.

Its members (and superusers) act for support on the pages and in the API (``core.support``);
each action also asks for the model permission the admin asks for, so these are what a
support agent needs: to see every order, case, ticket, claim, appeal, credit record, user
and webhook delivery, and to change those that support work changes. Editing the policy stays
with whoever staff give that right to. The ``supervisors`` group (appeals of rulings, SLA
escalations) is created too: a supervisor is a member of both groups.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SUPPORT_GROUP = "support"
SUPERVISORS_GROUP = "supervisors"

VIEW = {
    "core": ("transitionlog", "webhookendpoint", "webhookdelivery"),
    "credit": ("creditaccount", "creditevent", "restriction"),
    "marketplace": ("user", "listing", "notification", "block", "availability"),
    "orders": (
        "policy",
        "cancellationrule",
        "order",
        "delivery",
        "deliveryfile",
        "payment",
        "account",
        "ledgertransaction",
        "ledgerentry",
        "cancellationquote",
        "cancellation",
        "refund",
        "charge",
        "orderplacement",
        "message",
        "messageattachment",
        "messagereport",
    ),
    "disputes": (
        "resolutionrequest",
        "awayperiod",
        "supportcase",
        "casestatement",
        "aftersalesticket",
        "ticketversion",
        "claim",
        "penaltyappeal",
        "evidence",
    ),
}
CHANGE = {
    "core": ("webhookdelivery",),
    "credit": ("creditaccount", "creditevent", "restriction"),
    "marketplace": ("listing",),
    "orders": ("order", "cancellation", "refund", "charge", "messagereport"),
    "disputes": ("resolutionrequest", "supportcase", "aftersalesticket", "claim", "penaltyappeal"),
}
ADD = {"credit": ("restriction",)}


def codenames():
    for table, action in ((VIEW, "view"), (CHANGE, "change"), (ADD, "add")):
        for app_label, models in table.items():
            for model in models:
                yield app_label, f"{action}_{model}"


def grant(apps, schema_editor):
    # Permissions are normally created after migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        had = getattr(app_config, "models_module", None)
        app_config.models_module = had or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = had
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    support, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
    Group.objects.get_or_create(name=SUPERVISORS_GROUP)
    wanted = set(codenames())
    permissions = [
        permission
        for permission in Permission.objects.select_related("content_type")
        if (permission.content_type.app_label, permission.codename) in wanted
    ]
    missing = wanted - {(p.content_type.app_label, p.codename) for p in permissions}
    assert not missing, f"permissions not found: {sorted(missing)}"
    support.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    support = Group.objects.filter(name=SUPPORT_GROUP).first()
    if support is None:
        return
    wanted = set(codenames())
    support.permissions.remove(
        *[p for p in Permission.objects.select_related("content_type") if (p.content_type.app_label, p.codename) in wanted]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0011_evidence_random_names"),
        ("core", "0005_support_group"),
        ("credit", "0003_drop_index_covered_by_pair"),
        ("marketplace", "0006_message_thread_to_orders"),
        ("orders", "0019_delivery_files_random_names"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
