from django import template
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from flows_app.api.records import Directory
from flows_app.templatetags.pushdeck import shown
from flows_app.untranslated import untranslated
from teams import activity
from teams.models import Role

register = template.Library()


@register.filter
def change_label(name):
    """A recorded field's name as the forms call it."""
    return activity.field_label(name)


@register.simple_tag
def change_value(value, name, directory=None):
    """A recorded value of the field ``name`` as a person reads it; their own text (a title, a
    name) marked as not to be translated. A member's websites are named when ``directory`` (the
    connection's cached names) knows them."""
    if isinstance(value, list):
        if not value:
            return _("every website")
        names = directory or Directory()
        return format_html_join(
            ", ",
            "{}",
            (
                (untranslated(names.website_label(item)) if names.website(item) else f"#{item}",)
                for item in value
            ),
        )
    label = activity.value_label(name, value)
    if label is not None:
        return label
    return untranslated(shown(value))


@register.filter
def role_label(role):
    return Role(role).label
