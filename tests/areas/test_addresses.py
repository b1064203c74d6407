"""Address text → compound, building, unit: normalisation, exact and variant spellings, ambiguity."""

import pytest

from civicgrid.areas import addresses
from civicgrid.areas.addresses import chinese_number, match_address, normalise, parse
from tests import address_fixtures

registry = address_fixtures.registry  # the fixture
_building = address_fixtures._building


def test_normalise_spellings():
    assert normalise("翠苑小区５栋２单元３０２室") == "翠苑小区5幢2单元302室"
    assert normalise("翠苑小区三栋") == "翠苑小区3幢"
    assert normalise("翠苑小区十二号楼") == "翠苑小区12幢"
    assert normalise("翠苑小区3#楼") == "翠苑小区3幢"
    assert normalise("银泰广场Ａ座") == "银泰广场A幢"
    assert normalise("翠苑小区 3-2-302") == "翠苑小区3幢2单元302室"
    assert normalise("翠苑一区") == "翠苑一区"  # a numeral in a name, not before a marker, stays
    assert chinese_number("二十一") == 21
    assert chinese_number("一百零五") == 105


def test_parse_splits_place_building_unit_room():
    p = parse("文三路12号3栋2单元")
    assert (p.place, p.building, p.unit, p.room) == ("文三路12号", "3", "2", None)
    p = parse("XX小区5幢302")
    assert (p.place, p.building, p.unit, p.room) == ("XX小区", "5", None, "302")
    p = parse("翠苑小区12号2单元")
    assert (p.place, p.building, p.unit) == ("翠苑小区", "12", "2")


@pytest.mark.parametrize(
    "text",
    [
        "翠苑小区3幢2单元",
        "翠苑小区3栋2单元",
        "翠苑小区3号楼2单元",
        "翠苑小区三栋二单元",
        "翠苑小区３栋２单元302室",
        "翠苑小区3-2-302",
    ],
)
def test_variant_spellings_match_the_unit(registry, text):
    m = match_address(text)
    b3, (u1, u2) = registry.b[3]
    assert m.status == "matched", m
    assert m.level == "unit"
    assert m.best.unit_id == u2.pk and m.best.building_id == b3.pk
    assert m.confidence >= addresses.CONFIDENT


def test_exact_building_and_room_finds_the_unit_through_the_households(registry):
    m = match_address("翠苑小区5幢302")
    b5, (u51, u52) = registry.b[5]
    assert m.status == "matched" and m.level == "unit" and m.best.unit_id == u52.pk


def test_road_address_from_the_households(registry):
    m = match_address("文三路12号3栋2单元")
    b3, (u1, u2) = registry.b[3]
    assert m.status == "matched" and m.best.unit_id == u2.pk


def test_commercial_building_by_letter(registry):
    m = match_address("银泰广场A座")
    plaza, (u,) = registry.plaza
    assert m.status == "matched" and m.best.building_id == plaza.pk


def test_same_compound_name_in_two_communities_is_ambiguous(registry, city):
    m = match_address("幸福家园1幢")
    assert m.status == "ambiguous"
    assert {c.building_id for c in m.candidates} >= {registry.x1[0].pk, registry.x2[0].pk}
    assert m.best is None
    # within one community it is not
    m = match_address("幸福家园1幢", within=city.community2)
    assert m.status == "matched" and m.best.building_id == registry.x2[0].pk


def test_unknown_building_number_is_not_a_guess(registry):
    m = match_address("翠苑小区9幢")
    assert m.status != "matched" or m.level == "compound"
    assert all(c.building_id is None for c in m.candidates[:1])


def test_nothing_like_it(registry):
    m = match_address("火星基地99幢")
    assert m.status == "none" and not m.candidates
    assert match_address("").status == "none"


def test_the_index_is_cached_and_rebuilt_after_a_write(registry, city):
    addresses.index_cache.clear()
    before = addresses.index_cache.builds
    match_address("翠苑小区1幢")
    match_address("翠苑小区2幢")
    assert addresses.index_cache.builds == before + 1
    _building(city.grid, 40, "翠苑小区8幢", registry.cuiyuan)  # an area write fires the areas topic
    m = match_address("翠苑小区8幢")
    assert m.status == "matched"


def test_an_unknown_road_in_front_and_a_short_name_still_match(registry):
    b3, (u1, u2) = registry.b[3]
    m = match_address("文二路88号翠苑小区3栋2单元")
    assert m.status == "matched" and m.best.unit_id == u2.pk
    m = match_address("翠苑3栋2单元")
    assert m.status == "matched" and m.best.unit_id == u2.pk


def test_a_short_name_two_compounds_share_is_asked(registry):
    m = match_address("幸福1幢")
    assert m.status == "ambiguous"


def test_a_wrong_character_is_asked_not_guessed(registry):
    m = match_address("翠某小区3栋2单元")
    assert m.best is None or m.best.unit_id == registry.b[3][1][1].pk


def test_a_community_name_alone_is_no_place_but_its_numbered_building_is(registry, city):
    assert match_address("北山街道宝石社区东门").status == "none"
    m = match_address("宝石社区1幢1单元101")
    assert m.status == "matched" and m.best.unit_id == city.unit.pk
