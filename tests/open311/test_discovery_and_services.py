from civicgrid.cases.models import Category


def test_discovery_names_this_endpoint_and_both_formats(city, get):
    data = get("discovery", "discovery", "discovery")
    (endpoint,) = data["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}


def test_discovery_also_answers_at_the_top_and_its_url_ends_in_discovery(city, client):
    for path in ("/open311/discovery.json", "/open311/v2/discovery.json"):
        assert client.get(path).status_code == 200


def test_the_service_list_has_every_active_sub_category_grouped_by_its_top_category(city, o311, get):
    data = get("services", "services", "services")
    codes = [s["service_code"] for s in data]
    expected = Category.objects.filter(active=True, parent__isnull=False).count()
    assert len(codes) == expected == len(set(codes))
    fire = next(s for s in data if s["service_code"] == "0501")
    assert fire["service_name"] == "消防通道堵塞"
    assert fire["group"] == "消防安全"
    assert fire["metadata"] is True and fire["type"] == "realtime"
    assert fire["keywords"] == "消防通道, 堵塞, 楼道堆物"
    parking = next(s for s in data if s["service_code"] == "0403")
    assert parking["metadata"] is False


def test_service_names_follow_the_language_asked_for(city, o311, client):
    data = client.get("/open311/v2/services.json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert next(s for s in data if s["service_code"] == "0501")["service_name"] == "Blocked fire lane"


def test_an_inactive_category_is_not_offered(city, o311, get):
    o311.parking.active = False
    o311.parking.save()
    assert "0403" not in {s["service_code"] for s in get("services", "services", "services")}
    get("services/0403", "service_definition", "service_definition", expect=404)


def test_a_service_definition_lists_every_question_type_in_order(city, o311, get):
    data = get("services/0501", "service_definition", "service_definition")
    assert data["service_code"] == "0501"
    assert [a["code"] for a in data["attributes"]] == ["BLOCKED", "SINCE", "COUNT", "FLOORS", "PLATE", "MORE"]
    assert [a["datatype"] for a in data["attributes"]] == [
        "singlevaluelist",
        "datetime",
        "number",
        "multivaluelist",
        "string",
        "text",
    ]
    blocked = data["attributes"][0]
    assert blocked["required"] is True and blocked["variable"] is True
    assert blocked["values"] == [{"key": "car", "name": "汽车"}, {"key": "bike", "name": "电动车"}]


def test_a_service_without_questions_has_an_empty_definition(city, o311, get):
    assert get("services/0403", "service_definition", "service_definition")["attributes"] == []


def test_an_unknown_service_code_is_404_in_the_spec_error_format(city, o311, get):
    (error,) = get("services/9999", "service_definition", "service_definition", expect=404)
    assert error["code"] == 404 and "9999" in error["description"]


def test_an_unknown_format_is_404_with_an_error_body(city, client):
    response = client.get("/open311/v2/services.html")
    assert response.status_code == 404
    assert response.json()[0]["code"] == 404


def test_a_wrong_method_is_refused_with_an_error_body(city, client):
    response = client.post("/open311/v2/services.json")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.json()[0]["code"] == 405
