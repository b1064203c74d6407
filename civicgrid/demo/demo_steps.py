"""The base demo city is the first demo step (see registry.py)."""

from . import city
from .registry import register_step

register_step("city", city.generate, city.cleanup, order=0)
