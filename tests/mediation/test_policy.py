"""Who may do what with a dispute: role × centre level × action, as a grid.

For a dispute at a centre of each level (community, street, county): the centre's head and window
staff do everything; its assigned mediator the mediation actions; an unassigned mediator, the staff
of another centre (a higher level's included), area staff and outsiders nothing. Parties' data is
seen only by the centre's staff and the assigned mediators; the summary also by higher centres and
area readers over it; the public sees nothing.
"""

import pytest
from django.urls import reverse

from civicgrid.mediation import policy, services
from civicgrid.mediation.workflow import TRANSITIONS

pytestmark = pytest.mark.django_db

LEVELS = ["community", "street", "county"]
CENTRE_ONLY = {"assign", "add_mediator", "withdraw"}
MEDIATOR_ACTIONS = set(TRANSITIONS) - CENTRE_ONLY


@pytest.fixture
def disputes(med, take_in):
    """One dispute per level, each with a mediator of that centre assigned."""
    out = {}
    for level, centre in med.centres.items():
        mediator = (
            services.enrol_mediator(
                centre,
                med.committee_user if level == "street" else _user(level),
                name=f"调解员{level}",
                pool="committee",
            )
            if level != "street"
            else med.committee
        )
        d = take_in(centre=centre, by=med.staff[level])
        services.assign(d, mediator, med.staff[level])
        d.refresh_from_db()
        out[level] = (d, mediator.user)
    return out


def _user(level):
    from civicgrid.people.services import create_user

    return create_user(f"assigned_{level}", "pw", email=f"assigned_{level}@example.org")


def expected(who: str, level: str, action: str, holder_level: str) -> bool:
    if who in ("head", "window"):
        return holder_level == level
    if who == "assigned":
        return holder_level == level and action in MEDIATOR_ACTIONS
    return False


def actors(med, disputes, level):
    return {
        "head": med.heads[level],
        "window": med.staff[level],
        "assigned": disputes[level][1],
        "unassigned mediator": med.unassigned_user,
    }


@pytest.mark.parametrize("level", LEVELS)
def test_the_permission_grid_for_every_role_level_and_action(med, people, disputes, level):
    for action in sorted(TRANSITIONS):
        _check_cell(med, people, disputes, level, action)


def _check_cell(med, people, disputes, level, action):
    d = disputes[level][0]
    for holder_level in LEVELS:
        for who, user in actors(med, disputes, holder_level).items():
            if who == "unassigned mediator":
                assert policy.can(user, action, d) is False, (who, holder_level)
                continue
            want = expected(who, level, action, holder_level)
            assert policy.can(user, action, d) is want, (who, holder_level, action)
    for outsider in (
        people.outsider,
        people.resident_user,
        people.dispatcher,
        people.leader,
        people.admin,
        med.other_staff,
    ):
        assert policy.can(outsider, action, d) is False


@pytest.mark.parametrize("level", LEVELS)
def test_parties_are_seen_only_by_the_centre_staff_and_the_assigned_mediators(med, people, disputes, level):
    d, assigned = disputes[level]
    allowed = {med.heads[level], med.staff[level], assigned}
    everyone = {
        *med.heads.values(),
        *med.staff.values(),
        *(u for _d, u in disputes.values()),
        med.unassigned_user,
        med.other_staff,
        people.dispatcher,
        people.leader,
        people.supervisor,
        people.admin,
        people.outsider,
        people.resident_user,
    }
    for user in everyone:
        assert policy.can_view_parties(user, d) is (user in allowed), user


def test_higher_centres_and_area_readers_see_a_disputes_summary_but_not_its_parties(med, people, disputes):
    d, _u = disputes["community"]
    for user in (
        med.heads["street"],
        med.heads["county"],
        people.dispatcher,
        people.supervisor,
        people.leader,
        people.admin,
    ):
        assert policy.can_view(user, d)
        assert not policy.can_view_parties(user, d)
    for user in (
        med.other_staff,
        people.outsider,
        people.resident_user,
        people.other_grid_worker,
        people.handler,
    ):
        assert not policy.can_view(user, d)
    street, _u = disputes["street"]
    assert not policy.can_view(med.heads["community"], street)  # lower centres do not see up


def test_public_pages_show_nothing_of_a_dispute(client, med, disputes, people):
    d, _u = disputes["street"]
    for url in [
        reverse("mediation:dispute", args=[d.pk]),
        reverse("mediation:agreement_pdf", args=[d.pk]),
        reverse("mediation:index"),
        reverse("mediation:figures"),
    ]:
        r = client.get(url)
        assert r.status_code == 302 and "/login/" in r["Location"]
    client.force_login(people.outsider)
    assert client.get(reverse("mediation:dispute", args=[d.pk])).status_code == 404
    assert client.get(reverse("mediation:index")).status_code == 403
    for public in ["/cases/wall/", "/open311/v2/requests.json"]:
        r = client.get(public)
        assert d.ref not in r.content.decode() and d.summary not in r.content.decode()


def test_a_reader_without_parties_access_gets_the_summary_page_without_names(client, med, disputes):
    d, _u = disputes["community"]
    client.force_login(med.heads["county"])
    page = client.get(reverse("mediation:dispute", args=[d.pk])).content.decode()
    assert d.ref in page and "张*明" not in page and "张晓明" not in page
    assert client.get(reverse("mediation:agreement_pdf", args=[d.pk])).status_code == 404
    assert client.post(reverse("mediation:reveal", args=[d.pk]), {"reason": "看看"}).status_code == 404


def test_only_the_head_or_an_administrator_changes_the_roster(med, people):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.add_staff(med.street_centre, people.outsider, by=med.window)
    services.add_staff(med.street_centre, people.outsider, by=med.head)
    services.add_staff(med.street_centre, people.dispatcher, by=people.admin)
    with pytest.raises(PermissionDenied):
        services.create_centre(area=med.street_centre.area, name="x", by=med.head)
