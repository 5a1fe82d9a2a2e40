"""Images of rejected submits: a chosen image survives a rejected submit of the flow form, so
that the user does not have to pick it again. It is kept on disk under DRAFTS_ROOT (only once it
passed the image checks), a few per user and within a total size budget: kept in the cache, 300
rejected submits of a 2 MB image pinned 600 MB of memory for a quarter of an hour.
"""

import re
import secrets
import time
from pathlib import Path

from django.conf import settings

from flows_app.api import ImageUpload
from flows_app.images import FORMATS

UPLOAD_SECONDS = 15 * 60
# What secrets.token_urlsafe(16) makes (an upload's token, a create token). Anything else a form
# sends back is no token of ours, and never becomes part of a cache key or a file name.
TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")
CONTENT_TYPES = dict(FORMATS.values())


def is_token(token):
    return isinstance(token, str) and TOKEN.fullmatch(token) is not None


def _folder(user):
    return Path(settings.DRAFTS_ROOT) / str(int(user.pk))


def keep_upload(user, upload):
    """Keep a checked image for this user; returns its token. The oldest kept images go first
    when the user has DRAFTS_PER_USER of them or all users together pass DRAFTS_MAX_BYTES."""
    token = secrets.token_urlsafe(16)
    folder = _folder(user)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    # read_image named it "<slug>.<extension of its real type>": both parts are safe in a path.
    path = folder / f"{token}--{Path(upload.filename).name}"
    partial = path.with_suffix(".partial")
    partial.write_bytes(upload.content)
    partial.chmod(0o600)
    partial.replace(path)
    _prune(folder.glob("*--*"), keep=settings.DRAFTS_PER_USER)
    _prune(Path(settings.DRAFTS_ROOT).glob("*/*--*"), budget=settings.DRAFTS_MAX_BYTES)
    return token


def kept_upload(user, token):
    """The image kept under this token for this user, or None (expired, pruned, another user's)."""
    if not is_token(token):
        return None
    for path in _folder(user).glob(f"{token}--*"):
        try:
            if time.time() - path.stat().st_mtime > UPLOAD_SECONDS:
                path.unlink(missing_ok=True)
                return None
            content = path.read_bytes()
        except FileNotFoundError:
            return None
        filename = path.name.partition("--")[2]
        return ImageUpload(
            filename, content, CONTENT_TYPES.get(Path(filename).suffix.lstrip("."), "image/png")
        )
    return None


def _prune(paths, keep=None, budget=None):
    """Delete expired files, then the oldest beyond ``keep`` files or ``budget`` bytes."""
    now, entries = time.time(), []
    for path in paths:
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        if now - stat.st_mtime > UPLOAD_SECONDS:
            path.unlink(missing_ok=True)
        else:
            entries.append((stat.st_mtime, stat.st_size, path))
    entries.sort(reverse=True)
    total = 0
    for count, (_, size, path) in enumerate(entries, start=1):
        total += size
        if (keep is not None and count > keep) or (budget is not None and total > budget):
            path.unlink(missing_ok=True)
