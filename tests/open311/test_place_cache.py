"""The per-process cache of a GET page's addresses is shared by the server's threads: another thread
clearing it in the middle of a page changes nothing in that page's answer."""

from civicgrid.areas.models import Area
from civicgrid.open311 import presenters


def test_a_cache_cleared_by_another_thread_mid_page_still_answers_every_address(city, monkeypatch):
    presenters._forget_places()
    rows = [{"path": city.grid.path}, {"path": city.grid.path + "nowhere/"}]
    real_filter = Area.objects.filter

    def filter_then_clear(*args, **kwargs):
        found = list(real_filter(*args, **kwargs).values("code", "name", "level"))
        presenters._forget_places()  # as another thread would, between the query and the answer
        return type("Rows", (), {"values": lambda self, *a: found})()

    monkeypatch.setattr(Area.objects, "filter", filter_then_clear)
    names = presenters.place_names(rows)
    assert names[city.grid.path] == ("宝石一网格 宝石社区 北山街道", city.grid.code)
    assert names[city.grid.path + "nowhere/"] == names[city.grid.path]
    monkeypatch.undo()
    assert presenters.place_names(rows) == names
