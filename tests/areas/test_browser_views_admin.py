"""The Django admin manages the foundation's models, in Chinese."""

import pytest
from django.contrib import admin
from django.urls import reverse

from civicgrid.core.pii import log_unmasked_view

FOUNDATION_APPS = {"core", "areas", "people", "party"}
MODELS = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    if model._meta.app_label in FOUNDATION_APPS
)


def test_every_foundation_model_is_in_the_admin():
    from django.apps import apps

    for label in FOUNDATION_APPS:
        for model in apps.get_app_config(label).get_models():
            assert model in admin.site._registry, f"{model._meta.label} is not in the admin"


@pytest.mark.parametrize("app_label, model_name", MODELS)
def test_admin_lists_searches_and_opens_each_model_in_chinese(client, city, people, app_label, model_name):
    log_unmasked_view(user=people.grid_worker, subject=people.resident, fields=["phone"], reason="入户走访")
    client.force_login(people.admin)
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    response = client.get(url)
    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.content.decode()
    model_admin = response.context["cl"].model_admin
    if model_admin.search_fields:
        assert client.get(url, {"q": "宝石"}).status_code == 200
    first = response.context["cl"].result_list[:1]
    if first:
        change = reverse(f"admin:{app_label}_{model_name}_change", args=[first[0].pk])
        assert client.get(change).status_code == 200
    if model_admin.has_add_permission(response.wsgi_request):
        assert client.get(reverse(f"admin:{app_label}_{model_name}_add")).status_code == 200


def test_admin_index_names_the_apps_in_chinese(client, people):
    client.force_login(people.admin)
    html = client.get(reverse("admin:index")).content.decode()
    for name in ["区域与住户", "人员与角色", "系统", "个人信息查看记录", "角色分配"]:
        assert name in html


def test_resident_list_in_the_admin_is_masked(client, people):
    client.force_login(people.admin)
    html = client.get(reverse("admin:people_resident_changelist")).content.decode()
    assert "张*明" in html and "张晓明" not in html and "13812345678" not in html
