from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from seedance_site.errors import DomainError


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        # Users made by an operator (commands, admin, demo) need no confirmation email: the
        # operator vouches for the address. Sign-ups go through allauth and confirm theirs.
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who logs in with an email address (no username)."""

    username = None
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    def __str__(self) -> str:
        return self.email


class TenantScopedQuerySet(models.QuerySet):
    """The one way a request reaches tenant-owned rows: `Model.objects.for_tenant(t)`."""

    def for_tenant(self, tenant: Tenant):
        return self.filter(tenant=tenant)


TenantScopedManager = models.Manager.from_queryset(TenantScopedQuerySet)


class TenantSuspended(DomainError):
    """New work was asked of a suspended tenant."""

    code = "tenant_suspended"
    http_status = 403


class Tenant(models.Model):
    """A team: owns credits, keys, generations. Every tenant-owned row points here."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60, unique=True)
    suspended = models.BooleanField(default=False)
    # Why staff suspended the team (accounts.tenant_controls); the team reads it in the banner.
    suspension_reason = models.CharField(max_length=500, blank=True, default="", db_default="")
    # Moderation: hold every new job in awaiting_review until staff approve it.
    review_all = models.BooleanField("review every job", default=False)
    # Overrides settings.TENANT_MAX_IN_FLIGHT when set.
    max_in_flight = models.PositiveIntegerField(null=True, blank=True)
    # Mirrored result files older than this many days are deleted; empty keeps them.
    retention_days = models.PositiveIntegerField(null=True, blank=True)
    # Owners must have a second factor (TOTP) to use the team in the portal.
    require_owner_mfa = models.BooleanField(
        "owners need two-factor authentication", default=False, db_default=False
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def unique_slug(cls, name: str) -> str:
        base = slugify(name)[:50] or "team"
        slug, n = base, 1
        while cls.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        return slug

    def ensure_can_create_work(self) -> None:
        if self.suspended:
            reason = f" Reason: {self.suspension_reason.rstrip('.')}." if self.suspension_reason else ""
            raise TenantSuspended(
                f"The team {self.name} is suspended: new generations are refused.{reason} "
                "Contact support to lift the suspension."
            )


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


# What each role may do; views and services ask `membership.can(...)`.
ROLE_PERMISSIONS = {
    # view_audit: the audit log names staff actions and members' IPs, so owners only.
    Role.OWNER: {
        "view",
        "create",
        "manage_keys",
        "manage_members",
        "manage_billing",
        "manage_webhooks",
        "view_audit",
    },
    Role.ADMIN: {"view", "create", "manage_keys", "manage_members", "manage_webhooks"},
    Role.MEMBER: {"view", "create"},
    Role.VIEWER: {"view"},
}


class Membership(models.Model):
    user = models.ForeignKey(User, models.CASCADE, related_name="memberships")
    tenant = models.ForeignKey(Tenant, models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created = models.DateTimeField(default=timezone.now)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["created"]
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="accounts_membership_once_per_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant} ({self.role})"

    def can(self, permission: str) -> bool:
        return permission in ROLE_PERMISSIONS[Role(self.role)]


KEY_PREFIX = "sds_"


def hash_key(key: str) -> str:
    # A SHA-256 of a 256-bit random secret cannot be brute-forced; no slow hash is needed.
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeyQuerySet(TenantScopedQuerySet):
    def active(self):
        now = timezone.now()
        return self.filter(revoked_at=None).filter(models.Q(expires_at=None) | models.Q(expires_at__gt=now))


class ApiKey(models.Model):
    """A tenant's API key. The secret is shown once; the database keeps a lookup prefix and a hash."""

    tenant = models.ForeignKey(Tenant, models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=False)
    key_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Credits this key may spend per calendar month (UTC); empty means no cap.
    monthly_credit_limit = models.PositiveBigIntegerField(null=True, blank=True)

    objects = models.Manager.from_queryset(ApiKeyQuerySet)()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Used by ApiKey.authenticate(): one lookup by prefix per request.
            models.UniqueConstraint(fields=["prefix"], name="accounts_apikey_unique_prefix"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, tenant: Tenant, name: str, created_by: User | None = None, **fields) -> tuple[ApiKey, str]:
        """Create a key and return it with the secret, which is never retrievable again."""
        prefix = secrets.token_hex(4)
        key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        obj = cls.objects.create(
            tenant=tenant, name=name, prefix=prefix, key_hash=hash_key(key), created_by=created_by, **fields
        )
        return obj, key

    @classmethod
    def authenticate(cls, key: str) -> ApiKey | None:
        """The active key matching `key`, or None. Compares hashes in constant time."""
        if not key.startswith(KEY_PREFIX):
            return None
        prefix = key[len(KEY_PREFIX) :].split("_", 1)[0]
        obj = cls.objects.select_related("tenant").filter(prefix=prefix).first()
        if obj is None or not hmac.compare_digest(obj.key_hash, hash_key(key)):
            return None
        if not obj.is_active:
            return None
        obj.touch()
        return obj

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def display(self) -> str:
        return f"{KEY_PREFIX}{self.prefix}_…"

    def touch(self) -> None:
        """Record use, at most once a minute, so busy keys cost no write per request."""
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at > timedelta(minutes=1):
            ApiKey.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class Invitation(models.Model):
    """An emailed link that adds its holder to a tenant with a role."""

    tenant = models.ForeignKey(Tenant, models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    token = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe)
    invited_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)

    objects = TenantScopedManager()

    VALID_FOR = timedelta(days=7)

    class Meta:
        ordering = ["-created"]
        constraints = [
            # Inviting an address again refreshes its invitation (accounts.forms.InviteForm).
            models.UniqueConstraint(
                Lower("email"),
                "tenant",
                condition=models.Q(accepted_at__isnull=True),
                name="accounts_one_open_invitation_per_address",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.tenant} ({self.role})"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and timezone.now() - self.created < self.VALID_FOR


class AuditEvent(models.Model):
    """One staff or owner action that touched money, keys, members or moderation.

    Written only through `accounts.audit.record()`. History: the admin shows it read-only and
    the tenant's owner sees their own tenant's rows in the portal.
    """

    actor = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")
    # A copy of the actor's email, so the log still says who did it after the user is deleted.
    actor_email = models.CharField(max_length=254, blank=True, default="")
    tenant = models.ForeignKey(Tenant, models.SET_NULL, null=True, blank=True, related_name="audit_events")
    action = models.CharField(max_length=64)  # dotted, e.g. "generation.cancel", "credits.grant"
    target_type = models.CharField(max_length=64, blank=True, default="")  # "app_label.model"
    target_id = models.CharField(max_length=64, blank=True, default="")
    target_repr = models.CharField(max_length=200, blank=True, default="")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    # Set by a form that must take effect once even when submitted twice (credit grants).
    request_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    at = models.DateTimeField(default=timezone.now)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # Used by the portal's audit page: one tenant's events, newest first.
            models.Index(fields=["tenant", "-at"], name="accounts_audit_tenant_recent"),
            # Used by the admin's audit list (all tenants, newest first, filtered by date).
            models.Index(fields=["-at"], name="accounts_audit_recent"),
            # Used by the admin's "what happened to this object" lookups.
            models.Index(fields=["target_type", "target_id"], name="accounts_audit_target"),
        ]

    def __str__(self) -> str:
        who = self.actor_email or "system"
        return f"{self.at:%Y-%m-%d %H:%M} {who}: {self.action} {self.target_repr}".strip()


class ModerationTerm(models.Model):
    """A prompt term staff maintain in admin; the settings' term lists apply as well.

    `review` holds a matching job in awaiting_review; `block` refuses the create (422 prompt_blocked).
    """

    class Kind(models.TextChoices):
        REVIEW = "review", "Hold for review"
        BLOCK = "block", "Block"

    term = models.CharField(max_length=200, help_text="Matched case-insensitively anywhere in the prompt.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REVIEW)
    active = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True, default="", help_text="Why this term is listed.")
    created_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "term"]
        constraints = [
            # Terms are stored lower-cased (see save()), so this makes them unique case-insensitively.
            models.UniqueConstraint(fields=["term"], name="accounts_moderationterm_unique_term"),
        ]

    def __str__(self) -> str:
        return f"{self.term} ({self.get_kind_display().lower()})"

    def save(self, *args, **kwargs):
        self.term = normalise_term(self.term)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.term = normalise_term(self.term)
        if not self.term:
            raise ValidationError({"term": "Enter a word or phrase (spaces alone are not a term)."})


def normalise_term(term: str) -> str:
    """Lower case with single spaces: matching is case-insensitive, so storage is too."""
    return " ".join((term or "").split()).lower()
