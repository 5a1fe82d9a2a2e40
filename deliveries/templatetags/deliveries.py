from django import template
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from deliveries.listing import last_gathering

register = template.Library()


@register.simple_tag
def failures_freshness(connection, query, column_choices):
    """For the flows list's status line, how fresh the gathered failure figures are, when the
    list shows them (the Failed column chosen, or the "failures rose" filter); one query."""
    shown = any(column.name == "failed_share" and chosen for column, chosen in column_choices)
    if not (shown or query.failures):
        return ""
    gathering = last_gathering(connection)
    if gathering is None:
        words = _("Failures not gathered yet: the worker gathers them in the background.")
    else:
        words = _("Failures gathered %(age)s ago") % {"age": timesince(gathering.gathered_at)}
        if gathering.pending:
            words += " · " + ngettext(
                "%(count)s flow still to count", "%(count)s flows still to count", gathering.pending
            ) % {"count": gathering.pending}
    return format_html(" · <span data-failures-freshness>{}</span>", words)
