from django import template
from django.utils.translation import gettext as _

from flows_app.templatetags.pushdeck import shown
from flows_app.untranslated import untranslated
from teams import activity
from teams.models import Role

register = template.Library()


@register.filter
def change_label(name):
    """A recorded field's name as the forms call it."""
    return activity.field_label(name)


@register.filter
def change_value(value, name):
    """A recorded value of the field ``name`` as a person reads it; their own text (a title, a
    name) marked as not to be translated."""
    if isinstance(value, list):
        return ", ".join(f"#{item}" for item in value) if value else _("every website")
    label = activity.value_label(name, value)
    if label is not None:
        return label
    return untranslated(shown(value))


@register.filter
def role_label(role):
    return Role(role).label
