"""My day's extension point: another app's tasks (e.g. the grid-affairs admission list) appear only
when a provider gives some."""

import pytest

from civicgrid.fieldwork import tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    def admitted(user, today):
        return [tasks.Task(title="消防安全检查（准入事项）", url="/somewhere/", due=today)]

    tasks.register(admitted)
    yield admitted
    tasks.unregister(admitted)


def test_my_day_has_no_tasks_section_without_a_provider(client, people, homes, wednesday):
    client.force_login(people.grid_worker)
    assert "工作任务" not in client.get("/fieldwork/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


def test_a_registered_providers_tasks_appear_on_my_day(client, people, homes, wednesday, provider):
    client.force_login(people.grid_worker)
    body = client.get("/fieldwork/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "工作任务" in body and "消防安全检查（准入事项）" in body
