"""Demo step "city": the base demo city, the first step (see ../registry.py)."""

from civicgrid.demo import city
from civicgrid.demo.registry import register_step

register_step("city", city.generate, city.cleanup, order=0)
