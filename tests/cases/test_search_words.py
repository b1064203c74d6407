"""The staff search's word index (cases/search_words.py): on PostgreSQL a GIN index over a case's
character pairs narrows the `LIKE`s to the cases that hold every pair of the query's characters. It
must find exactly what the `LIKE`s alone find — in the title, the description or the address, in any
letter case — and be the plan PostgreSQL takes."""

import pytest
from django.db import connection

from civicgrid.cases import services
from civicgrid.cases.models import Case
from civicgrid.cases.search_words import may_hold

needs_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL index")


def found(text):
    return set(services.filter_cases(Case.objects.all(), text=text).values_list("pk", flat=True))


def like_only(text):
    return set(
        Case.objects.filter(title__icontains=text)
        .union(Case.objects.filter(description__icontains=text), Case.objects.filter(address__icontains=text))
        .values_list("pk", flat=True)
    )


@needs_postgresql
def test_the_index_finds_what_the_likes_find_in_every_field(report):
    in_title = report(description="路面破损", title="垃圾满溢")
    in_description = report(description="小区门口的垃圾桶满了")
    in_address = report(description="噪音扰民", address="垃圾站路 3 号")
    apart = report(description="垃 圾 分开写")  # every character, but not the pair
    latin = report(description="Lamp post 12 is dark")
    for text in ("垃圾", "垃圾桶", "圾桶满", "lamp POST", "st 12"):
        assert found(text) == like_only(text), text
    assert found("垃圾") == {in_title.pk, in_description.pk, in_address.pk}
    assert found("LAMP") == {latin.pk}
    assert apart.pk not in found("垃圾")
    # one character: no pair to look up, the LIKEs alone
    assert may_hold("垃") is None
    assert found("垃") == {in_title.pk, in_description.pk, in_address.pk, apart.pk}
    # a reference still finds its case, whatever the words
    assert found(in_address.ref) == {in_address.pk}


@needs_postgresql
def test_the_query_matches_the_index_expression(report):
    """A few test rows are read faster without any index: with sequential scans priced out, the plan
    shows PostgreSQL can use the word index for the search's condition, i.e. the two expressions are
    the same (a difference in a cast or the separator would leave only a sequential scan)."""
    report(description="楼道路灯不亮")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = Case.objects.filter(may_hold("路灯")).order_by().explain()
    assert "case_words" in plan, plan


def test_the_migration_writes_the_same_sql_as_the_search():
    """Migration 0015 spells the functions and the index out (a migration imports no application
    code); the query's condition must match them, so the two texts must stay the same."""
    import importlib

    from civicgrid.cases import search_words

    migration = importlib.import_module("civicgrid.cases.migrations.0015_case_words_index")
    assert (migration.FUNCTIONS, migration.INDEX, migration.DROP) == (
        search_words.FUNCTIONS,
        search_words.INDEX,
        search_words.DROP,
    )
