"""A team with its owner and, optionally, starting credits. In billing, not accounts, because
it grants credits (accounts imports nothing from billing)."""

from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from accounts.models import Membership, Role, Tenant, User
from billing.services import grant


class Command(BaseCommand):
    help = "Create a tenant with an owner (created if new) and print the tenant's slug."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--owner", required=True, help="owner's email; the user is created if new")
        parser.add_argument("--password", help="password for a new owner (default: unusable, use reset)")
        parser.add_argument("--credits", type=int, default=0, help="credits to grant at creation")

    def handle(self, name, owner, password, credits, **options):
        name = name.strip()
        if not name:
            raise CommandError("NAME must not be empty.")
        try:
            validate_email(owner)
        except Exception as exc:
            raise CommandError(f"--owner: '{owner}' is not a valid email address.") from exc
        if credits < 0:
            raise CommandError("--credits must not be negative.")

        with transaction.atomic():
            user = User.objects.filter(email__iexact=owner).first()
            if user is None:
                user = User.objects.create_user(email=owner, password=password)
            elif password:
                raise CommandError(f"User {owner} already exists; --password is only for new users.")
            tenant = Tenant.objects.create(name=name, slug=Tenant.unique_slug(name))
            Membership.objects.create(user=user, tenant=tenant, role=Role.OWNER)
            if credits:
                grant(tenant, credits, actor=None, note="Initial credits (create_tenant)")
        self.stdout.write(tenant.slug)
