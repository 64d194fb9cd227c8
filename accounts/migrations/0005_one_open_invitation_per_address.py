import django.db.models.functions.text
from django.db import migrations, models


def keep_newest_open_invitation(apps, schema_editor):
    """Before the constraint: of several unaccepted invitations to one address in one team, keep
    the newest (its link is the one most likely in the inbox)."""
    Invitation = apps.get_model("accounts", "Invitation")
    seen = set()
    for invitation in Invitation.objects.filter(accepted_at=None).order_by("-created", "-id"):
        key = (invitation.tenant_id, invitation.email.lower())
        if key in seen:
            invitation.delete()
        seen.add(key)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_existing_users_verified_emails"),
    ]

    operations = [
        migrations.RunPython(keep_newest_open_invitation, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="invitation",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"),
                models.F("tenant"),
                condition=models.Q(("accepted_at__isnull", True)),
                name="accounts_one_open_invitation_per_address",
            ),
        ),
    ]
