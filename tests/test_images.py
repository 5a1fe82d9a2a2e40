"""Images: the type comes from the content (Pillow), never the name; size (IMAGE_MAX_BYTES) and
pixel (IMAGE_MAX_PIXELS) limits; decompression bombs and truncated files refused with a clear
message; and an upload is never written to disk by the dashboard, however large."""

import io
import struct
import zlib
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from flows_app.forms import FlowForm
from tests.helpers import FORM_DIRECTORY
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import what_the_user_reads

VALID = {
    "website_id": "1",
    "name": "N",
    "title": "T",
    "description": "D",
    "segment": "all",
    "wait_time": "1",
    "wait_time_type": "days",
    "ttl": "86400",
    "urgency": "normal",
}
NOT_AN_IMAGE = "not a JPEG, PNG, GIF or WebP"
DAMAGED = "damaged or incomplete"
USER = SimpleNamespace(pk=424242)


def picture(kind="PNG", size=(16, 16), mode="RGB"):
    buffer = io.BytesIO()
    Image.new(mode, size, 120).save(buffer, kind)
    return buffer.getvalue()


def png_claiming(width, height):
    """A tiny PNG whose header claims width x height: what a decompression bomb looks like."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def image_errors(content, name="upload.png"):
    form = FlowForm(VALID, {"image": SimpleUploadedFile(name, content)}, user=USER, directory=FORM_DIRECTORY)
    form.is_valid()
    return form, " ".join(form.errors.get("image", []))


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "GIF", "WEBP"])
@pytest.mark.parametrize("name", ["photo.png", "photo.jpg", "evil.php", "no-extension", "x.png.exe"])
def test_allowed_types_are_known_by_content_and_renamed_after_it(kind, name):
    form, errors = image_errors(picture(kind), name)
    assert errors == ""
    extension = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}[kind]
    assert form.upload.filename.endswith(f".{extension}")
    assert form.upload.content_type == f"image/{'jpeg' if kind == 'JPEG' else kind.lower()}"


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (picture("BMP"), "photo.png"),
        (picture("TIFF"), "photo.jpg"),
        (picture("ICO", (16, 16)), "favicon.png"),
        (picture("PDF"), "doc.png"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "vector.png"),
        (b"<html><body>hello</body></html>", "page.gif"),
        (b"GIF89a but nothing more", "short.gif"),
        (b"", "empty.png"),
        (b"\x00" * 2000, "zeros.webp"),
    ],
    ids=["bmp", "tiff", "ico", "pdf", "svg", "html", "fake-gif", "empty", "zeros"],
)
def test_other_content_is_refused_whatever_the_name(content, name):
    _, errors = image_errors(content, name)
    assert NOT_AN_IMAGE in errors or DAMAGED in errors or "empty" in errors.lower(), errors


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "GIF", "WEBP"])
def test_a_truncated_file_is_refused_as_damaged(kind):
    whole = picture(kind, (64, 64), "RGB")
    _, errors = image_errors(whole[: len(whole) * 2 // 3])
    assert DAMAGED in errors or NOT_AN_IMAGE in errors, errors


def test_the_size_limit_is_inclusive_and_says_both_sizes(settings):
    content = picture("PNG")
    settings.IMAGE_MAX_BYTES = len(content)
    assert image_errors(content)[1] == ""
    settings.IMAGE_MAX_BYTES = len(content) - 1
    errors = image_errors(content)[1]
    assert f"the limit is {len(content) - 1}" in errors
    assert f"{len(content)}" in errors


def test_the_default_size_limit_is_two_megabytes(settings):
    assert settings.IMAGE_MAX_BYTES == 2 * 1024 * 1024


def test_the_pixel_limit_counts_width_times_height(settings):
    settings.IMAGE_MAX_PIXELS = 100
    assert image_errors(picture("PNG", (10, 10)))[1] == ""
    errors = image_errors(picture("PNG", (10, 11)))[1]
    assert "10 x 11 pixels" in errors and "100 pixels" in errors


@pytest.mark.parametrize(("width", "height"), [(20_000, 20_000), (100_000, 1_000), (65_535, 65_535)])
def test_a_decompression_bomb_is_refused_before_it_is_decoded(width, height):
    bomb = png_claiming(width, height)
    assert len(bomb) < 200
    _, errors = image_errors(bomb)
    assert "pixels" in errors


def test_a_bomb_below_pillows_own_limit_meets_the_pixel_limit(settings):
    settings.IMAGE_MAX_PIXELS = 4096 * 4096
    _, errors = image_errors(png_claiming(5_000, 5_000))
    assert "5000 x 5000 pixels" in errors


def test_an_image_refused_on_the_page_says_why_and_sends_nothing(logged_in, connection, monkeypatch):
    from flows_app.api.client import FlowsClient

    sent = []
    monkeypatch.setattr(FlowsClient, "_send", lambda self, *args: sent.append(args))
    image = SimpleUploadedFile("bomb.png", png_claiming(30_000, 30_000), content_type="image/png")
    response = logged_in.post(reverse("flows:new", args=[connection.pk]), {**VALID, "image": image})
    assert response.status_code == 400
    assert "far too many pixels" in what_the_user_reads(response)
    assert sent == []


@pytest.fixture
def disk_writes(monkeypatch):
    """Every temporary file Django's upload machinery opens."""
    import django.core.files.uploadedfile as uploadedfile

    opened = []
    real = uploadedfile.tempfile.NamedTemporaryFile

    def recording(*args, **kwargs):
        opened.append(kwargs.get("suffix", ""))
        return real(*args, **kwargs)

    monkeypatch.setattr(uploadedfile.tempfile, "NamedTemporaryFile", recording)
    return opened


def test_an_upload_far_over_the_limit_is_refused_without_touching_the_disk(
    logged_in, connection, disk_writes
):
    huge = picture("PNG") + b"\0" * (5 * 1024 * 1024)
    image = SimpleUploadedFile("huge.png", huge, content_type="image/png")
    response = logged_in.post(reverse("flows:new", args=[connection.pk]), {**VALID, "image": image})
    assert response.status_code == 400
    told = what_the_user_reads(response)
    assert "5.0 MB" in told and "the limit is 2.0 MB" in told
    assert disk_writes == []


def test_an_upload_within_the_limit_stays_in_memory_too(logged_in, connection, disk_writes, settings):
    content = picture("PNG", (600, 600)) + b"\0" * (settings.IMAGE_MAX_BYTES // 2)
    image = SimpleUploadedFile("big.png", content, content_type="image/png")
    logged_in.post(reverse("flows:new", args=[connection.pk]), {**VALID, "image": image})
    assert disk_writes == []


def test_kept_images_are_capped_per_user_and_in_total_on_disk_not_in_memory(
    user, other_user, settings, tmp_path
):
    """Issue 10, item 9: 300 rejected submits of a 2 MB image pinned 480 MB of cache memory."""
    from django.core.cache import cache

    from flows_app.api import ImageUpload
    from flows_app.drafts import keep_upload, kept_upload

    settings.DRAFTS_ROOT = tmp_path
    settings.DRAFTS_PER_USER = 3
    settings.DRAFTS_MAX_BYTES = 5 * 1024 * 1024
    image = ImageUpload("big.png", picture("PNG") + b"\0" * (1024 * 1024), "image/png")
    mine = [keep_upload(user, image) for _ in range(300)]
    assert [kept_upload(user, token) is not None for token in mine[-4:]] == [False, True, True, True]
    assert kept_upload(user, mine[-1]).content == image.content
    theirs = [keep_upload(other_user, image) for _ in range(3)]
    stored = sum(path.stat().st_size for path in tmp_path.rglob("*") if path.is_file())
    assert stored <= settings.DRAFTS_MAX_BYTES
    assert kept_upload(other_user, theirs[-1]) is not None
    assert kept_upload(user, mine[-3]) is None, "the oldest go first when the budget is spent"
    assert not any(key for key in cache._cache if "upload" in key)


def test_a_kept_image_expires(user, settings, tmp_path):
    import os

    from flows_app.api import ImageUpload
    from flows_app.drafts import UPLOAD_SECONDS, keep_upload, kept_upload

    settings.DRAFTS_ROOT = tmp_path
    token = keep_upload(user, ImageUpload("a.png", picture("PNG"), "image/png"))
    [path] = tmp_path.rglob(f"{token}--*")
    old = path.stat().st_mtime - UPLOAD_SECONDS - 1
    os.utime(path, (old, old))
    assert kept_upload(user, token) is None
    assert not path.exists()
