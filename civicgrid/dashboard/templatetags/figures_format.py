"""Formatting of figures: shares as percentages, hours with one decimal, a dash when undefined.

Plain Python formatting (grouping with ",", decimal point "."), which is how both Chinese and
English write these numbers; it is many times faster than the locale machinery on a page of a few
hundred cells.
"""

from django import template

register = template.Library()


def format_figure(value, kind: str = "count") -> str:
    if value is None:
        return "–"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "hours":
        return f"{value:.1f}"
    return f"{value:,}"


@register.filter
def figure(value, kind="count"):
    return format_figure(value, kind)
