"""Every case carries the time of its latest history row (Open311's updated_datetime): intake, a move,
a comment, a merge and the deadline sweep each set it with the row they write; a bulk load marks its
cases from their history in one statement."""

import time_machine

from civicgrid.cases import services, sweeps
from civicgrid.cases.models import Case, CaseEvent

from .conftest import at


def latest(case: Case):
    return CaseEvent.objects.filter(case=case).order_by("-at", "-id").values_list("at", flat=True)[0]


def test_each_writer_sets_the_time_of_its_history_row(city, people, report):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        case = report(description="楼道灯坏了")
    case.refresh_from_db()
    assert case.updated_at == case.reported_at == latest(case)
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):
        services.comment(case, people.dispatcher, "已联系物业")
    case.refresh_from_db()
    assert case.updated_at == at(2026, 3, 2, 10, 0) == latest(case)
    with time_machine.travel(at(2026, 3, 4, 9, 1), tick=False):  # past the grid's 48 h: it escalates
        assert sweeps.sweep()["escalate"] == 1
    case.refresh_from_db()
    assert case.updated_at == at(2026, 3, 4, 9, 1) == latest(case)


def test_a_merge_marks_the_main_case_and_its_duplicate(city, people, report):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        main = report(description="小区门口垃圾桶满溢")
        dup = report(description="门口垃圾桶满了")
    with time_machine.travel(at(2026, 3, 2, 11, 0), tick=False):
        services.merge([dup.pk], main, people.dispatcher, note="同一件事")
    for case in (main, dup):
        case.refresh_from_db()
        assert case.updated_at == at(2026, 3, 2, 11, 0) == latest(case)


def test_a_bulk_load_is_marked_from_its_history(city, people, report):
    case = report(description="路灯不亮")
    services.comment(case, people.dispatcher, "已派单")
    Case.objects.filter(pk=case.pk).update(updated_at=None)
    assert services.mark_changed_from_history() == 1
    case.refresh_from_db()
    assert case.updated_at == latest(case)
    assert services.mark_changed_from_history() == 0  # only the cases without one
