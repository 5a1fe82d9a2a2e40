"""What a copy of a flow is: one rule for the duplicate form and for copying flows in bulk (#28).

- A copy starts paused. The server queues every new subscriber for each enabled flow the moment
  they subscribe (API_CONTRACT.md): an enabled copy sends to real people from its first save,
  before anyone has looked at it on its new website.
- A copy made for another website keeps links to the old one unless told otherwise: its
  subscribers would be sent to a website they never subscribed to. The links whose host is the
  source website's are offered for replacement by the target website's address.

Pure: values in, values out (the flow form's values, under the API's names).
"""

from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

# The flow's fields holding a link a subscriber follows.
LINK_FIELDS = ("url", "button_url_1", "button_url_2")


class LinkChange(NamedTuple):
    """A link of the copy that points at the source website, and the same page on the target's."""

    field: str
    url: str
    replacement: str


class Copy(NamedTuple):
    values: dict
    # The links pointing at the source website, each with its replacement on the target's.
    links: tuple = ()


def copy_of(values, source, target):
    """A copy of the flow ``values`` (from the website ``source``) for the website ``target``
    (the same one or another): paused, with its links to the source website found."""
    copied = {**values, "website_id": target.id, "is_enabled": False}
    return Copy(copied, links_to_replace(copied, source, target))


def links_to_replace(values, source, target):
    """The links among ``values`` whose host is the ``source`` website's, when the ``target``
    website is on another host, with their replacements; none when either website is unknown."""
    if source is None or target is None or _host(f"//{source.host}") == _host(f"//{target.host}"):
        return ()
    return tuple(
        LinkChange(field, values[field], _moved(values[field], source, target))
        for field in LINK_FIELDS
        if values.get(field) and _host(values[field]) == _host(f"//{source.host}")
    )


def relinked(values, links):
    """``values`` with each of ``links`` replaced."""
    return {**values, **{change.field: change.replacement for change in links}}


def _host(url):
    """The host name of ``url`` (a port apart, as browsers compare sites), or None for a value no
    URL parser reads: a link the server holds need not have passed the form's checks."""
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _moved(url, source, target):
    """``url`` on the target website: its scheme and host, and the path beneath the source
    website's own path placed beneath the target's (a website may live under a path)."""
    parts = urlsplit(url)
    path = parts.path
    base = source.path.rstrip("/")
    if base and (path == base or path.startswith(f"{base}/")):
        path = path[len(base) :]
    path = f"{target.path.rstrip('/')}{path}"
    scheme = target.scheme.removesuffix("://") or "https"
    return urlunsplit((scheme, target.host, path, parts.query, parts.fragment))


def segment_by_name(segment, source, target):
    """The audience of a copy moved from the ``source`` website's segments to the ``target``
    website's (each a list of api.Segment): "all" stays "all", a segment becomes the target's
    segment of the same name; None when the target has none by that name (or the source segment
    is unknown), and the person must choose: sending to everyone instead would reach people the
    flow was never meant for (the server itself falls back to "all", API_CONTRACT.md)."""
    if segment in ("all", "", None):
        return "all"
    named = next((item.name for item in source if str(item.id) == str(segment)), None)
    found = next((item for item in target if named is not None and item.name == named), None)
    return str(found.id) if found else None
