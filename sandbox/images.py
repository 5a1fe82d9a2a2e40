"""Flow images: checked the way the server checks them (the file name's extension and the size,
never the content: API_CONTRACT.md, "Write fields"), stored under MEDIA_ROOT/sandbox/."""

import re
import secrets
from pathlib import Path

from django.conf import settings

EXTENSIONS = ("jpg", "jpeg", "png", "gif", "webp")
NAME = re.compile(r"[0-9a-f]{32}\.(?:jpg|jpeg|png|gif|webp)")


def directory():
    return Path(settings.MEDIA_ROOT) / "sandbox"


def problem(upload):
    """The server's message for an image it refuses, or None."""
    if Path(upload.name).suffix.lower().lstrip(".") not in EXTENSIONS:
        return "Invalid file type."
    if upload.size > settings.SANDBOX_IMAGE_MAX_MB * 1024 * 1024:
        return f"The file is too big. The maximum allowed size is {settings.SANDBOX_IMAGE_MAX_MB} MB."
    return None


def store(upload):
    """Save an accepted upload under a random name and return that name."""
    name = f"{secrets.token_hex(16)}{Path(upload.name).suffix.lower()}"
    directory().mkdir(parents=True, exist_ok=True)
    with (directory() / name).open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return name


def remove(name):
    if name:
        (directory() / name).unlink(missing_ok=True)
