"""Uploaded images, checked by what they contain rather than by their name.

The server only checks the file-name extension (API_CONTRACT.md), so the dashboard decides the
real type with Pillow and names the part after it. Everything stays in memory.
"""

import io
import warnings
from pathlib import PurePath
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import Image

from flows_app.api import ApiError, ImageUpload
from flows_app.text import sentences

# Pillow's format name -> (extension the server accepts, content type).
FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "GIF": ("gif", "image/gif"),
    "WEBP": ("webp", "image/webp"),
}


def read_image(uploaded):
    """An ImageUpload for a Django UploadedFile, or ValidationError saying what is wrong with it."""
    if uploaded.size > settings.IMAGE_MAX_BYTES:
        raise ValidationError(
            _("The image is %(size)s; the limit is %(max)s.")
            % {"size": filesizeformat(uploaded.size), "max": filesizeformat(settings.IMAGE_MAX_BYTES)}
        )
    content = uploaded.read()
    kind = _check(content)
    extension, content_type = FORMATS[kind]
    stem = slugify(PurePath(uploaded.name or "").stem)[:60] or "image"
    return ImageUpload(f"{stem}.{extension}", content, content_type)


def copy_image(api, flow):
    """A flow's image as a new upload (the API cannot copy one), checked like any upload; or
    (None, why not)."""
    try:
        content = api.fetch_image(flow.image_url, settings.IMAGE_MAX_BYTES)
        name = PurePath(urlsplit(flow.image_url).path).name
        return read_image(SimpleUploadedFile(name, content)), ""
    except ApiError as error:
        return None, str(error.message)
    except ValidationError as error:
        return None, sentences(*error.messages)


def _check(content):
    try:
        with warnings.catch_warnings():
            # Pillow only warns below twice its own limit; any bomb is an error here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                kind = image.format
                width, height = image.size
                if kind not in FORMATS:
                    raise ValidationError(_unsupported())
                if width * height > settings.IMAGE_MAX_PIXELS:
                    raise ValidationError(
                        _("The image is %(width)s x %(height)s pixels; the limit is %(max)s pixels in all.")
                        % {
                            "width": width,
                            "height": height,
                            "max": number_format(settings.IMAGE_MAX_PIXELS, force_grouping=True),
                        }
                    )
                # Decoding every pixel is what finds a truncated or corrupt file.
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_("The image unpacks to far too many pixels to be a real picture.")) from None
    except Image.UnidentifiedImageError:
        raise ValidationError(_unsupported()) from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(_("The image file is damaged or incomplete; export it again.")) from None
    return kind


def _unsupported():
    return _("This file is not a JPEG, PNG, GIF or WebP image.")
