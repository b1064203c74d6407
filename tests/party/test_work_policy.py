"""Who leads and reads an organisation's posts, calls and board: role × scope."""

import pytest

from civicgrid.party import policy


@pytest.mark.parametrize(
    "persona,lead,read",
    [
        ("secretary", True, True),  # the branch's own secretary
        ("recorder", True, True),  # community staff of 宝石社区
        ("outsider_secretary", False, False),  # a branch secretary of 葛岭社区
        ("dispatcher", False, True),  # the street reads
        ("leader", False, True),  # leaders read, never write
        ("member", False, False),  # a member reads the board only (can_read_board)
    ],
)
def test_who_leads_and_reads_a_branch(branch, staff, members, people, persona, lead, read):
    user = {
        "secretary": staff.secretary,
        "recorder": staff.recorder,
        "outsider_secretary": members.elsewhere_secretary,
        "dispatcher": people.dispatcher,
        "leader": people.leader,
        "member": members.a_user,
    }[persona]
    assert policy.can_lead(user, branch) is lead
    assert policy.can_read(user, branch) is read


def test_the_branchs_members_read_its_board_and_others_do_not(branch, members):
    assert policy.can_read_board(members.a_user, branch)
    assert not policy.can_read_board(members.c_user, branch)
