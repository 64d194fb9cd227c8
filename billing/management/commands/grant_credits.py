from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import audit
from accounts.models import Tenant
from billing import services
from billing.errors import InvalidAmount


class Command(BaseCommand):
    help = "Add credits to a tenant's balance (a `grant` ledger entry) and print the new balance."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The tenant's slug.")
        parser.add_argument("amount", help="Whole credits to add (> 0).")
        parser.add_argument("--note", default="", help="Why; shown in the ledger.")

    def handle(self, slug, amount, note, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug '{slug}'.")
        try:
            credits = int(amount)
        except ValueError:
            raise CommandError(f"AMOUNT must be a whole number of credits (got '{amount}').") from None
        if credits <= 0:
            raise CommandError(f"AMOUNT must be positive (got {credits}).")
        note = note or "Granted with grant_credits"
        try:
            with transaction.atomic():
                entry = services.grant(tenant, credits, actor=None, note=note)
                audit.record(None, "credits.grant", tenant=tenant, after={"amount": credits}, note=note)
        except InvalidAmount as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"Granted {credits} credits to {tenant.slug}; balance is now {entry.balance_after}."
        )
