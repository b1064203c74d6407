"""Formatting of figures: shares as percentages, hours with one decimal, a dash when undefined."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def figure(value, kind="count"):
    if value is None:
        return "–"
    if kind == "rate":
        return number_format(round(value * 100, 1), 1) + "%"
    if kind == "hours":
        return number_format(round(value, 1), 1)
    return number_format(value, 0, force_grouping=True)


@register.filter
def attr(obj, name):
    """A figure of a row by name (rows carry a rollups.Figures)."""
    return obj.value(name) if hasattr(obj, "value") else getattr(obj, name, None)
