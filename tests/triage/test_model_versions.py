"""Models are versions: train makes a new one with its figures, the administrator sees which is in
use, rolls back to the previous version in one action; the history blends into the cold start."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from civicgrid.triage import predictor, services
from civicgrid.triage.models import TriageModel


def test_too_little_history_is_refused_with_a_clear_message(city, people):
    with pytest.raises(ValidationError, match="Too little history"):
        services.train(by=people.admin)
    assert not TriageModel.objects.exists()


def test_train_makes_versions_and_rollback_puts_the_previous_one_back(city, people, history):
    history(2)
    first = services.train(by=people.admin, note="first")
    assert first.version == 1 and first.active
    assert first.training_size == 24 and first.classes == 3
    assert first.accuracy is not None and first.top3_accuracy is not None and first.train_seconds > 0
    history(1)
    second = services.train(by=people.admin, activate=True)
    first.refresh_from_db()
    assert second.version == 2 and second.active and not first.active
    assert predictor.active_payload()[0] == 2

    back = services.rollback(by=people.admin)
    assert back.pk == first.pk
    assert list(TriageModel.objects.filter(active=True).values_list("version", flat=True)) == [1]
    assert predictor.active_payload()[0] == 1
    with pytest.raises(ValidationError, match="no earlier version"):
        services.rollback(by=people.admin)


def test_only_an_administrator_manages_models(city, people, history):
    history(2)
    with pytest.raises(PermissionDenied):
        services.train(by=people.dispatcher)
    row = services.train(by=people.admin)
    with pytest.raises(PermissionDenied):
        services.rollback(by=people.dispatcher)
    with pytest.raises(PermissionDenied):
        services.activate(row, by=people.supervisor)


def test_the_trained_model_learns_the_deployments_own_wording(city, people, cats, history, report):
    history(3)
    case = report(description="那辆白车停了三个月没动", category=cats.other)
    services.train(by=people.admin)
    top = services.compute(case)[0]
    assert top.category == cats.parking and top.model_version == 1
    assert 0 < top.cold_weight < 1  # blended with the catalogue by history size


def test_train_command_and_worker_retrain(city, people, history, capsys):
    history(2)
    call_command("triage", "train", "--note", "cli")
    assert "v1:" in capsys.readouterr().out
    assert services.retrain_if_grown() is None  # nothing new since v1
    call_command("triage", "rollback") if TriageModel.objects.count() > 1 else None
    history(5)  # 60 more cases: more than RETRAIN_MIN_NEW
    row = services.retrain_if_grown()
    assert row is not None and row.version == 2 and row.note == "worker"
    call_command("triage", "rollback")
    assert TriageModel.objects.get(active=True).version == 1
