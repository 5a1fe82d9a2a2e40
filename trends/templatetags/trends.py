from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from trends.chart import sparkline as draw_sparkline

register = template.Library()


@register.filter
def sparkline(recent):
    """A flow's last 14 days of sends as a tiny chart, its figures in its accessible name."""
    label = _("Sent per day over the last 14 days: %(days)s") % {
        "days": ", ".join(f"{day:,}" for day in recent.days)
    }
    return mark_safe(draw_sparkline(recent.days, label))  # noqa: S308 -- numbers, and the label escaped there


@register.filter
def change(rate):
    """A change as a signed percentage (+12%, or -30% with a true minus sign); a dash for none."""
    if rate is None:
        return "\N{EN DASH}"
    points = round(rate * 100)
    return f"{'+' if points > 0 else '\N{MINUS SIGN}' if points < 0 else ''}{abs(points)}%"
