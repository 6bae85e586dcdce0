"""E-mail addresses: one account per address (whatever its case), and a verified time.

Before the constraint goes on, the data is made to fit it:

- every address is stored trimmed and with its domain in lower case, as sign-up now stores it;
- where several accounts share an address (compared without case), the oldest account (first
  joined, then lowest id) keeps it; the others' addresses are blanked and left unverified, so
  their notifications stay in the app until they enter an address of their own;
- every other account with an address is marked verified at the time of the migration: their
  notification e-mails worked before, and they keep working.
"""

from django.db import migrations, models
from django.db.models.functions import Lower
from django.utils import timezone

BATCH = 1000


def _normalised(email: str) -> str:
    """Trimmed, with the domain in lower case (what sign-up stores from now on)."""
    email = (email or "").strip()
    local, at, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}" if at else email


def keep_oldest_and_mark_verified(apps, schema_editor):
    User = apps.get_model("marketplace", "User")
    now = timezone.now()
    taken: set[str] = set()
    changed = []
    for user in User.objects.order_by("date_joined", "pk").only("pk", "email", "email_verified_at").iterator(BATCH):
        email = _normalised(user.email)
        if email and email.lower() in taken:
            email, verified_at = "", None  # another, older account has it
        else:
            taken.add(email.lower())
            verified_at = now if email else None
        user.email, user.email_verified_at = email, verified_at
        changed.append(user)
        if len(changed) >= BATCH:
            User.objects.bulk_update(changed, ["email", "email_verified_at"])
            changed = []
    if changed:
        User.objects.bulk_update(changed, ["email", "email_verified_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("marketplace", "0006_message_thread_to_orders"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_verification_sent_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="verification e-mail sent at"),
        ),
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="e-mail address verified at"),
        ),
        # Forward only: a blanked duplicate cannot be told apart afterwards, and unverified
        # addresses are harmless to the older schema.
        migrations.RunPython(keep_oldest_and_mark_verified, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(("email", ""), _negated=True),
                name="user_email_unique_ci",
                violation_error_message="This e-mail address is already used by another account.",
            ),
        ),
    ]
