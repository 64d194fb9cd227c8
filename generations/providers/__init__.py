"""The provider registry: adapters configured from settings, and the choice of one for a spec.

Settings per slug: `<SLUG>_BASE_URL`, `<SLUG>_API_KEY`, `<SLUG>_ENABLED`; capability overrides in
PROVIDER_CAPABILITIES; the order `auto` tries in PROVIDER_ORDER. Adapters are built once and
cached; any settings change (override_settings in tests) drops the cache.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from generations.providers import health
from generations.providers.aizfw import AizfwAdapter
from generations.providers.ark import ArkAdapter, KkiaiAdapter, SandboxAdapter
from generations.providers.base import Adapter, ProviderError, State, Update
from generations.providers.jiekou import JiekouAdapter
from generations.providers.kie import ApikleyAdapter, KieAdapter
from generations.spec import GenerationSpec, SpecError
from seedance_site.errors import DomainError

__all__ = [
    "ADAPTER_CLASSES",
    "Adapter",
    "ProviderError",
    "State",
    "UnknownProvider",
    "Update",
    "capable",
    "choose",
    "display_name",
    "enabled_adapters",
    "failover_candidates",
    "get_adapter",
    "reset_registry",
]

ADAPTER_CLASSES: dict[str, type[Adapter]] = {
    "kie": KieAdapter,
    "apikley": ApikleyAdapter,
    "kkiai": KkiaiAdapter,
    "ark": ArkAdapter,
    "aizfw": AizfwAdapter,
    "jiekou": JiekouAdapter,
    "sandbox": SandboxAdapter,
}

# What people read: the portal's form and cards, the Usage page.
NAMES = {
    "kie": "Kie",
    "apikley": "Apikley",
    "kkiai": "kkiai",
    "ark": "BytePlus ModelArk",
    "aizfw": "aizfw",
    "jiekou": "Jiekou",
    "sandbox": "Sandbox",
}

AUTO = "auto"


def display_name(slug: str) -> str:
    """The provider's name as people read it; an unknown slug as it is."""
    return NAMES.get(slug, slug)


class UnknownProvider(DomainError):
    code = "unknown_provider"
    http_status = 422


_registry: dict[str, Adapter] | None = None


def reset_registry() -> None:
    global _registry
    _registry = None


@receiver(setting_changed)
def _settings_changed(**kwargs):
    reset_registry()


def _options(slug: str) -> dict:
    if slug == "kie":
        return {"webhook_hmac_key": settings.KIE_WEBHOOK_HMAC_KEY}
    if slug in ("ark", "kkiai"):
        return {"model": getattr(settings, f"{slug.upper()}_MODEL")}
    if slug == "jiekou":
        hours = settings.GENERATION_DEADLINE_HOURS_BY_PROVIDER.get(slug, settings.GENERATION_DEADLINE_HOURS)
        return {
            "text_to_video_path": settings.JIEKOU_TEXT_TO_VIDEO_PATH,
            # The task ends at the provider when our deadline ends it here.
            "expires_after_seconds": hours * 3600,
        }
    return {}


def _build(slug: str, cls: type[Adapter]) -> Adapter:
    prefix = slug.upper()
    capabilities = cls.default_capabilities
    overrides = settings.PROVIDER_CAPABILITIES.get(slug)
    if overrides:
        try:
            capabilities = capabilities.with_overrides(overrides)
        except (TypeError, ValueError) as exc:
            raise ImproperlyConfigured(f"PROVIDER_CAPABILITIES[{slug!r}]: {exc}") from exc
    api_key = getattr(settings, f"{prefix}_API_KEY", "")
    return cls(
        slug,
        getattr(settings, f"{prefix}_BASE_URL", ""),
        api_key,
        # No key, no calls: a provider without one is off whatever its _ENABLED flag says.
        enabled=bool(getattr(settings, f"{prefix}_ENABLED", False) and api_key),
        capabilities=capabilities,
        options=_options(slug),
    )


def all_adapters() -> dict[str, Adapter]:
    """Every known adapter, enabled or not, by slug."""
    global _registry
    if _registry is None:
        _registry = {slug: _build(slug, cls) for slug, cls in ADAPTER_CLASSES.items()}
    return _registry


def get_adapter(slug: str) -> Adapter:
    """The enabled adapter for `slug`, or UnknownProvider (422)."""
    adapter = all_adapters().get(slug)
    if adapter is None or not adapter.enabled:
        enabled = ", ".join(a.slug for a in enabled_adapters()) or "none"
        raise UnknownProvider(
            f"Unknown or disabled provider '{slug}'. Enabled: {enabled}.",
            details={"provider": f"must be auto or one of: {enabled}."},
        )
    return adapter


def enabled_adapters() -> list[Adapter]:
    """Enabled adapters in PROVIDER_ORDER; slugs missing from the order come last."""
    adapters = all_adapters()
    order = [s for s in settings.PROVIDER_ORDER if s in adapters]
    order += [s for s in adapters if s not in order]
    return [adapters[s] for s in order if adapters[s].enabled]


def _spec_errors(spec: GenerationSpec) -> dict[str, str]:
    try:
        spec.check()
    except SpecError as exc:
        return dict(exc.errors)
    return {}


def choose(spec: GenerationSpec, requested: str | None = AUTO) -> Adapter:
    """The adapter that will run `spec`, or SpecError/UnknownProvider naming every problem.

    Never calls the network. A named provider must be enabled and able to honour every field;
    `auto` takes the first enabled provider in PROVIDER_ORDER that can (generations.routing adds
    the other modes and skips unhealthy providers).
    """
    if requested and requested != AUTO:
        errors = _spec_errors(spec)
        adapter = get_adapter(requested)
        errors.update(adapter.capabilities.problems(spec))
        if errors:
            raise SpecError(errors, prefix=f"Provider '{adapter.slug}' cannot honour this request")
        return adapter
    return capable(spec)[0]


def capable(spec: GenerationSpec) -> list[Adapter]:
    """Every enabled adapter that can honour `spec`, in PROVIDER_ORDER; SpecError if there is none."""
    errors = _spec_errors(spec)
    if errors:
        raise SpecError(errors)
    found, tried = [], []
    for adapter in enabled_adapters():
        problems = adapter.capabilities.problems(spec)
        if not problems:
            found.append(adapter)
        else:
            tried.append(f"{adapter.slug} ({'; '.join(f'{k}: {v}' for k, v in problems.items())})")
    if found:
        return found
    why = " | ".join(tried) if tried else "no provider is enabled"
    raise SpecError(
        {"provider": f"no enabled provider can honour this request. Tried: {why}"},
        prefix="No provider can run this request",
    )


def failover_candidates(spec: GenerationSpec, after_slug: str) -> list[Adapter]:
    """Enabled, healthy adapters after `after_slug` in PROVIDER_ORDER that can take `spec` as it
    was prepared for its first provider (auto failover)."""
    adapters = enabled_adapters()
    slugs = [a.slug for a in adapters]
    rest = adapters[slugs.index(after_slug) + 1 :] if after_slug in slugs else adapters
    skipped = health.open_slugs([a.slug for a in rest])
    return [
        a
        for a in rest
        if a.slug != after_slug
        and a.slug not in skipped
        and not a.capabilities.problems(spec, hosted_images=False)
    ]
