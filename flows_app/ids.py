"""Ids as Pushdeck takes them from a URL or a form: positive integers within the database's
integer range (a BigAutoField, and the bigint SQLite and PostgreSQL store: at most 2**63 - 1).

A longer number would reach the database and fail there with an OverflowError, a 500. Checked
here once for every URL (the ``id`` converter, registered by the app) and every form (``as_id``),
an id out of range is simply no such thing: a 404 in a URL, the form's own message in a form.
"""

from django.urls import register_converter

MAX_ID = 2**63 - 1
DIGITS = len(str(MAX_ID))


def as_id(text):
    """The id ``text`` names (ASCII digits, 1 to MAX_ID), or None when it names none."""
    text = str(text).strip()
    if not (text.isascii() and text.isdecimal()) or len(text.lstrip("0")) > DIGITS:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


class IdConverter:
    """``<id:name>`` in URL patterns: what ``<int:name>`` matches, bounded to the database's range."""

    regex = "[0-9]+"

    def to_python(self, value):
        found = as_id(value)
        if found is None:
            # Django answers 404 when a converter refuses: no such object, as for an unknown id.
            raise ValueError(value)
        return found

    def to_url(self, value):
        return str(int(value))


def register():
    register_converter(IdConverter, "id")
