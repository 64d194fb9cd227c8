from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiKey, Membership, Role, Tenant, User

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password"
DEMO_SLUG = "demo"
DEMO_CREDITS = 10_000


class Command(BaseCommand):
    help = "Create (or refresh) the demo tenant, its owner login and a fresh API key, and print them."

    def add_arguments(self, parser):
        parser.add_argument("--site-url", default=settings.SITE_URL)
        parser.add_argument(
            "--no-sample", action="store_true", help="Do not start a sample generation on the sandbox."
        )

    def handle(self, site_url, no_sample=False, **options):
        with transaction.atomic():
            user = User.objects.filter(email=DEMO_EMAIL).first()
            if user is None:
                user = User.objects.create_user(email=DEMO_EMAIL, password=DEMO_PASSWORD, first_name="Demo")
            tenant, created = Tenant.objects.get_or_create(slug=DEMO_SLUG, defaults={"name": "Demo Team"})
            Membership.objects.get_or_create(user=user, tenant=tenant, defaults={"role": Role.OWNER})
            if created:
                from billing.services import grant

                grant(tenant, DEMO_CREDITS, actor=None, note="Demo credits")
            # The secret of an old key can't be shown again, so each run issues a new one.
            ApiKey.objects.for_tenant(tenant).filter(name="demo", revoked_at=None).update(
                revoked_at=timezone.now()
            )
            _, secret = ApiKey.issue(tenant, "demo", created_by=user)

        self.stdout.write("")
        self.stdout.write(f"  Seedance Studio is starting at {site_url}/")
        self.stdout.write(f"  Log in as {DEMO_EMAIL} / {DEMO_PASSWORD}")
        self.stdout.write(f"  API docs: {site_url}/api/docs/")
        self.stdout.write(f"  API key (shown once): {secret}")
        if not no_sample:
            self._sample_generation(tenant, user, site_url)
        self.stdout.write("")

    def _sample_generation(self, tenant, user, site_url):
        """Queue one sandbox job; the worker and `run_poller` take it from pending to succeeded."""
        from generations.services import create_generation
        from generations.spec import GenerationSpec
        from seedance_site.errors import DomainError

        if not settings.SANDBOX_ENABLED:
            return
        spec = GenerationSpec(prompt="A paper boat drifting down a rainy street, demo", duration=4)
        try:
            generation = create_generation(tenant, spec=spec, provider="sandbox", user=user)
        except DomainError as error:
            self.stdout.write(f"  (No sample generation: {error.message})")
            return
        self.stdout.write(f"  Sample generation {generation.id} ({generation.status}) on the sandbox:")
        self.stdout.write(f"    {site_url}/generations/{generation.id}/")
