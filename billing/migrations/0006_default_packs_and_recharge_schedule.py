"""Three credit packs to start selling with (staff edit them in admin). The automatic recharge
sweep's schedule is in ops/schedules.py (`manage.py schedules`)."""

from decimal import Decimal

from django.db import migrations

PACKS = [
    # name, credits, price (USD), position: 1 cent a credit, volume discounts on larger packs.
    ("Starter", 500, Decimal("5.00"), 1),
    ("Studio", 2500, Decimal("20.00"), 2),
    ("Production", 12000, Decimal("80.00"), 3),
]


def forwards(apps, schema_editor):
    CreditPack = apps.get_model("billing", "CreditPack")
    for name, credits, price, position in PACKS:
        CreditPack.objects.get_or_create(
            name=name, defaults={"credits": credits, "price": price, "currency": "usd", "position": position}
        )


def backwards(apps, schema_editor):
    apps.get_model("billing", "CreditPack").objects.filter(name__in=[p[0] for p in PACKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_payments"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
