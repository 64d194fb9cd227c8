"""Seed the generic price table (every provider; staff can change it in admin).

480p 2 credits/s, 720p 4 credits/s, 1080p 9 credits/s; audio doubles the price.
An 8 s 720p video without audio costs 32 credits.
"""

from django.db import migrations

DEFAULT_RATES = {"480p": 2000, "720p": 4000, "1080p": 9000}  # millicredits per second


def seed_prices(apps, schema_editor):
    PriceRule = apps.get_model("billing", "PriceRule")
    for resolution, rate in DEFAULT_RATES.items():
        PriceRule.objects.get_or_create(
            provider="",
            resolution=resolution,
            active=True,
            defaults={"millicredits_per_second": rate, "audio_factor": 2, "note": "Default (migration)"},
        )


def remove_default_prices(apps, schema_editor):
    PriceRule = apps.get_model("billing", "PriceRule")
    PriceRule.objects.filter(provider="", note="Default (migration)").delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(seed_prices, remove_default_prices)]
