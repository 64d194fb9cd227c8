import base64
import re

import pytest

from generations.api.images import ImageProblem, check_image, image_size
from tests.api.conftest import data_uri, jpeg_bytes, png_bytes, webp_bytes


@pytest.mark.parametrize(("make", "kind"), [(png_bytes, "png"), (jpeg_bytes, "jpeg"), (webp_bytes, "webp")])
def test_it_reads_the_size_of_each_type(make, kind):
    assert image_size(make(1280, 720), kind) == (1280, 720)


@pytest.mark.parametrize(("make", "kind"), [(png_bytes, "png"), (jpeg_bytes, "jpeg"), (webp_bytes, "webp")])
def test_it_accepts_good_images(make, kind):
    check_image(data_uri(make(1024, 1024), kind))


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (data_uri(png_bytes(299, 600)), "300 to 6000"),
        (data_uri(png_bytes(6001, 4000)), "300 to 6000"),
        (data_uri(png_bytes(2500, 1000)), "aspect ratio"),
        (data_uri(png_bytes(400, 1000)), "aspect ratio"),
        (data_uri(png_bytes(800, 600), "jpeg"), "png image but the URI says image/jpeg"),
        (data_uri(b"hello there", "avif"), "image/avif is not accepted"),
        (data_uri(b"GIF89a" + b"\x00" * 20, "gif"), "truncated or damaged"),
        (data_uri(b"hello there"), "not a jpeg/png/webp/bmp/tiff/gif/heic/heif image"),
        ("data:image/png;base64,@@@", "not valid base64"),
        ("data:text/plain,hello", "must look like"),
        (
            "data:image/png;base64,"
            + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * (11 * 2**20)).decode(),
            "10 MB",
        ),
        ("javascript:alert(1)", "http(s) URL"),
        ("https://VI]P", "not a valid URL"),
        ("https://example.com/a b.png", "spaces or control characters"),
        ("https://example.com/movie.mp4", "not mp4"),
    ],
)
def test_it_says_what_is_wrong(value, words):
    with pytest.raises(ImageProblem, match=re.escape(words)):
        check_image(value)


def test_it_accepts_urls_without_an_extension():
    check_image("https://cdn.example.com/images/12345?sig=abc")
