"""Portal forms for payments: what to buy, and the automatic recharge settings."""

from __future__ import annotations

from django import forms
from django.conf import settings

from billing.payments.models import CreditPack, PaymentProfile


class AmountForm(forms.Form):
    credits = forms.IntegerField(label="Credits")

    def clean_credits(self):
        credits = self.cleaned_data["credits"]
        low, high = settings.TOPUP_MIN_CREDITS, settings.TOPUP_MAX_CREDITS
        if not low <= credits <= high:
            raise forms.ValidationError(f"Choose between {low:,} and {high:,} credits.")
        return credits


class AutoRechargeForm(forms.ModelForm):
    class Meta:
        model = PaymentProfile
        fields = ["auto_recharge", "recharge_below", "recharge_pack", "recharges_per_day"]
        labels = {
            "auto_recharge": "Recharge automatically",
            "recharge_below": "When available credits fall below",
            "recharge_pack": "Buy this pack",
            "recharges_per_day": "At most this many times a day",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recharge_pack"].queryset = CreditPack.objects.on_sale()
        self.fields["recharge_pack"].required = False

    def clean(self):
        data = super().clean()
        if data.get("auto_recharge"):
            if not self.instance.has_card:
                raise forms.ValidationError("Save a card first: automatic recharge charges it.")
            if not data.get("recharge_pack"):
                self.add_error("recharge_pack", "Choose the pack to buy.")
        return data


class BuyersForm(forms.ModelForm):
    class Meta:
        model = PaymentProfile
        fields = ["admins_may_buy"]
        labels = {"admins_may_buy": "Admins may buy credits too"}
