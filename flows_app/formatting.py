"""How the pages write values: numbers grouped as the language does, rates, dashes for nothing,
form values as people read them, icons. Plain functions for Python that draws markup (the flows
table, the charts); the pushdeck tag library offers the same to templates."""

from functools import cache

from django.templatetags.static import static
from django.utils.formats import get_format, number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

DASH = "\N{EN DASH}"


def num(value):
    """A whole number grouped in thousands as the active language writes it (its format module)."""
    try:
        return number_format(int(value), force_grouping=True)
    except (TypeError, ValueError):
        return value


def grouped_numbers():
    """``num`` for a whole table: the language's grouping is looked up once, not once a cell."""
    separator, grouping = get_format("THOUSAND_SEPARATOR"), get_format("NUMBER_GROUPING")
    if grouping == 3:
        return lambda value: f"{value:,}".replace(",", separator)
    return num


def percent(rate):
    return DASH if rate is None else f"{rate * 100:.1f}%"


@cache
def _sprite_url():
    # The hashed name does not change while the process runs; looking it up costs ~25 µs a call.
    return static("img/icons.svg")


def icon(name, extra=""):
    """An icon from the local SVG sprite; decorative, so hidden from screen readers."""
    return format_html(
        '<svg class="icon{}" aria-hidden="true"><use href="{}#{}"></use></svg>',
        f" {extra}" if extra else "",
        _sprite_url(),
        name,
    )


def shown(value):
    """A form value as a person reads it: Yes/No for booleans, a dash for nothing."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if value in ("", None):
        return DASH
    return value


def list_query(per_page, query, **changes):
    """The flows list's URL query for its ``query`` with ``changes`` (a parameter set to "" is
    dropped), on page 1."""
    return f"?page=1&results_per_page={int(per_page)}{query.encoded(**changes)}"
