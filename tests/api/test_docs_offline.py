"""The OpenAPI document and the docs page work with no internet: every asset is served locally."""

import re

import yaml


def test_the_openapi_document_is_served_and_versioned(client, db):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.")
    assert all(path.startswith("/api/v1/") for path in document["paths"])
    assert "/api/v1/areas/" in document["paths"]
    assert "Token" in str(document["components"]["securitySchemes"])


def test_every_operation_documents_its_error_bodies(client, db):
    document = yaml.safe_load(client.get("/api/v1/schema/").content)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert {"401", "403", "429"} <= set(operation["responses"]), (method, path)


def test_the_docs_page_loads_no_asset_from_another_host(client, db):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html
    assert all(not s.startswith(("http://", "https://", "//")) for s in sources), sources
    assert any("swagger-ui" in s for s in sources)
    assert "cdn" not in html.lower()
