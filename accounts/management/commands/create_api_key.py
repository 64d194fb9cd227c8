from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import ApiKey, Tenant


class Command(BaseCommand):
    help = "Create an API key for a tenant; the key is printed once, alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--expires-in-days", type=int, default=None)

    def handle(self, slug, name, expires_in_days, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug '{slug}'.")
        if not name.strip():
            raise CommandError("--name must not be empty.")
        if expires_in_days is not None and expires_in_days <= 0:
            raise CommandError("--expires-in-days must be a positive number of days.")
        expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        api_key, secret = ApiKey.issue(tenant, name.strip(), expires_at=expires_at)
        self.stdout.write(f"Created key '{api_key.name}' for {tenant.slug}. It is shown only once:")
        self.stdout.write(secret)
