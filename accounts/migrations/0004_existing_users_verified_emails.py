"""Users from before allauth keep logging in: their address becomes a confirmed, primary
allauth EmailAddress (allauth refuses logins without one when verification is mandatory)."""

from django.db import migrations


def add_email_addresses(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    have = set(EmailAddress.objects.values_list("user_id", flat=True))
    EmailAddress.objects.bulk_create(
        EmailAddress(user_id=user_id, email=email.lower(), primary=True, verified=True)
        for user_id, email in User.objects.values_list("id", "email")
        if user_id not in have
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_tenant_require_owner_mfa"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(add_email_addresses, migrations.RunPython.noop)]
