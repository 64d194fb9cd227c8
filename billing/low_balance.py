"""A team's low-balance warning: below its threshold of available credits, a banner on every
portal page and one email to the owners.

The threshold and the "owners were told" flag are on the team's CreditAccount. `watch()` is
called by billing.services wherever the balance or the holds move; after the transaction
commits, `check()` compares the available credits with the threshold:

- below it and not yet warned: set the flag with a conditional UPDATE (only one racing check
  can win it) and email the owners, once, through a task (`email_owners`), so no SMTP server
  ever slows the create or the callback that crossed the threshold;
- at or above it and warned: clear the flag, so the next dip emails again;
- anything else: nothing (one SELECT).

So a run of jobs below the threshold sends one email, a top-up re-arms it, and the next crossing
sends one more. A hold, every create's hot path, watches only on a team that has a threshold
(billing.reserve), so a create for a team without one sends no SELECT after commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django_q.tasks import async_task

from accounts.models import Membership, Role, Tenant
from billing.errors import InvalidAmount
from billing.models import CreditAccount
from seedance_site import validators

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LowBalance:
    """What the banner says: the available credits and the threshold they are below."""

    available: int
    threshold: int


def warning_for(tenant_id: int) -> LowBalance | None:
    """The team's warning when its available credits are below its threshold, else None."""
    row = (
        CreditAccount.objects.filter(tenant_id=tenant_id, low_balance_threshold__isnull=False)
        .values_list("balance", "held", "low_balance_threshold")
        .first()
    )
    if row is None:
        return None
    balance, held, threshold = row
    return LowBalance(balance - held, threshold) if balance - held < threshold else None


def threshold_of(tenant_id: int) -> int | None:
    """The team's threshold, or None when the warning is off."""
    return (
        CreditAccount.objects.filter(tenant_id=tenant_id)
        .values_list("low_balance_threshold", flat=True)
        .first()
    )


def check_threshold(value) -> int | None:
    """A threshold as the settings take it: None (off) or a whole number 0..MAX_CREDITS.
    Raises InvalidAmount naming the field."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= validators.MAX_CREDITS:
        raise InvalidAmount(
            "low_balance_threshold",
            f"must be a whole number of credits from 0 to {validators.MAX_CREDITS:,}, or empty for off.",
        )
    return value


def set_threshold(tenant: Tenant, threshold: int | None) -> tuple[int | None, int | None]:
    """Set (or with None, turn off) the team's threshold; returns (before, after).

    The flag is set to what the balance already is: a team already below the new threshold sees
    the banner at once but gets no email for the setting its owner just chose; the next dip
    after a top-up emails as usual.
    """
    threshold = check_threshold(threshold)
    with transaction.atomic():
        CreditAccount.objects.get_or_create(tenant=tenant)
        account = CreditAccount.objects.select_for_update().get(tenant=tenant)
        before = account.low_balance_threshold
        account.low_balance_threshold = threshold
        account.low_balance_warned = threshold is not None and account.available < threshold
        account.save(update_fields=["low_balance_threshold", "low_balance_warned", "updated_at"])
    return before, threshold


def watch(tenant_id: int) -> None:
    """Check the team's threshold once the current transaction commits (at once outside one)."""
    # robust: the money has moved and committed already; a failing check must not turn the
    # request that moved it into an error (Django logs the exception).
    transaction.on_commit(lambda: check(tenant_id), robust=True)


def check(tenant_id: int) -> bool:
    """Email the owners if the team just went below its threshold; re-arm once it is back at or
    above it. Returns True when an email was sent."""
    row = (
        CreditAccount.objects.filter(tenant_id=tenant_id, low_balance_threshold__isnull=False)
        .values_list("balance", "held", "low_balance_threshold", "low_balance_warned")
        .first()
    )
    if row is None:
        return False
    balance, held, threshold, warned = row
    below_now = balance - held < threshold
    if below_now == warned:
        return False
    account = CreditAccount.objects.filter(tenant_id=tenant_id, low_balance_warned=warned)
    below = {"low_balance_threshold__gt": F("balance") - F("held")}
    if not below_now:
        account.exclude(**below).update(low_balance_warned=False)
        return False
    # Only one racing check flips the flag, so only one sends.
    if not account.filter(**below).update(low_balance_warned=True):
        return False
    async_task("billing.low_balance.email_owners", tenant_id, balance - held, threshold)
    return True


def email_owners(tenant_id: int, available: int, threshold: int) -> None:
    """The owners' email: the team has `available` credits, below its `threshold` (a task)."""
    warning = LowBalance(available, threshold)
    tenant = Tenant.objects.get(pk=tenant_id)
    owners = list(
        Membership.objects.for_tenant(tenant).filter(role=Role.OWNER).values_list("user__email", flat=True)
    )
    link = settings.SITE_URL + reverse("billing:overview")
    send_mail(
        f"{tenant.name} is low on credits",
        f"{tenant.name} has {warning.available:,} credits available, below the warning threshold "
        f"of {warning.threshold:,} credits set on the billing page.\n\n"
        f"New generations are refused once the credits run out. Buy credits here: {link}\n\n"
        "You get this email once each time the balance falls below the threshold.\n",
        None,
        owners,
        fail_silently=True,
    )
    logger.info("Low-balance warning sent to %d owners of tenant %s", len(owners), tenant_id)
