"""Portal forms for billing settings (the payment forms are in billing.payments.forms)."""

from __future__ import annotations

from django import forms

from seedance_site import validators


class LowBalanceForm(forms.Form):
    low_balance_threshold = forms.IntegerField(
        label="Warn when available credits fall below",
        required=False,
        min_value=0,
        max_value=validators.MAX_CREDITS,
        help_text="In credits. Leave empty to turn the warning off. Below it, every page shows a "
        "banner and the owners get one email each time the balance drops under it.",
    )
