"""Grid-affairs admission (网格事务准入): only tasks the district approved for a grid reach its grid worker."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.indices import reports, services
from civicgrid.indices.models import AdmissionState


@pytest.fixture
def file(city, people):
    def make(**kw):
        data = dict(
            department=city.dept,
            by=people.handler,
            title="消防安全入户宣传",
            kind="survey",
            description="每户发放告知书",
            grids=[city.grid, city.grid2],
            hours_per_grid=Decimal("4"),
            funding_yuan=Decimal("5000"),
            people=0,
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
        )
        data.update(kw)
        return services.file_request(**data)

    return make


def test_a_task_without_funding_or_people_cannot_be_pushed_down(file):
    with pytest.raises(ValidationError, match="费随事转"):
        file(funding_yuan=Decimal(0), people=0)


def test_a_department_files_only_for_grids_in_its_area_and_only_for_itself(file, city, people):
    with pytest.raises(PermissionDenied):
        file(by=people.other_handler)
    with pytest.raises(ValidationError, match="not grids"):
        file(grids=[city.community])
    with pytest.raises(ValidationError, match="end date"):
        file(starts_on=date(2026, 6, 1), ends_on=date(2026, 5, 1))


def test_the_district_approves_or_refuses_with_a_reason_and_history(file, people):
    req = file()
    assert req.district.code == "330106" and req.state == AdmissionState.PENDING
    with pytest.raises(PermissionDenied):
        services.decide_request(req, by=people.dispatcher, approve=True)
    with pytest.raises(ValidationError, match="why"):
        services.decide_request(req, by=people.supervisor, approve=False, reason="")
    refused = services.decide_request(req, by=people.supervisor, approve=False, reason="与已有工作重复")
    assert refused.state == AdmissionState.REFUSED and refused.reason == "与已有工作重复"
    assert [(e.action, e.to_state) for e in refused.events.all()] == [
        ("filed", "pending"),
        ("refused", "refused"),
    ]
    with pytest.raises(ValidationError, match="decided already"):
        services.decide_request(refused, by=people.supervisor, approve=True)


def test_a_stale_decision_is_a_conflict(file, people):
    req = file()
    services.decide_request(req, by=people.supervisor, approve=True, expected_version=1)
    with pytest.raises(services.Conflict):
        services.decide_request(req, by=people.supervisor, approve=False, reason="x", expected_version=1)


def test_a_task_not_on_the_grids_admission_list_is_refused_naming_the_list(file, city, people):
    req = file()
    with pytest.raises(ValidationError, match="准入清单") as e:
        services.assign_task(
            req, grid=city.grid, worker=people.grid_worker, month=date(2026, 3, 1), by=people.dispatcher
        )
    assert "宝石一网格" in e.value.messages[0]
    services.decide_request(req, by=people.supervisor, approve=True)
    outside = file(grids=[city.grid2])
    services.decide_request(outside, by=people.supervisor, approve=True)
    with pytest.raises(ValidationError, match="准入清单"):
        services.assign_task(
            outside, grid=city.grid, worker=people.grid_worker, month=date(2026, 3, 1), by=people.dispatcher
        )
    with pytest.raises(ValidationError, match="准入清单"):  # outside the approved period
        services.assign_task(
            req, grid=city.grid, worker=people.grid_worker, month=date(2027, 3, 1), by=people.dispatcher
        )


def test_an_approved_task_goes_to_the_grids_worker_once_a_month_and_counts_in_the_workload(
    file, city, people, time_machine
):
    time_machine.move_to("2026-03-10 10:00 +08:00", tick=False)
    req = file()
    services.decide_request(req, by=people.supervisor, approve=True)
    assert list(services.admission_list(city.grid)) == [req]
    with pytest.raises(ValidationError, match="not a grid worker"):
        services.assign_task(
            req, grid=city.grid, worker=people.other_grid_worker, month=date(2026, 3, 1), by=people.dispatcher
        )
    with pytest.raises(PermissionDenied):
        services.assign_task(
            req, grid=city.grid, worker=people.grid_worker, month=date(2026, 3, 1), by=people.grid_worker
        )
    task = services.assign_task(
        req, grid=city.grid, worker=people.grid_worker, month=date(2026, 3, 15), by=people.community_staff
    )
    assert task.month == date(2026, 3, 1) and task.hours == Decimal("4.0")
    with pytest.raises(ValidationError, match="already given"):
        services.assign_task(
            req, grid=city.grid, worker=people.grid_worker, month=date(2026, 3, 1), by=people.dispatcher
        )
    months, rows = reports.workload(city.street, months=2)
    assert months == [date(2026, 2, 1), date(2026, 3, 1)]
    assert rows == [(city.grid, [Decimal(0), Decimal("4.0")])]
    done = services.complete_task(task, by=people.grid_worker)
    assert done.done_at is not None


def test_the_admission_pages_show_each_role_its_part(client, file, city, people):
    req = file()
    client.force_login(people.handler)
    page = client.get("/indices/admission/").content.decode()
    assert "消防安全入户宣传" in page
    client.force_login(people.supervisor)
    r = client.post(f"/indices/admission/{req.pk}/", {"action": "approve", "version": 1, "reason": ""})
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.state == AdmissionState.APPROVED
    client.force_login(people.dispatcher)
    r = client.post(
        f"/indices/admission/{req.pk}/",
        {"action": "assign", "target": f"{city.grid.pk}:{people.grid_worker.pk}", "month": "2026-03"},
    )
    assert r.status_code == 302
    client.force_login(people.grid_worker)
    page = client.get("/indices/admission/").content.decode()
    assert "消防安全入户宣传" in page and "my-tasks" in page
    client.force_login(people.outsider)
    assert client.get(f"/indices/admission/{req.pk}/").status_code == 403
    client.force_login(people.other_handler)
    assert client.get(f"/indices/admission/{req.pk}/").status_code == 403


def test_an_admitted_task_shows_on_the_grid_workers_day(file, city, people, time_machine, client):
    from civicgrid.fieldwork import tasks

    time_machine.move_to("2026-03-10 10:00 +08:00", tick=False)
    req = file()
    services.decide_request(req, by=people.supervisor, approve=True)
    task = services.assign_task(
        req, grid=city.grid, worker=people.grid_worker, month=date(2026, 3, 1), by=people.dispatcher
    )
    found = tasks.tasks_for(people.grid_worker, date(2026, 3, 10))
    assert [t.source for t in found] == ["indices"] and "消防安全入户宣传" in found[0].title
    assert tasks.tasks_for(people.other_grid_worker, date(2026, 3, 10)) == []
    services.complete_task(task, by=people.grid_worker)
    assert tasks.tasks_for(people.grid_worker, date(2026, 3, 10)) == []
