"""What the New generation form offers for the chosen provider, and why it refuses the rest.

Each option of the form (an aspect ratio, a duration, audio, ...) is tried against the chosen
provider's capabilities with the very rule the API applies (`Capabilities.problems`, through
the registry GET /api/v1/providers also lists): an option the provider lacks is disabled in the
form with a reason in words ("Kie does not offer adaptive aspect ratio."), and the same reason
refuses it on submit. For a routing mode (auto, cheapest, fastest) an option is refused only
when no enabled provider offers it. The provider cards read routing.overview(), the data of
GET /api/v1/providers, plus the price of the spec at hand.
"""

from __future__ import annotations

from dataclasses import replace

from billing.errors import PriceNotConfigured
from generations import pricing, providers, routing
from generations.spec import (
    ASPECT_RATIOS,
    AUTO_DURATION,
    LONGEST_DURATION,
    MIN_DURATION,
    MODELS,
    RESOLUTIONS,
    SERVICE_TIERS,
    GenerationSpec,
)

MODE_LABELS = {
    routing.AUTO: "Auto: the first provider that can run it",
    routing.CHEAPEST: "Cheapest for this video",
    routing.FASTEST: "Fastest lately",
}
# A stand-in image for trying image options and pricing a form whose image is not uploaded
# yet: problems() and the price only look at which roles are given.
PROBE_IMAGE = "https://example.com/probe.png"

# Field -> the values the form offers. Flags (booleans, a seed, a last frame) have one value: on.
CHOICES: dict[str, tuple] = {
    "model": MODELS,
    "service_tier": SERVICE_TIERS,
    "aspect_ratio": ASPECT_RATIOS,
    "resolution": RESOLUTIONS,
    "duration": (AUTO_DURATION, *range(MIN_DURATION, LONGEST_DURATION + 1)),
}
FLAGS = ("generate_audio", "camera_fixed", "watermark", "seed", "last_frame")


def _what(field: str, value, problem: str) -> str:
    """The option in words, as the object of "X does not offer ..."."""
    if field == "aspect_ratio":
        return "adaptive aspect ratio" if value == "adaptive" else f"the {value} aspect ratio"
    if field == "resolution":
        return f"{value}{' for text-only videos' if 'text-only' in problem else ''}"
    if field == "duration":
        return "auto duration" if value == AUTO_DURATION else f"{value}-second videos"
    if field == "service_tier":
        return f"the {value} service tier"
    if field == "model":
        return str(value)
    return {
        "generate_audio": "audio",
        "camera_fixed": "a fixed camera",
        "watermark": "a watermark",
        "seed": "a fixed seed",
        "last_frame": "a last frame",
    }[field]


def _probe(spec: GenerationSpec, field: str, value) -> GenerationSpec:
    if field == "seed":
        return replace(spec, seed=1)
    if field == "last_frame":
        return replace(spec, first_frame=spec.first_frame or PROBE_IMAGE, last_frame=PROBE_IMAGE)
    if field in FLAGS:
        return replace(spec, **{field: True})
    return replace(spec, **{field: value})


def _adapters(provider: str):
    if provider in routing.MODES:
        return providers.enabled_adapters()
    try:
        return [providers.get_adapter(provider)]
    except providers.UnknownProvider:
        return []


def unavailable(spec: GenerationSpec, provider: str) -> dict[str, dict[str, str]]:
    """{field: {option value as text: reason}} for every option `provider` cannot run with the
    rest of `spec` as it is. Flags are keyed "on"."""
    adapters = _adapters(provider)
    if not adapters:
        return {}
    found: dict[str, dict[str, str]] = {}
    options = [(f, v) for f, values in CHOICES.items() for v in values] + [(f, True) for f in FLAGS]
    for field, value in options:
        probe = _probe(spec, field, value)
        problems = [a.capabilities.problems(probe).get(field) for a in adapters]
        if all(problems):
            key = "on" if field in FLAGS else str(value)
            who = (
                "No enabled provider"
                if provider in routing.MODES
                else providers.display_name(adapters[0].slug)
            )
            verb = "offers" if provider in routing.MODES else "does not offer"
            allowed = problems[0].partition("allowed: ")[2].rstrip(".")
            tail = f" (allowed: {allowed})" if allowed and provider not in routing.MODES else ""
            found.setdefault(field, {})[key] = f"{who} {verb} {_what(field, value, problems[0])}{tail}."
    return found


def refusals(spec: GenerationSpec, provider: str) -> dict[str, str]:
    """{field: reason} for the options of `spec` itself that `provider` cannot run."""
    table = unavailable(spec, provider)
    chosen = {f: str(getattr(spec, f)) for f in CHOICES}
    chosen |= {
        "generate_audio": "on" if spec.generate_audio else "",
        "camera_fixed": "on" if spec.camera_fixed else "",
        "watermark": "on" if spec.watermark else "",
        "seed": "on" if spec.seed not in (None, -1) else "",
        "last_frame": "on" if spec.last_frame else "",
    }
    return {field: table[field][value] for field, value in chosen.items() if value in table.get(field, {})}


def cards(spec: GenerationSpec | None) -> list[dict]:
    """One card per enabled provider: the price of `spec` there (or why it cannot run it), the
    typical time and success of its recent jobs, and what it supports (GET /api/v1/providers)."""
    rows = []
    for row in routing.overview():
        slug = row["slug"]
        adapter = providers.get_adapter(slug)
        caps = row["capabilities"]
        card = {
            "slug": slug,
            "name": providers.display_name(slug),
            "median_seconds": row["median_seconds"],
            "success_rate": row["success_rate"],
            "skipped": row["health"].get("skipped") if isinstance(row["health"], dict) else False,
            "supports": _supports(caps),
            "credits": None,
            "cannot": "",
        }
        if spec is not None:
            problems = adapter.capabilities.problems(spec)
            if problems:
                card["cannot"] = "; ".join(refusals(spec, slug).values()) or "Cannot run these settings."
            else:
                try:
                    card["credits"] = pricing.quote(spec, slug).credits
                except PriceNotConfigured:
                    card["cannot"] = "No price is set for these settings."
        rows.append(card)
    return rows


def _supports(caps: dict) -> list[str]:
    durations = caps["durations"]
    out = [
        "/".join(caps["resolutions"]) if caps.get("resolution_param", True) else "720p",
        f"{min(durations)}–{max(durations)} s" + (" or auto" if caps["auto_duration"] else ""),
    ]
    if "adaptive" in caps["aspect_ratios"]:
        out.append("adaptive aspect")
    if caps["audio"]:
        out.append("audio")
    if "last_frame" in caps["image_roles"]:
        out.append("first and last frame")
    elif "first_frame" in caps["image_roles"]:
        out.append("first frame")
    if caps["seed"]:
        out.append("seed")
    if caps["service_tiers"]:
        out.append("flex tier" if "flex" in caps["service_tiers"] else "service tiers")
    return out


def summaries(table: dict[str, dict[str, str]], provider: str) -> dict[str, str]:
    """One sentence per field for the reasons shown under it ("Kie does not offer adaptive
    aspect ratio."), the options run together when there are several."""
    out = {}
    for field, reasons in table.items():
        if len(reasons) == 1:
            out[field] = next(iter(reasons.values()))
            continue
        who = (
            "No enabled provider offers"
            if provider in routing.MODES
            else f"{providers.display_name(provider)} does not offer"
        )
        if field == "service_tier" and set(reasons) == set(SERVICE_TIERS) and provider not in routing.MODES:
            out[field] = (
                f"{providers.display_name(provider)} has no service tiers: leave it at the provider's default."
            )
        elif field == "duration":
            seconds = [k for k in reasons if k != str(AUTO_DURATION)]
            parts = ["auto duration"] if str(AUTO_DURATION) in reasons else []
            if seconds:
                parts.append(f"{', '.join(seconds)}-second videos")
            out[field] = f"{who} {' or '.join(parts)}."
        else:
            values = [_what(field, _typed(field, k), "") for k in reasons]
            out[field] = f"{who} {', '.join(values[:-1])} or {values[-1]}."
    return out


def _typed(field: str, key: str):
    return int(key) if field == "duration" else key
