"""The indices' pages render in Chinese and English, and refuse those outside the district."""

import pytest

from civicgrid.indices import services

from .conftest import MARCH


@pytest.fixture
def published(index, people, march):
    return services.publish_issue(index, by=people.supervisor, period_end=MARCH)


URLS = [
    "/indices/",
    "/indices/index/liuhe/",
    "/indices/index/liuhe/edit/",
    "/indices/index/liuhe/issue/1/",
    "/indices/colours/330106001/",
    "/indices/admission/",
]


@pytest.mark.parametrize("lang, word", [("zh-hans", "六和指数"), ("en", "Issue")])
def test_pages_render_in_both_languages(client, people, published, lang, word, settings):
    client.force_login(people.supervisor)
    for url in URLS:
        r = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
        assert r.status_code == 200, url
    assert word in client.get("/indices/index/liuhe/issue/1/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()


def test_english_pages_are_translated(client, people, published):
    client.force_login(people.supervisor)
    zh = client.get("/indices/index/liuhe/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    en = client.get("/indices/index/liuhe/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "发布下一期" in zh and "Publish the next issue" in en


def test_the_edit_page_previews_then_saves_a_new_version(client, people, index, march):
    client.force_login(people.supervisor)
    form = {
        "rows": 2,
        "code-0": "overdue",
        "name-0": "逾期",
        "formula-0": "overdue_open",
        "direction-0": "lower_better",
        "weight-0": "1",
        "note": "只看逾期",
    }
    r = client.post("/indices/index/liuhe/edit/", {**form, "preview": "1"})
    assert r.status_code == 200 and 'id="preview"' in r.content.decode()
    assert index.versions.count() == 1
    r = client.post("/indices/index/liuhe/edit/", {**form, "formula-0": "watched_people", "save": "1"})
    assert "Unknown figure" in r.content.decode() or "未知" in r.content.decode()
    assert index.versions.count() == 1
    r = client.post("/indices/index/liuhe/edit/", {**form, "save": "1"})
    assert r.status_code == 302 and index.versions.count() == 2


def test_a_leader_reads_but_cannot_edit_or_publish(client, people, published):
    client.force_login(people.leader)
    assert client.get("/indices/index/liuhe/").status_code == 200
    assert client.get("/indices/index/liuhe/edit/").status_code == 403
    assert client.post("/indices/index/liuhe/publish/").status_code == 403


def test_outsiders_and_residents_see_no_index(client, people, published):
    for who in (people.outsider, people.resident_user, people.handler):
        client.force_login(who)
        assert client.get("/indices/index/liuhe/").status_code == 403
        assert client.get("/indices/index/liuhe/issue/1.pdf").status_code == 403


def test_issue_downloads(client, people, published):
    client.force_login(people.supervisor)
    assert client.get("/indices/index/liuhe/issue/1.pdf")["Content-Type"] == "application/pdf"
    assert client.get("/indices/index/liuhe/issue/1.xlsx").status_code == 200
