"""Portal pages: /webhooks/ (endpoint, secret, delivery log) and result downloads for members.

Thin views over generations.webhooks.services, .delivery and generations.results.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from accounts.decorators import tenant_required
from generations import downloads, results
from generations.api.throttles import download_wait
from generations.webhooks import delivery as sender
from generations.webhooks import services
from generations.webhooks.models import ALL_EVENTS, WebhookDelivery, WebhookEndpoint, default_events
from seedance_site.errors import DomainError

DELIVERIES_SHOWN = 50


class EndpointForm(forms.Form):
    url = forms.CharField(label="Endpoint URL", max_length=services.MAX_URL_LENGTH)
    events = forms.MultipleChoiceField(
        choices=[(e, e) for e in ALL_EVENTS], widget=forms.CheckboxSelectMultiple, initial=default_events
    )
    enabled = forms.BooleanField(required=False, initial=True)


def _page(request, form=None, secret: str | None = None, status: int = 200):
    endpoint = WebhookEndpoint.objects.filter(tenant=request.tenant).first()
    if form is None:
        initial = {"url": "", "events": default_events(), "enabled": True}
        if endpoint is not None:
            initial = {"url": endpoint.url, "events": endpoint.events, "enabled": endpoint.is_enabled}
        form = EndpointForm(initial=initial)
    deliveries = WebhookDelivery.objects.for_tenant(request.tenant)
    state = request.GET.get("state")
    if state in WebhookDelivery.State.values:
        deliveries = deliveries.filter(state=state)
    response = render(
        request,
        "webhooks/page.html",
        {
            "app": "generations",
            "nav": "webhooks",
            "endpoint": endpoint,
            "form": form,
            "secret": secret,
            "deliveries": deliveries[:DELIVERIES_SHOWN],
            "states": WebhookDelivery.State,
            "state": state,
        },
        status=status,
    )
    if secret:
        add_never_cache_headers(response)  # the signing secret is on the page
    return response


@tenant_required("manage_webhooks")
def webhooks_page(request):
    if request.method != "POST":
        return _page(request)
    form = EndpointForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=422)
    try:
        endpoint, secret_is_new = services.configure(
            request.tenant,
            url=form.cleaned_data["url"],
            events=form.cleaned_data["events"],
            enabled=form.cleaned_data["enabled"],
        )
    except services.InvalidWebhook as exc:
        for field, message in exc.details.items():
            form.add_error(field if field in form.fields else None, message)
        return _page(request, form, status=422)
    messages.success(request, "Webhook endpoint saved.")
    return _page(request, secret=endpoint.secret if secret_is_new else None)


@require_POST
@tenant_required("manage_webhooks")
def rotate(request):
    endpoint = services.rotate_secret(request.tenant, actor=request.user, request=request)
    messages.success(request, "New signing secret created; the old one no longer signs deliveries.")
    return _page(request, secret=endpoint.secret)


@require_POST
@tenant_required("manage_webhooks")
def redeliver(request, delivery_id: int):
    original = get_object_or_404(WebhookDelivery.objects.for_tenant(request.tenant), pk=delivery_id)
    try:
        sender.redeliver(original)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Delivery {original.webhook_id} queued again.")
    return redirect("generations:webhooks")


@require_POST
@tenant_required("manage_webhooks")
def send_test(request):
    try:
        delivery = services.send_test_event(request.tenant, actor=request.user, request=request)
    except services.InvalidWebhook as exc:
        messages.error(request, " ".join(exc.details.values()))
        return redirect("generations:webhooks")
    if delivery.state == WebhookDelivery.State.DELIVERED:
        messages.success(request, f"Test event delivered: your endpoint answered {delivery.status_code}.")
    else:
        messages.error(request, f"The test event was not accepted: {delivery.error}. See the delivery below.")
    return redirect("webhooks:delivery", delivery.pk)


@tenant_required("manage_webhooks")
def delivery_detail(request, delivery_id: int):
    """One delivery: what we sent (headers and body) and what the endpoint answered."""
    delivery = get_object_or_404(
        WebhookDelivery.objects.for_tenant(request.tenant).select_related("endpoint"), pk=delivery_id
    )
    return render(
        request,
        "webhooks/delivery.html",
        {"delivery": delivery, "body": _pretty(delivery.body), "nav": "webhooks", "app": "generations"},
    )


def _pretty(text: str) -> str:

    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


@tenant_required("view")
def result_file(request, generation_id: str, kind: str):
    """Our copy of a result for members of the current team; ?download=1 saves it as a file."""
    try:
        file, content_type, filename = results.open_result(request.tenant, generation_id, kind)
    except DomainError as exc:
        raise Http404(exc.message) from None
    # Posters are small stills the gallery shows by the dozen: cached a while, not counted.
    wait = None if kind == "poster" else download_wait(request.tenant.pk)
    if wait is not None:
        response = HttpResponse(
            f"Too many downloads; try again in {wait} s.\n", status=429, content_type="text/plain"
        )
        response["Retry-After"] = str(wait)
        return response
    return downloads.respond(
        file,
        content_type,
        filename,
        as_attachment=request.GET.get("download") == "1",
        max_age=downloads.POSTER_MAX_AGE if kind == "poster" else None,
    )
