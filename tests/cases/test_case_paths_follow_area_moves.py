"""A case keeps the path of the place it lies in when that place's area is moved or gets a new
code (areas sends `area_paths_moved`; cases rewrites its own rows)."""

from civicgrid.areas.services import move_area
from civicgrid.cases.models import Case


def test_a_grid_code_change_rewrites_the_path_of_its_cases(city, people, report):
    case = report()
    other = report(unit=city.unit3)
    assert case.path.startswith(city.grid.path)
    grid = move_area(city.grid, by=people.admin, code="330106001001009")
    case = Case.objects.get(pk=case.pk)
    assert case.path.startswith(grid.path) and "330106001001001/" not in case.path
    assert Case.objects.get(pk=other.pk).path == other.path  # another grid's case is untouched
