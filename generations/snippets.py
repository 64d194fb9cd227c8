""" "Copy as code": the API call that makes a generation, as curl, Python and JavaScript.

The body is the real `POST /api/v1/generations` body (the form's field names are the API's);
the key comes from the SEEDANCE_API_KEY environment variable, so a snippet runs as shown once
that is set. Uploaded files cannot travel in a snippet: frames appear only when they are URLs.
"""

from __future__ import annotations

import json
import pprint
import shlex

from generations.models import Generation
from generations.spec import DEFAULT_MODEL

KEY_VARIABLE = "SEEDANCE_API_KEY"
PATH = "/api/v1/generations"
# Sent only when they differ from the API's defaults, so a snippet shows what was chosen.
DEFAULTS = {
    "provider": "auto",
    "model": DEFAULT_MODEL,
    "service_tier": None,
    "aspect_ratio": "16:9",
    "resolution": "720p",
    "duration": 8,
    "generate_audio": False,
    "camera_fixed": False,
    "watermark": False,
    "seed": None,
}


def body_of_generation(generation: Generation) -> dict:
    values = {
        "prompt": generation.prompt,
        "provider": generation.requested_provider or generation.provider,
        "model": generation.model,
        "service_tier": generation.service_tier or None,
        "aspect_ratio": generation.aspect_ratio,
        "resolution": generation.resolution,
        "duration": generation.duration,
        "generate_audio": generation.generate_audio,
        "camera_fixed": generation.camera_fixed,
        "watermark": generation.watermark,
        "seed": generation.seed,
        "first_frame": _url_only(generation.first_frame),
        "last_frame": _url_only(generation.last_frame),
    }
    return _trim(values)


def body_of_form(data, frames: dict | None = None) -> dict:
    """The body for the form as it stands (raw POST/GET data; unparseable numbers are left out).
    `frames` ({"first_frame_url": ..., "last_frame_url": ...}) overrides the data's frame URLs,
    for a submitted form whose checks refused some."""
    if frames is not None:
        data = {**(data.dict() if hasattr(data, "dict") else data), **frames}
    values = {
        "prompt": (data.get("prompt") or "").strip() or "Describe your video here",
        "provider": data.get("provider") or "auto",
        "model": data.get("model") or DEFAULT_MODEL,
        "service_tier": data.get("service_tier") or None,
        "aspect_ratio": data.get("aspect_ratio") or "16:9",
        "resolution": data.get("resolution") or "720p",
        "duration": _int(data.get("duration"), 8),
        "generate_audio": checked(data.get("generate_audio")),
        "camera_fixed": checked(data.get("camera_fixed")),
        "watermark": checked(data.get("watermark")),
        "seed": _int(data.get("seed"), None),
        "first_frame": _url_only(data.get("first_frame_url") or ""),
        "last_frame": _url_only(data.get("last_frame_url") or ""),
    }
    return _trim(values)


def snippets(body: dict, base_url: str) -> dict[str, str]:
    url = base_url.rstrip("/") + PATH
    return {"curl": curl(body, url), "python": python(body, url), "javascript": javascript(body, url)}


def curl(body: dict, url: str) -> str:
    return (
        f"curl -sS -X POST {shlex.quote(url)} \\\n"
        f'  -H "Authorization: Bearer ${KEY_VARIABLE}" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        f"  -d {shlex.quote(json.dumps(body, ensure_ascii=False))}"
    )


def python(body: dict, url: str) -> str:
    literal = pprint.pformat(body, indent=4, width=96, sort_dicts=False)
    return (
        "import json, os, urllib.request\n\n"
        f"body = {literal}\n"
        "request = urllib.request.Request(\n"
        f"    {url!r},\n"
        "    data=json.dumps(body).encode(),\n"
        f'    headers={{"Authorization": "Bearer " + os.environ["{KEY_VARIABLE}"], '
        '"Content-Type": "application/json"},\n'
        ")\n"
        "with urllib.request.urlopen(request) as response:\n"
        "    print(json.dumps(json.load(response), indent=2))"
    )


def javascript(body: dict, url: str) -> str:
    literal = json.dumps(body, indent=2, ensure_ascii=False)
    return (
        "// Node 18+ (fetch is built in)\n"
        f"fetch({json.dumps(url)}, {{\n"
        '  method: "POST",\n'
        "  headers: {\n"
        f"    Authorization: `Bearer ${{process.env.{KEY_VARIABLE}}}`,\n"
        '    "Content-Type": "application/json",\n'
        "  },\n"
        f"  body: JSON.stringify({_indent(literal, 2)}),\n"
        "})\n"
        "  .then((response) => response.json())\n"
        "  .then((generation) => console.log(JSON.stringify(generation, null, 2)));"
    )


def _indent(text: str, spaces: int) -> str:
    return text.replace("\n", "\n" + " " * spaces)


def _trim(values: dict) -> dict:
    body = {"prompt": values.pop("prompt")}
    for name, value in values.items():
        if value in ("", None) and name not in DEFAULTS:
            continue
        if name in DEFAULTS and value == DEFAULTS[name]:
            continue
        body[name] = value
    return body


def _url_only(value: str) -> str:
    return value if value.startswith(("https://", "http://")) else ""


def _int(value, default):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number


def checked(value) -> bool:
    """An HTML checkbox value as a bool."""
    return value not in (None, "", False, "false", "off", "0")
