"""What bulk jobs add to the flows list's bulk bar (templates/flows/bulk_bar.html), drawn by the
bar itself: the flows pages need not know how."""

from django import template

from jobs.forms import set_fields_html

register = template.Library()


@register.simple_tag
def bulk_set_fields():
    return set_fields_html()
