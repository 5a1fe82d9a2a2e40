"""Finding English left on a page rendered in another language.

What a user reads is checked: text, and the attributes a browser shows or reads aloud. The flows'
own data (names, titles, links from the server) is marked `translate="no"` in the templates (which
also keeps browsers' page translators from rewriting it) and is skipped with everything inside it.
"""

import re
from html.parser import HTMLParser

from tests.pages import INVISIBLE

# Attributes a user reads (tooltips), hears (screen readers) or sees in an empty field.
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "aria-description")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Names and abbreviations that stay as they are in every language.
KEPT = {
    "Pushdeck",
    "API",
    "URL",
    "UTM",
    "TTL",
    "CSV",
    "ID",
    "IP",
    "UTC",
    "HTTP",
    "HTTPS",
    "http",
    "https",
    "JSON",
    "Chrome",
    "PNG",
    "JPG",
    "JPEG",
    "GIF",
    "WebP",
    "KB",
    "MB",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "push",
    "btools",
    "online",
}
WORD = re.compile(r"[A-Za-z][A-Za-z_]+")


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.read = []
        self._skipped = []  # the open elements whose content is not checked

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        skip = bool(self._skipped) or tag in INVISIBLE or a.get("translate") == "no"
        if not skip:
            self.read.extend(a[name] for name in READ_ATTRIBUTES if a.get(name))
            if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
                self.read.append(a["value"])
        if skip and tag not in VOID:
            self._skipped.append(tag)

    def handle_startendtag(self, tag, attrs):
        if not self._skipped:
            a = dict(attrs)
            if a.get("translate") != "no":
                self.read.extend(a[name] for name in READ_ATTRIBUTES if a.get(name))

    def handle_endtag(self, tag):
        # Elements left open (an <li> or <p> without its end tag) are closed with their parent.
        if tag in self._skipped:
            while self._skipped.pop() != tag:
                pass

    def handle_data(self, data):
        if not self._skipped:
            self.read.append(data)


def english_left(html):
    """The English words a user of another language would still read on the page, in order."""
    reader = _Reader()
    reader.feed(html)
    return [word for text in reader.read for word in WORD.findall(text) if word not in KEPT]
