"""The public URLs of hosted images (generations.files): providers fetch them without logging in.

The token is signed and carries its expiry, so the URL cannot be guessed and stops working by
itself; a bad, expired or deleted one is a plain 404.
"""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.urls import path
from django.views.decorators.http import require_GET

from generations import files


@require_GET
def hosted(request, token: str):
    image = files.hosted_image(token)
    if image is None:
        raise Http404("No such file.")
    response = FileResponse(image.file.open("rb"), content_type=files.content_type(image.kind))
    # Public by design, but not for shared caches to keep past the token's expiry.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


app_name = "files"
urlpatterns = [path("<str:token>", hosted, name="hosted")]
