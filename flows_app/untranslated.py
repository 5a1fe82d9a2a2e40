"""Names and the server's words inside translated text: marked translate="no", so that page
translators leave them as they are (and the i18n tests read them as data, not as English left)."""

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe


def untranslated(value):
    return format_html('<span translate="no">{}</span>', value)


def with_names(message, **names):
    """A translated sentence (escaped here) whose placeholders are names, each marked untranslated."""
    if not names:
        return escape(message)  # no placeholders to fill: a "%" in it is just a percent sign
    return mark_safe(escape(message) % {key: untranslated(value) for key, value in names.items()})  # noqa: S308 -- escaped, the names too
