"""The test-send part of the flows pages (a flow's page, its edit and create forms), drawn by the
part itself: the flows pages need not know how. It costs no call: the form is loaded on demand."""

from django import template

register = template.Library()


@register.inclusion_tag("sends/part.html", takes_context=True)
def test_send_part(context, connection, flow=None, within_form=False):
    request = context["request"]
    return {
        "request": request,
        "connection": connection,
        "flow": flow,
        "within_form": within_form,
        "can_send": request.access.can_edit,
    }
