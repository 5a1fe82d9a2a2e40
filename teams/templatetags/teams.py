from django import template
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from activity import history as activity
from flows_app.api.records import Directory
from flows_app.formatting import shown
from flows_app.models import Role
from flows_app.untranslated import untranslated

register = template.Library()


@register.filter
def change_label(name):
    """A recorded field's name as the forms call it."""
    return activity.field_label(name)


@register.simple_tag
def change_value(value, name, directory=None, website=None):
    """A recorded value of the field ``name`` as a person reads it; their own text (a title, a
    name) marked as not to be translated. Websites and segments are named when ``directory`` (the
    connection's cached names) knows them; ``website`` is the one a segment belongs to."""
    names = directory or Directory()
    if isinstance(value, list):
        if not value:
            return _("every website")
        return format_html_join(", ", "{}", ((untranslated(names.website_name(item)),) for item in value))
    if name == "website_id" and value not in ("", None):
        return untranslated(names.website_name(value))
    if name == "segment" and value not in ("", None):
        segment = names.segment(website, str(value))
        # "All subscribers" and "Segment #id" are Pushdeck's words; a segment's name is the user's.
        return untranslated(segment.name) if segment else names.segment_label(website, str(value))
    label = activity.value_label(name, value)
    if label is not None:
        return label
    return untranslated(shown(value))


@register.filter
def role_label(role):
    return Role(role).label
