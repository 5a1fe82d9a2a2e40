from django import template
from django.utils.translation import gettext_lazy as _

from flows_app.forms import FlowForm
from flows_app.templatetags.pushdeck import shown
from teams.models import Role

register = template.Library()

LABELS = {"api_key": _("API key"), "websites": _("Websites"), "image": _("Image")}


@register.filter
def change_label(name):
    """A recorded field's name as the forms call it."""
    field = FlowForm.base_fields.get(name)
    return LABELS.get(name) or (field and field.label) or name.replace("_", " ").capitalize()


@register.filter
def change_value(value):
    if isinstance(value, list):
        return ", ".join(f"#{item}" for item in value) if value else _("every website")
    return shown(value)


@register.filter
def role_label(role):
    return Role(role).label
