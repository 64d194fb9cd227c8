from django.core.management.base import BaseCommand, CommandError

from accounts.models import Tenant
from billing.payments.services import reconcile as reconcile_payments
from generations.holds import reconcile


class Command(BaseCommand):
    help = (
        "Check every tenant's books: the ledger sums to the balance, the open holds add up to "
        "`held`, and the ledger's purchases, refunds and disputes match the Stripe payments. "
        "Prints each disagreement and exits non-zero if there is any."
    )

    def handle(self, **options):
        problems = 0
        for tenant in Tenant.objects.order_by("slug").iterator():
            for problem in reconcile(tenant) + reconcile_payments(tenant):
                problems += 1
                self.stdout.write(f"{tenant.slug}: {problem}")
        if problems:
            raise CommandError(f"{problems} disagreement(s) found.")
        self.stdout.write("All tenants' books agree.")
