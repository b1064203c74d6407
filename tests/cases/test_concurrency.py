"""Two people acting on the same case at the same moment: one wins, the other is told clearly."""

import threading

import pytest
from django.db import connection, connections

from civicgrid.cases import services
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.services import CaseConflict, IllegalTransition
from civicgrid.cases.workflow import State

pytestmark = [
    pytest.mark.postgres,
    # serialized_rollback: the categories and calendar seeded by migrations survive the flush after the test
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises every write transaction, so two writers never overlap; run on PostgreSQL",
    ),
]


def race(*calls):
    """Run the calls in threads released at the same instant; returns each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # collected for the assertions
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_dispatchers_at_once_one_wins_the_other_gets_a_conflict(city, people, rule):
    case = services.intake(channel="resident_app", description="乱停车", unit=city.unit).case
    seen = case.version
    results = race(
        lambda: services.dispatch(case.pk, people.dispatcher, city.dept, expected_version=seen),
        lambda: services.dispatch(case.pk, people.supervisor, city.dept2, expected_version=seen),
    )
    winners = [r for r in results if isinstance(r, Case)]
    conflicts = [r for r in results if isinstance(r, CaseConflict)]
    assert len(winners) == 1 and len(conflicts) == 1, results
    assert "Someone else has already acted" in str(conflicts[0]) or "其他人" in str(conflicts[0])
    case.refresh_from_db()
    assert case.version == seen + 1 and case.department_id == winners[0].department_id
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1


def test_two_handlers_accepting_at_once_one_wins(city, people, rule):
    from civicgrid.people.models import Role
    from civicgrid.people.services import assign_role, create_user

    colleague = create_user("handler_b", "pw-handler_b")
    assign_role(colleague, Role.DEPARTMENT_HANDLER, department=city.dept)
    case = services.intake(channel="resident_app", description="乱停车", unit=city.unit).case
    case = services.dispatch(case, people.dispatcher, city.dept)
    results = race(
        lambda: services.accept(case.pk, people.handler),
        lambda: services.accept(case.pk, colleague),
    )
    # Without a version named, the second finds the case already in progress: an illegal move.
    assert sum(isinstance(r, Case) for r in results) == 1, results
    assert sum(isinstance(r, IllegalTransition) for r in results) == 1, results
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS
    assert CaseEvent.objects.filter(case=case, action="accept").count() == 1


def test_the_same_retried_submission_at_once_makes_one_case(city):
    results = race(
        lambda: services.intake(
            channel="resident_app", description="垃圾满溢", unit=city.unit, client_key="same"
        ),
        lambda: services.intake(
            channel="resident_app", description="垃圾满溢", unit=city.unit, client_key="same"
        ),
    )
    assert all(isinstance(r, services.IntakeResult) for r in results), results
    assert sorted(r.created for r in results) == [False, True]
    assert results[0].case.pk == results[1].case.pk
    assert Case.objects.count() == 1


def test_the_same_settled_on_the_spot_retried_at_once_makes_one_case(city, people, monkeypatch):
    # Both submissions reach the INSERT before either commits (as two phones retrying at once do).
    at_insert = threading.Barrier(2)
    save = Case.save

    def save_together(self, *args, **kwargs):
        if kwargs.get("force_insert"):
            at_insert.wait(10)
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Case, "save", save_together)

    def settle():
        return services.settle_on_spot(
            by=people.grid_worker,
            description="楼道堆物",
            result="已劝导清理",
            unit=city.unit,
            client_key="spot-1",
        )

    results = race(settle, settle)
    assert all(isinstance(r, services.IntakeResult) for r in results), results
    assert sorted(r.created for r in results) == [False, True]
    assert results[0].case.pk == results[1].case.pk
    assert results[0].token == results[1].token
    assert Case.objects.count() == 1
    assert CaseEvent.objects.filter(action="settle_on_spot").count() == 1


def test_merging_two_cases_into_each_other_at_once_one_wins_the_other_gets_a_conflict(city, people):
    a = services.intake(channel="resident_app", description="垃圾满溢", unit=city.unit).case
    b = services.intake(channel="resident_app", description="垃圾满溢", unit=city.unit).case
    results = race(
        lambda: services.merge([a.pk], b.pk, people.grid_worker),
        lambda: services.merge([b.pk], a.pk, people.grid_worker),
    )
    winners = [r for r in results if isinstance(r, Case)]
    conflicts = [r for r in results if isinstance(r, CaseConflict)]
    assert len(winners) == 1 and len(conflicts) == 1, results
    main = winners[0]
    duplicate = Case.objects.get(pk=({a.pk, b.pk} - {main.pk}).pop())
    assert duplicate.state == State.MERGED and duplicate.merged_into_id == main.pk
    main.refresh_from_db()
    assert main.state != State.MERGED and main.merged_into_id is None
    assert CaseEvent.objects.filter(action="merge").count() == 2  # the duplicate's and the main case's


def test_two_registrations_changing_the_category_at_once_one_wins_none_is_lost(city, people, cats):
    """The second waits on the first's lock; the case it then reads has another category (it used to
    vanish from the locking join: DoesNotExist) and is already registered: an illegal move, said clearly."""
    import time

    from django.db import transaction

    case = services.intake(channel="resident_app", description="乱停车", unit=city.unit).case

    def first():
        with transaction.atomic():
            done = services.register(case.pk, people.dispatcher, category=cats.rubbish)
            time.sleep(0.8)  # hold the lock while the second asks for it
        return done

    def second():
        time.sleep(0.3)
        return services.register(case.pk, people.supervisor, category=cats.parking)

    results = race(first, second)
    assert isinstance(results[0], Case), results
    assert isinstance(results[1], IllegalTransition), results
    case.refresh_from_db()
    assert case.category_id == cats.rubbish.pk
    assert CaseEvent.objects.filter(case=case, action="register").count() == 1
