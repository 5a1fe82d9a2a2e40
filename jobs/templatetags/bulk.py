"""What bulk jobs add to the flows list's bulk bar (templates/flows/bulk_bar.html), drawn by the
bar itself: the flows pages need not know how."""

from django import template

from flows_app.access import EDITOR, access_of
from jobs.forms import set_fields_html

register = template.Library()


@register.simple_tag
def bulk_set_fields():
    return set_fields_html()


@register.filter
def copy_targets(request):
    """The connections the bar's Copy to... offers: those the person may create flows on (the
    page's connection query listed them, with the person's role on each)."""
    return [item for item in getattr(request, "user_connections", ()) if access_of(item).can(EDITOR)]
