from django import template
from django.utils.safestring import mark_safe

from trends.chart import sparkline as draw_sparkline

register = template.Library()


@register.filter
def sparkline(recent):
    """A flow's last 14 days of sends as a tiny chart."""
    return mark_safe(draw_sparkline(recent.days))  # noqa: S308 -- numbers, and its label escaped there


@register.filter
def change(rate):
    """A change as a signed percentage (+12%, or -30% with a true minus sign); a dash for none."""
    if rate is None:
        return "\N{EN DASH}"
    points = round(rate * 100)
    return f"{'+' if points > 0 else '\N{MINUS SIGN}' if points < 0 else ''}{abs(points)}%"
