"""civicgrid: grid-based community governance."""
