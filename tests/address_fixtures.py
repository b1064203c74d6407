"""A small registry of compounds, buildings, units and households for the address tests."""

from types import SimpleNamespace

import pytest

from civicgrid.areas import addresses
from civicgrid.areas.models import Compound, Level
from civicgrid.areas.services import create_area, create_household


def _building(grid, serial, name, compound, units=2, lng=120.105, lat=30.205):
    b = create_area(
        level=Level.BUILDING, code=f"{grid.code}B{serial:02d}", name=name, parent=grid, lng=lng, lat=lat
    )
    if compound is not None:
        b.compound = compound
        b.save()
    us = [
        create_area(level=Level.UNIT, code=f"{b.code}U{u}", name=f"{u}单元", parent=b)
        for u in range(1, units + 1)
    ]
    return b, us


@pytest.fixture
def registry(city):
    r = SimpleNamespace()
    r.cuiyuan = Compound.objects.create(community=city.community, name="翠苑小区", jurisdiction="330106")
    r.xingfu = Compound.objects.create(community=city.community, name="幸福家园", jurisdiction="330106")
    r.xingfu2 = Compound.objects.create(community=city.community2, name="幸福家园", jurisdiction="330106")
    r.b = {}
    for n in range(1, 6):
        r.b[n] = _building(city.grid, 10 + n, f"翠苑小区{n}幢", r.cuiyuan)
    r.x1 = _building(city.grid, 20, "幸福家园1幢", r.xingfu)
    r.x2 = _building(city.grid2, 21, "幸福家园1幢", r.xingfu2)
    r.plaza = _building(city.grid_x, 30, "银泰广场A座", None, units=1)
    b3, (u1, u2) = r.b[3]
    create_household(unit=u2, number="302", address="文三路12号3栋2单元302")
    create_household(unit=u1, number="101", address="文三路12号3栋1单元101")
    b5, (u51, u52) = r.b[5]
    create_household(unit=u52, number="302", address="宝石社区翠苑小区5幢2单元302室")
    create_household(unit=u51, number="101", address="宝石社区翠苑小区5幢1单元101室")
    addresses.index_cache.clear()
    return r
