"""Proposals (in Chinese, the default language) for a community's compounds: own branches for 三有, joint branches for 三无 neighbours.

Positions: grid …001 spans 120.10–120.11 E, grid_x …002 spans 120.11–120.12 E (30.20–30.21 N);
0.001° of longitude is about 96 m here.
"""

from datetime import date

from civicgrid.party.services import JOIN, JOINT, OWN, join_branch, propose_branches, set_up_branch


def summary(proposals):
    return [(p.kind, [a.compound.name for a in p.compounds]) for p in proposals]


def test_a_three_have_compound_is_proposed_its_own_branch(city, compounds):
    compounds.add("翠苑", pm=True, fence=True, members=3, at=(120.105, 30.205))
    proposals = propose_branches(city.community)
    assert summary(proposals) == [(OWN, ["翠苑"])]
    assert proposals[0].party_members == 3
    assert proposals[0].suggested_name == "翠苑党支部"
    assert proposals[0].notes[0] == "翠苑符合“三有”条件：有物业管理、封闭管理、居住党员3名。"


def test_neighbouring_three_lack_compounds_are_joined_into_one_branch(city, compounds):
    compounds.add("老宿舍", pm=True, members=2, at=(120.108, 30.208))
    compounds.add("新村", members=1, at=(120.109, 30.208), grid=city.grid)  # about 100 m away
    proposals = propose_branches(city.community)
    assert summary(proposals) == [(JOINT, ["新村", "老宿舍"])]
    assert proposals[0].party_members == 3
    assert proposals[0].suggested_name == "新村、老宿舍联合党支部"


def test_compounds_in_the_same_grid_are_neighbours_even_when_far_apart_or_unlocated(city, compounds):
    compounds.add("北区", members=2, at=(120.101, 30.201))
    compounds.add("南区", members=1, at=(120.109, 30.209))  # over a kilometre away, same grid
    compounds.add("无坐标楼", members=1)  # no building point, same grid
    assert summary(propose_branches(city.community)) == [(JOINT, ["北区", "南区", "无坐标楼"])]


def test_a_lone_three_lack_compound_joins_the_nearest_compounds_branch(city, compounds):
    compounds.add("翠苑", pm=True, fence=True, members=3, at=(120.105, 30.205))
    compounds.add("远苑", pm=True, fence=True, members=4, at=(120.101, 30.201))
    compounds.add("孤楼", members=1, at=(120.115, 30.205), grid=city.grid_x)  # 960 m from 翠苑
    proposals = propose_branches(city.community)
    assert summary(proposals) == [(JOINT, ["孤楼", "翠苑"]), (OWN, ["远苑"])]
    joint = proposals[0]
    assert joint.party_members == 4
    assert "孤楼（无物业管理、未封闭、居住党员不足3名）并入最近小区翠苑的党支部。" in joint.notes


def test_three_lack_neighbours_with_too_few_members_together_join_the_nearest_branch(city, compounds):
    compounds.add("翠苑", pm=True, fence=True, members=3, at=(120.109, 30.205))
    compounds.add("东一", members=1, at=(120.115, 30.205), grid=city.grid_x)
    compounds.add("东二", members=1, at=(120.116, 30.205), grid=city.grid_x)
    assert summary(propose_branches(city.community)) == [(JOINT, ["东一", "东二", "翠苑"])]


def test_three_lack_neighbours_with_enough_members_stay_their_own_joint_branch(city, compounds):
    compounds.add("翠苑", pm=True, fence=True, members=3, at=(120.109, 30.205))
    compounds.add("东一", members=2, at=(120.115, 30.205), grid=city.grid_x)
    compounds.add("东二", fence=True, members=1, at=(120.116, 30.205), grid=city.grid_x)
    assert summary(propose_branches(city.community)) == [(JOINT, ["东一", "东二"]), (OWN, ["翠苑"])]


def test_compounds_of_another_community_are_never_joined(city, compounds):
    compounds.add("孤楼", members=1, at=(120.119, 30.205), grid=city.grid_x)
    compounds.add("葛岭小区", pm=True, fence=True, members=5, at=(120.121, 30.205), grid=city.grid2)
    proposals = propose_branches(city.community)
    assert summary(proposals) == [(OWN, ["孤楼"])]
    assert proposals[0].notes[-1] == "未找到相邻小区，由社区党委研究决定。"


def test_a_lone_compound_may_join_a_branch_that_already_exists(city, compounds, committee, staff):
    cuiyuan = compounds.add("翠苑", pm=True, fence=True, members=3, at=(120.109, 30.205))
    branch = set_up_branch(city.community, [cuiyuan], staff.secretary, date(2024, 3, 1), staff.recorder)
    lone = compounds.add("孤楼", members=1, at=(120.115, 30.205), grid=city.grid_x)
    proposals = propose_branches(city.community)
    assert summary(proposals) == [(JOIN, ["孤楼"])]
    assert proposals[0].branch == branch
    assert proposals[0].party_members == 4
    assert proposals[0].suggested_name == branch.name

    join_branch(branch, [lone], staff.recorder)
    branch.refresh_from_db()
    assert branch.is_joint
    assert set(branch.compounds.values_list("name", flat=True)) == {"翠苑", "孤楼"}
    assert propose_branches(city.community) == []


def test_organised_compounds_get_no_new_proposal(city, compounds, committee, staff):
    cuiyuan = compounds.add("翠苑", pm=True, fence=True, members=3, at=(120.105, 30.205))
    set_up_branch(city.community, [cuiyuan], staff.secretary, date(2024, 3, 1), staff.recorder)
    compounds.add("远苑", pm=True, fence=True, members=3, at=(120.101, 30.201))
    assert summary(propose_branches(city.community)) == [(OWN, ["远苑"])]


def test_the_note_names_the_nearest_compound_itself(city, compounds):
    compounds.add("乙", members=1, at=(120.101, 30.205))
    compounds.add("甲", members=2, at=(120.108, 30.205))  # same grid as 乙: neighbours
    compounds.add("丙", members=1, at=(120.113, 30.205), grid=city.grid_x)  # 480 m from 甲
    proposals = propose_branches(city.community)
    assert summary(proposals) == [(JOINT, ["丙", "乙", "甲"])]
    assert "丙（无物业管理、未封闭、居住党员不足3名）并入最近小区甲的党支部。" in proposals[0].notes


def test_neighbours_are_joined_only_while_the_branch_stays_within_fifty_members(city, compounds):
    compounds.add("甲苑", members=30, at=(120.109, 30.205))
    compounds.add("乙苑", members=25, at=(120.1105, 30.205), grid=city.grid_x)  # 144 m from 甲苑
    compounds.add("丙苑", members=20, at=(120.1115, 30.205), grid=city.grid_x)  # same grid as 乙苑
    compounds.add("丁苑", pm=True, fence=True, members=5, at=(120.119, 30.209), grid=city.grid_x)  # ~1 km
    proposals = propose_branches(city.community)
    # 甲苑 + 乙苑 + 丙苑 would make 75 members: 甲苑 goes to the farther 丁苑 instead.
    assert {(kind, tuple(sorted(names))) for kind, names in summary(proposals)} == {
        (JOINT, tuple(sorted(["乙苑", "丙苑"]))),
        (JOINT, tuple(sorted(["甲苑", "丁苑"]))),
    }
    assert all(p.party_members <= 50 for p in proposals)


def test_without_a_better_choice_a_lone_compound_still_joins_its_neighbours(city, compounds):
    compounds.add("甲苑", members=30, at=(120.109, 30.205))
    compounds.add("乙苑", members=25, at=(120.1105, 30.205), grid=city.grid_x)
    compounds.add("丙苑", members=20, at=(120.1115, 30.205), grid=city.grid_x)
    proposals = propose_branches(city.community)
    assert [(p.kind, len(p.compounds), p.party_members) for p in proposals] == [(JOINT, 3, 75)]
