"""Answering a result download once `results.open_result()` has checked the tenant.

No web worker streams a video:

- on S3, a redirect to a presigned URL that expires after RESULT_URL_TTL_SECONDS, with the
  content type and file name (attachment or inline) signed into it;
- on the filesystem with RESULT_ACCEL_REDIRECT_PREFIX set, an empty answer with
  `X-Accel-Redirect: <prefix><file name>`: nginx sends the file (deploy/nginx.conf);
- otherwise (development) Django streams the file itself.

Each counts against the tenant's download limit (DOWNLOAD_THROTTLE_TENANT), not the API's,
except posters (small stills the gallery shows by the dozen): those the browser may keep for
`max_age` seconds instead, less than the presigned URL lives.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header

from generations.result_storage import is_s3

# How long a member's browser or an API client may reuse a poster answer (seconds).
POSTER_MAX_AGE = 300


def respond(
    file, content_type: str, filename: str, *, as_attachment: bool, max_age: int | None = None
) -> HttpResponse:
    """The answer that gets the tenant their file (see the module docstring). With `max_age`
    the member's browser may reuse it that long (never a shared cache); otherwise never."""
    storage = file.storage
    disposition = content_disposition_header(as_attachment, filename)
    if is_s3(storage):
        url = storage.url(
            file.name,
            parameters={"ResponseContentType": content_type, "ResponseContentDisposition": disposition},
            expire=settings.AWS_QUERYSTRING_EXPIRE,
        )
        response = HttpResponseRedirect(url)
    elif settings.RESULT_ACCEL_REDIRECT_PREFIX:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = (
            settings.RESULT_ACCEL_REDIRECT_PREFIX.rstrip("/") + "/" + quote(file.name)
        )
        response["Content-Disposition"] = disposition
    else:
        response = FileResponse(
            file.open("rb"), content_type=content_type, as_attachment=as_attachment, filename=filename
        )
        if max_age:
            response["Cache-Control"] = f"private, max-age={max_age}"
        return response
    # The signed URL is the tenant's alone: never cached by a proxy, and by the browser only
    # while it is still valid.
    if max_age:
        response["Cache-Control"] = f"private, max-age={min(max_age, settings.AWS_QUERYSTRING_EXPIRE // 2)}"
    else:
        response["Cache-Control"] = "private, no-store"
    return response
