"""The images a job started from (first and last frame, reference images), shown on its page.

Each image the spec names is one of:

- "inline": a data: URI (an upload from the form, or an API customer's); served decoded;
- "stored": one of the team's files (`file_...`, or our hosted URL of it) still kept; served
  from storage through generations.downloads, like a result;
- "gone": one of our files that expired (copies live as long as the job could run);
- "web": the customer's own http(s) URL: linked, never fetched or embedded (the portal's CSP
  loads images from our origin only, and fetching would be a request on the customer's behalf).

Served at /generations/<id>/inputs/<n> to the job's team only (another team's id is a 404).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404

from accounts.decorators import tenant_required
from generations import downloads, files
from generations.api.images import ImageProblem, decode_data_uri
from generations.models import Generation

LABELS = {"first_frame": "First frame", "last_frame": "Last frame", "reference_image": "Reference image"}


@dataclass(frozen=True)
class InputImage:
    index: int
    role: str
    label: str
    kind: str  # inline, stored, gone or web
    value: str

    @property
    def host(self) -> str:
        return (urlsplit(self.value).hostname or "") if self.kind == "web" else ""


def inputs_of(generation: Generation) -> list[InputImage]:
    """The job's input images, in the spec's order, each with how it can be shown."""
    images, counts = [], {}
    for index, (role, value) in enumerate(generation.spec.images):
        counts[role] = counts.get(role, 0) + 1
        label = LABELS[role] + (f" {counts[role]}" if role == "reference_image" else "")
        images.append(InputImage(index, role, label, _kind(generation, value), value))
    return images


def _kind(generation: Generation, value: str) -> str:
    if value.startswith("data:"):
        return "inline"
    if files.is_file_reference(value):
        return "stored" if files.tenant_file(generation.tenant, value) is not None else "gone"
    return "web" if value.startswith(("https://", "http://")) else "gone"


@tenant_required("view")
def input_image(request, generation_id: str, index: int):
    """One input image of the team's job, as an image (data: URIs decoded, stored files served)."""
    generation = get_object_or_404(Generation.objects.for_tenant(request.tenant), pk=generation_id)
    images = generation.spec.images
    if index >= len(images):
        raise Http404("No such image.")
    value = images[index][1]
    if value.startswith("data:"):
        try:
            data, kind = decode_data_uri(value)
        except ImageProblem:
            raise Http404("This image cannot be shown.") from None
        response = HttpResponse(data, content_type=files.content_type(kind))
        response["Cache-Control"] = "private, max-age=3600"
        return response
    image = files.tenant_file(request.tenant, value) if files.is_file_reference(value) else None
    if image is None:
        raise Http404("This image is no longer stored.")
    filename = f"{generation.pk}-input-{index + 1}.{image.kind}"
    return downloads.respond(image.file, files.content_type(image.kind), filename, as_attachment=False)
